"""Code shared by two or more handlers: database, JSON, errors, request context, validation."""

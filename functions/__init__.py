"""One module per API resource, each with one HTTP handler deployable alone as a function."""

"""The OpenAPI 3.1 document of the API, built from the tables the handlers route and validate with.

Nothing here restates a rule the code enforces:
- paths and methods: each resource's method tables, COLLECTION, ITEM and PARTS (what
  `http.serve` routes with), for every resource `main.HANDLERS` routes; HEAD and OPTIONS
  where `serve` answers them (`http.allowed_methods`);
- query parameters: the spec the handler passes to `validation.parse_query`, named once in
  its `@operation(query=...)`; each `validation.Parser` knows its JSON Schema and its error;
- the item id: `http.ITEM_ID`; request bodies: the `bodies.Field` tables (`Field.schema()`)
  and the media types the handler reads;
- error responses: the `shared/errors.py` classes an operation can raise, by their `status`,
  `name()` and headers (`headers`, `response_headers`), in the one body `http.ERROR_BODY`;
- which operations need a key, and with which scope: `auth.required_scope`, under the settings
  in force; what each costs of a client's rate-limit budget: `ratelimit.cost_of`.

What no table says, a handler declares beside itself with `@operation(...)`: what it answers
on success (`page`, `item`, `created`, `changed`, `no_content`, `answer`), its `body`, its
`query`, the errors it raises itself, whether it uses the database, `If-Match`, links.

To extend the document: a new operation is a method-table entry with `@operation`; a new
query parameter is an entry of the handler's query spec; a new status is an `ApiError`
subclass named in `errors=` (or in COMMON_ERRORS, `error_responses.py`, when any operation can
answer it); a new response header is an entry of HEADERS (`headers.py`) named where it is sent
(an answer helper of `declarations.py`, EVERY_RESPONSE, or an error class's `headers` /
`response_headers`).

The modules, one job each: `headers.py` (HEADERS, EVERY_RESPONSE, the request headers, the
security schemes, response objects), `declarations.py` (`@operation` and the answers and bodies
a handler declares), `schemas.py` (objects from field tables, hoisting titled schemas),
`error_responses.py` (which errors an operation answers, and their responses) and `document.py`
(the builder); this one re-exports the names callers use.
"""

from shared.openapi.declarations import (
    CSV_MEDIA_TYPE,
    TEXT,
    Answer,
    Body,
    Operation,
    answer,
    changed,
    created,
    item,
    no_content,
    operation,
    page,
)
from shared.openapi.document import API_VERSION, OPENAPI_VERSION, document
from shared.openapi.error_responses import BODY_ERRORS, COMMON_ERRORS, BACKEND_ERRORS
from shared.openapi.headers import EVERY_RESPONSE, HEADERS
from shared.openapi.schemas import object_schema, output, row_schema

__all__ = [
    "API_VERSION", "BODY_ERRORS", "COMMON_ERRORS", "CSV_MEDIA_TYPE", "BACKEND_ERRORS", "EVERY_RESPONSE", "HEADERS",
    "TEXT",
    "OPENAPI_VERSION", "Answer", "Body", "Operation", "answer", "changed", "created", "document", "item",
    "no_content", "object_schema", "operation", "output", "page", "row_schema",
]

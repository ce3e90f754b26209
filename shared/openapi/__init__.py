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
subclass named in `errors=` (or in COMMON_ERRORS when any operation can answer it); a new
response header is an entry of HEADERS named where it is sent (a response helper here,
EVERY_RESPONSE, or an error class's `headers` / `response_headers`).
"""

import dataclasses
import inspect
import sys

from shared import auth, bodies, config, csvout, http, keys, ratelimit, validation
from shared.errors import (
    DatabaseTimeoutError,
    DatabaseUnavailableError,
    ForbiddenError,
    IncompleteBodyError,
    InternalServerError,
    InvalidIntegerFormatError,
    InvalidParametersError,
    NotAcceptableError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RequestTimeoutError,
    SchemaValidationError,
    TooManyRequestsTypeAError,
    TooManyRequestsTypeBError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from shared.jsonio import JSON_MEDIA_TYPE

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
CSV_MEDIA_TYPE = "text/csv"
# Any operation can answer these: an unknown query parameter, and the catch-all.
COMMON_ERRORS = (InvalidParametersError, InternalServerError)
DATABASE_ERRORS = (DatabaseUnavailableError, DatabaseTimeoutError)
BODY_ERRORS = (SchemaValidationError, IncompleteBodyError, RequestTimeoutError, PayloadTooLargeError,
               UnsupportedMediaTypeError)
_ETAG_PATTERN = '^"[0-9a-f]{64}"$'
# Every response header the service sends: what it means, and its value as JSON Schema.
HEADERS = {
    "X-Request-ID": ("The request's id: a sane X-Request-ID the client sent (1-128 letters, digits and -_.:), else "
                     "a new UUID. Every log line of the request carries it; quote it when reporting a problem.",
                     {"type": "string", "minLength": 1}),
    "ETag": ("The row's strong validator: send it in If-Match to change the row, or in If-None-Match to revalidate.",
             {"type": "string", "pattern": _ETAG_PATTERN}),
    "Link": ('`<url>; rel="next"` (RFC 8288) when another page follows; absent on the last page.',
             {"type": "string", "pattern": '^<[^>]+>; rel="next"$'}),
    "Location": ("The URL of the created row.", {"type": "string", "minLength": 1}),
    "Retry-After": ("Seconds to wait before trying again.", {"type": "integer", "minimum": 0}),
    "WWW-Authenticate": ("The scheme a key is sent with.", {"type": "string", "const": 'Bearer realm="seda"'}),
    "Allow": ("The methods the path answers.", {"type": "string"}),
    "Vary": ("The request headers the answer depends on: Accept where CSV can be negotiated, Origin when only some "
             "origins are allowed (SEDA_CORS_ORIGINS).", {"type": "string"}),
    "Access-Control-Allow-Origin": ("`*`, or the request's Origin when SEDA_CORS_ORIGINS lists it.",
                                    {"type": "string"}),
    "Access-Control-Expose-Headers": ("The response headers a browser script may read.",
                                      {"type": "string"}),
    "Access-Control-Allow-Methods": ("The methods the path answers (CORS preflight).", {"type": "string"}),
    "Access-Control-Allow-Headers": ("The request headers a browser may send (CORS preflight).",
                                     {"type": "string"}),
    "Access-Control-Max-Age": ("Seconds a browser may keep the preflight's answer.",
                               {"type": "integer", "minimum": 0}),
    "Connection": ("`close`: the service closes the connection after this answer.", {"type": "string"}),
    "Content-Security-Policy": ("What the page may load and run: only the service's own files.", {"type": "string"}),
    "RateLimit": ('What is left of the budget (draft-ietf-httpapi-ratelimit-headers-11): `"client";r=<units left>;'
                  't=<seconds until the window ends>`, or `"instance";r=0;t=1` when the instance is saturated.',
                  {"type": "string", "pattern": '^"(client|instance)";r=[0-9]+;t=[0-9]+$'}),
    "RateLimit-Policy": ('The per-client budget: `"client";q=<units>;w=<window seconds>` (SEDA_RATE_LIMIT_BURST, '
                         "SEDA_RATE_LIMIT_PER_MINUTE).", {"type": "string", "pattern": '^"client";q=[0-9]+;w=[0-9]+$'}),
    "X-Content-Type-Options": ("`nosniff`: the declared media type is the one to use.", {"const": "nosniff"}),
    "Referrer-Policy": ("`no-referrer`.", {"const": "no-referrer"}),
    "Cache-Control": ("`no-store` for anything keyed, every change and every error; `no-cache` (revalidate, items "
                      "with their ETag) for public reads.", {"type": "string"}),
}
# Headers on every response, by name: whether each is always there.
EVERY_RESPONSE = {"X-Request-ID": True, "Access-Control-Allow-Origin": False, "Access-Control-Expose-Headers": False,
                  "Vary": False, "X-Content-Type-Options": True, "Referrer-Policy": True, "Cache-Control": True}
# What a limited operation's own answers carry while the per-client limit is on (`shared/ratelimit.py`).
_RATE_LIMIT_HEADERS = {"RateLimit": True, "RateLimit-Policy": True}
_REQUEST_HEADERS = {
    "If-Match": "The ETag from GET, or `*`: the change is made only if the row is still that version (`*`: any).",
    "If-None-Match": "ETags the client holds: 304 Not Modified, without a body, when one is the row's.",
}
_SCOPES = (f"Each operation names the scope its key must hold ({', '.join(keys.SCOPES)}): 401 without a valid key, "
           "403 with one that lacks the scope.")
_SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": f"`Authorization: Bearer <key>`, a key of "
               f"SEDA_API_KEYS. {_SCOPES}"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": f"`X-API-Key: <key>`, the same "
               f"keys. {_SCOPES}"},
}


# ---- what a handler declares -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Answer:
    """What an operation answers on success: `responses()` by status, the request headers that steer it, the
    errors that come with it, and what a link may take from it."""

    status: int
    description: str
    content: dict = dataclasses.field(default_factory=dict)  # media type -> schema
    headers: dict = dataclasses.field(default_factory=dict)  # header name -> always sent?
    request_headers: dict = dataclasses.field(default_factory=dict)  # header name -> required?
    errors: tuple = ()
    not_modified: bool = False  # 304 for a matching If-None-Match
    gives_item: bool = False  # its body is a row whose ETag changes may send (links to the item operations)

    def responses(self, headers):
        """The response objects of this answer, by status, each also carrying `headers` (name -> always sent)."""
        responses = {str(self.status): _response(self.description, self.content, {**self.headers, **headers})}
        if self.not_modified:
            responses["304"] = _response("Not modified: the row is still the version If-None-Match named.", {},
                                         {"ETag": True, **headers})
        return responses


@dataclasses.dataclass(frozen=True)
class Body:
    """A request body: the fields of the object (or of each row of a batch), and the media types read.

    `json` is "object", "batch" (a JSON array) or "either"; CSV, where accepted, is always a batch.
    """

    fields: dict
    title: str
    media_types: tuple = (bodies.JSON,)
    json: str = "object"
    partial: bool = False  # PATCH: any subset of the fields
    example: object = None  # a valid body (for JSON; CSV shows the same rows as CSV)

    def request_body(self):
        """The OpenAPI requestBody object (its bounds read from the settings in force)."""
        row = object_schema(self.title, self.fields, partial=self.partial)
        batch = {"type": "array", "items": row, "minItems": 1, "maxItems": config.settings().max_batch_rows}
        shapes = {"object": row, "batch": batch, "either": {"oneOf": [row, batch]}}
        content = {media: {"schema": self._csv() if media == bodies.CSV else shapes[self.json]}
                   for media in self.media_types}
        if self.example is not None:
            for media, described in content.items():
                described["example"] = self._csv_example() if media == bodies.CSV else self.example
        return {"required": True, "content": content}

    def _csv_example(self):
        """The example's rows as CSV, as the service itself writes CSV."""
        rows = self.example if isinstance(self.example, list) else [self.example]
        return csvout.dumps_csv(rows, list(rows[0])).decode()

    def _csv(self):
        """CSV as what it is on the wire, text: JSON Schema cannot say how a cell's text becomes a field's value."""
        names = ", ".join(self.fields)
        required = ", ".join(name for name, field in self.fields.items() if field.required) or "none"
        return {"type": "string", "description": (
            f"CSV (RFC 4180; UTF-8 unless the Content-Type names another charset): a header row naming fields of "
            f"{self.title} ({names}; any case and order; required: {required}), then one row per element, at most "
            f"{config.settings().max_batch_rows:,}. Cells are trimmed of spaces and tabs; an empty cell is a missing "
            "value; numbers are written as text (12.5, 1e3); each field accepts what it accepts in JSON."
        )}


@dataclasses.dataclass(frozen=True)
class Operation:
    """What `@operation` records on a handler function."""

    answer: Answer
    query: dict
    body: Body | None
    errors: tuple
    database: bool
    if_match: str | None
    links: dict
    summary: str | None


def operation(answer, *, query=None, body=None, errors=(), database=True, if_match=None, links=None, summary=None):
    """Declare a handler's contract beside it (see the module docstring); the function is returned unchanged.

    `query`: the spec the handler validates its query with; `body`: a `Body`; `errors`: the
    error classes it raises itself; `database=False` for handlers that never touch it;
    `if_match`: "required" or "optional" when changes check it; `links`: `{name: (function,
    {parameter: expression})}` to operations a client calls next with what this one answered.
    """

    def declare(function):
        function.operation = Operation(answer, query or {}, body, tuple(errors), database, if_match, links or {},
                                       summary)
        return function

    return declare


def object_schema(title, fields, *, partial=False):
    """A request object of `fields` (each `Field.schema()`) and nothing else; the required ones unless `partial`."""
    schema = {"title": title, "type": "object", "properties": {name: field.schema() for name, field in fields.items()},
              "additionalProperties": False}
    required = [name for name, field in fields.items() if field.required]
    if required and not partial:
        schema["required"] = required
    return schema


def output(title, properties):
    """An object as the API answers it: exactly these properties (name -> schema), each always present."""
    return {"title": title, "type": "object", "properties": dict(properties), "required": list(properties),
            "additionalProperties": False}


def row_schema(title, fields, *, with_id=True):
    """A row as the API answers it: its `id` (unless `with_id` is False) and every field (`Field.schema()`)."""
    properties = {name: field.schema() for name, field in fields.items()}
    return output(title, {"id": http.ITEM_ID.schema(), **properties} if with_id else properties)


def _csv_content(row):
    """The CSV representation of rows: a header row of the row's properties, then one line per row."""
    columns = ", ".join(row["properties"])
    return {"type": "string", "description": f"RFC 4180 CSV, UTF-8: a header row ({columns}) then one row per "
            "element; text that a spreadsheet would run as a formula is prefixed with a single quote."}


def page(row, csv=False):
    """One page of a collection (`http.collection_response`); CSV too when `Accept` prefers it (`shared/csvout.py`)."""
    content = {JSON_MEDIA_TYPE: {"type": "array", "items": row}}
    headers = {"Link": False}
    if csv:
        content[CSV_MEDIA_TYPE] = _csv_content(row)
        headers["Vary"] = True
    return Answer(200, "One page, in order; `Link` names the next page when there is one.", content, headers,
                  errors=(NotAcceptableError,) if csv else ())


def item(row, csv=False):
    """One row with its ETag, 304 for a matching If-None-Match (`http.get_one`); CSV as above (no ETag then)."""
    content = {JSON_MEDIA_TYPE: row}
    headers = {"ETag": not csv}
    if csv:
        content[CSV_MEDIA_TYPE] = _csv_content(row)
        headers["Vary"] = True
    return Answer(200, "The row, with its ETag.", content, headers, {"If-None-Match": False},
                  errors=(NotAcceptableError,) if csv else (), not_modified=True, gives_item=True)


def created(row):
    """201 with the new row, its ETag and its URL (`http.created`)."""
    return Answer(201, "Created: the new row, its ETag and its URL.", {JSON_MEDIA_TYPE: row},
                  {"ETag": True, "Location": True}, gives_item=True)


def changed(row):
    """200 with the changed row and its new ETag (`http.item_response`)."""
    return Answer(200, "The row as it is now, with its new ETag.", {JSON_MEDIA_TYPE: row}, {"ETag": True},
                  gives_item=True)


def no_content(description="Done; nothing to say."):
    """204 without a body (`http.no_content`)."""
    return Answer(204, description)


def answer(schema, description, *, media_type=JSON_MEDIA_TYPE, headers=None):
    """200 with a body of `schema` in `media_type` (headers: name -> always sent)."""
    return Answer(200, description, {media_type: schema}, headers or {})


# ---- the document --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Route:
    """One method of one path, as `serve` routes it."""

    resource: str
    path: str
    method: str
    function: object

    @property
    def is_item(self):
        """True for `<resource>/{id}`."""
        return self.path.endswith("/{id}")

    @property
    def operation_id(self):
        """Unique in the document: the resource, the part when it is one, and the function's name."""
        part = self.path.removeprefix(f"{http.API_PREFIX}/{self.resource}").strip("/")
        words = [self.resource, "" if part in ("", "{id}") else part, self.function.__name__.strip("_")]
        return "_".join(word.replace(".", "_").replace("-", "_") for word in words if word)


def document(handlers, public_origin=None):
    """The OpenAPI document of the resources `handlers` routes (`{path segment: handler}`, main.HANDLERS)."""
    routes = [
        _Route(resource, path, method, function)
        for resource, handler in handlers.items()
        for path, methods in _method_tables(resource, handler)
        for method, function in methods.items()
    ]
    paths = {}
    for route in routes:
        paths.setdefault(route.path, {"parameters": [_id_parameter()]} if route.is_item else {})
        paths[route.path][route.method.lower()] = _operation(route, routes)
    for path, item in paths.items():
        if "get" in item:
            item["head"] = _head(item["get"])
        item["options"] = _options([route for route in routes if route.path == path])
    schemas = {"Error": http.ERROR_BODY}
    paths = _hoisted(paths, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "SEDA transformer diagnostics API",
            "version": API_VERSION,
            "description": "Dissolved-gas analysis of oil-filled transformers: the fleet, its DGA samples, and "
                           "diagnoses by IEEE C57.104 and IEC 60599 methods. Every error is the one JSON body "
                           "`Error`. Writes need an API key.",
        },
        "servers": [{"url": public_origin or "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "headers": _header_components(), "securitySchemes": _SECURITY_SCHEMES},
    }


def _method_tables(resource, handler):
    """(path, method table) of every path `serve` routes for the resource: its collection, named parts and item."""
    module = sys.modules[handler.__module__]
    base = f"{http.API_PREFIX}/{resource}"
    tables = [(base, module.COLLECTION)]
    tables += [(f"{base}/{part}", methods) for part, methods in getattr(module, "PARTS", {}).items()]
    if getattr(module, "ITEM", None):
        tables.append((f"{base}/{{id}}", module.ITEM))
    return tables


def _declared(function):
    """The function's `@operation`; a handler routed without one is a programming error."""
    declared = getattr(function, "operation", None)
    if declared is None:
        raise TypeError(f"{function.__module__}.{function.__name__} is routed but has no @openapi.operation")
    return declared


def _id_parameter():
    """The `{id}` of an item path."""
    schema = http.ITEM_ID.schema()
    return {"name": "id", "in": "path", "required": True, "description": schema.pop("description"), "schema": schema}


def _operation(route, routes):
    """One operation object from the handler's declaration and the tables."""
    declared = _declared(route.function)
    scope, always = auth.required_scope(route.method, route.function)
    keyed = scope is not None and (always or config.settings().require_keys_for_reads)
    cost = ratelimit.cost_of(route.method, route.path.replace("{id}", "<id>"))
    limited = bool(cost.units) and bool(config.settings().limits.per_minute)
    summary, _, description = inspect.getdoc(route.function).partition("\n")
    parameters = [_query_parameter(name, parser) for name, parser in declared.query.items()]
    parameters += [_header_parameter(name, required) for name, required in declared.answer.request_headers.items()]
    if declared.if_match:
        parameters.append(_header_parameter("If-Match", declared.if_match == "required"))
    result = {
        "operationId": route.operation_id,
        "tags": [route.resource],
        "summary": declared.summary or summary,
        "security": [{"bearer": [scope]}, {"apiKey": [scope]}] if keyed else [],
        "responses": {
            **declared.answer.responses(_RATE_LIMIT_HEADERS if limited else {}),
            **_error_responses(_errors(declared, keyed, bool(cost.units), limited, route.is_item)),
        },
    }
    description = "\n\n".join(part for part in (description.strip(), f"Rate-limit cost: {cost.describe()}.") if part)
    result["description"] = description
    if parameters:
        result["parameters"] = parameters
    if declared.body is not None:
        result["requestBody"] = declared.body.request_body()
    links = _links(route, declared, routes)
    if links:
        result["responses"][str(declared.answer.status)]["links"] = links
    return result


def _query_parameter(name, parser):
    """A query parameter from its parser."""
    schema = parser.schema()
    description = schema.pop("description", None)
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    return {**parameter, "description": description} if description else parameter


def _header_parameter(name, required):
    """A request header parameter (If-Match, If-None-Match)."""
    schema = {"type": "string", **({"examples": ["*"]} if name == "If-Match" else {})}
    return {"name": name, "in": "header", "required": required, "description": _REQUEST_HEADERS[name],
            "schema": schema}


def _errors(declared, keyed, counted, limited, is_item):
    """Every error class the operation can answer with (`counted`: it costs rate-limit units; `limited`: and the
    per-client limit is on)."""
    classes = [*COMMON_ERRORS, *declared.errors, *declared.answer.errors]
    classes += [parser.error for parser in declared.query.values()]
    if is_item:
        classes += [InvalidIntegerFormatError, NotFoundError]
    if limited:
        classes.append(TooManyRequestsTypeAError)
    if counted or declared.database:  # requests in flight, or a database session not free in time
        classes.append(TooManyRequestsTypeBError)
    if keyed:
        classes += [UnauthorizedError, ForbiddenError]
    if declared.body is not None:
        classes += BODY_ERRORS
    if declared.database:
        classes += DATABASE_ERRORS
    if declared.if_match:
        classes.append(PreconditionFailedError)
    if declared.if_match == "required":
        classes.append(PreconditionRequiredError)
    return classes


def _error_responses(classes):
    """One response per status: the error body, the names it can carry, and the headers of those errors."""
    by_status = {}
    for cls in dict.fromkeys(classes):
        by_status.setdefault(cls.status, []).append(cls)
    return {str(status): _error_response(status, by_status[status]) for status in sorted(by_status)}


def _error_response(status, classes):
    """The response of `status`, whose body names one of `classes`."""
    names = sorted(cls.name() for cls in classes)
    described = " ".join(f"{cls.name()}: {inspect.getdoc(cls).splitlines()[0]}" for cls in classes)
    carried = [{**dict.fromkeys(cls.headers, True), **cls.response_headers} for cls in classes]
    # A header is always sent on this status only when every error that can answer it sends it.
    headers = {name: all(each.get(name, False) for each in carried) for each in carried for name in each}
    schema = {"allOf": [{"$ref": "#/components/schemas/Error"}],
              "properties": {"status": {"const": status}, "error": {"enum": names}}}
    return _response(described, {JSON_MEDIA_TYPE: schema}, headers)


def _response(description, content, headers):
    """A response object: its content (media type -> schema) and headers (name -> always sent), plus EVERY_RESPONSE."""
    response = {"description": description,
                "headers": {name: _header(name, required) for name, required in {**EVERY_RESPONSE, **headers}.items()}}
    if content:
        response["content"] = {media: {"schema": schema} for media, schema in content.items()}
    return response


def _header(name, required):
    """A reference to the response header of HEADERS, as always sent or as sometimes sent."""
    return {"$ref": f"#/components/headers/{_header_key(name, required)}"}


def _header_key(name, required):
    """The name of a header's component: its own when it is always sent, with `.optional` when not."""
    return name if required else f"{name}.optional"


def _header_components():
    """Every HEADERS entry, always sent and sometimes sent."""
    return {_header_key(name, required): {"description": description, "required": required, "schema": schema}
            for name, (description, schema) in HEADERS.items() for required in (True, False)}


def _links(route, declared, routes):
    """Links from this operation's answer: declared ones, and from a row with an ETag to the item's operations."""
    first_ids = {}
    for other in routes:
        first_ids.setdefault(other.function, other.operation_id)
    links = {name: {"operationId": first_ids[target], "parameters": parameters}
             for name, (target, parameters) in declared.links.items()}
    if declared.answer.gives_item:
        for other in routes:
            if other.resource == route.resource and other.is_item and other != route:
                links[other.operation_id] = _item_link(other)
    return links


def _item_link(route):
    """A link from an answered row to an item operation: the row's id, its ETag when changes check it, and the
    row itself as the body of a change (a row read can be sent back as it is)."""
    declared = _declared(route.function)
    link = {"operationId": route.operation_id, "parameters": {"path.id": "$response.body#/id"}}
    if declared.if_match:
        link["parameters"]["header.If-Match"] = "$response.header.ETag"
    if declared.body is not None:
        link["requestBody"] = "$response.body"
    return link


def _head(get):
    """HEAD: GET's parameters, statuses and headers, without a body."""
    responses = {status: {key: value for key, value in response.items() if key not in ("content", "links")}
                 for status, response in get["responses"].items()}
    head = {**get, "operationId": f"{get['operationId']}_head", "responses": responses,
            "summary": f"{get['summary'].rstrip('.')}: headers only"}
    head.pop("description", None)
    return head


def _options(routes):
    """OPTIONS, a CORS preflight: never needs a key, ignores the query."""
    first = routes[0]
    headers = {"Allow": True, "Access-Control-Allow-Methods": True, "Access-Control-Allow-Headers": True,
               "Access-Control-Max-Age": True}
    allowed = http.allowed_methods([route.method for route in routes])
    return {
        "operationId": f"{first.operation_id}_options",
        "tags": [first.resource],
        "summary": f"The methods this path answers: {', '.join(allowed)} (CORS preflight)",
        "security": [],
        "responses": {
            "204": _response("The allowed methods and request headers.", {}, headers),
            **_error_responses([InternalServerError, *([InvalidIntegerFormatError] if first.is_item else [])]),
        },
    }


def _hoisted(node, schemas):
    """`node` with every schema that has a title moved to `components.schemas` and referenced by it."""
    if isinstance(node, list):
        return [_hoisted(element, schemas) for element in node]
    if not isinstance(node, dict):
        return node
    hoisted = {key: _hoisted(value, schemas) for key, value in node.items()}
    title = node.get("title")
    if not isinstance(title, str):
        return hoisted
    if schemas.setdefault(title, hoisted) != hoisted:
        raise ValueError(f"two different schemas are both titled {title!r}")
    return {"$ref": f"#/components/schemas/{title}"}

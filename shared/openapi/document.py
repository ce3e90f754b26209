"""The document builder: every path and method `serve` routes, as OpenAPI operations.

For each resource `main.HANDLERS` routes, the method tables COLLECTION, PARTS and ITEM give the
paths and methods (`_Route`); each operation takes its parameters, body and answers from the
handler's `@operation`, its key and scope from `auth.required_scope`, its cost from
`ratelimit.cost_of`, its errors from `error_responses`; links, HEAD and OPTIONS follow from the
routes. Titled schemas are hoisted into `components.schemas` last.
"""

import dataclasses
import inspect
import sys

from shared import auth, config, http, ratelimit
from shared.errors import InternalServerError, InvalidIntegerFormatError
from shared.openapi.declarations import declaration_of
from shared.openapi.error_responses import error_responses, errors_of
from shared.openapi.headers import (
    RATE_LIMIT_HEADERS,
    REQUEST_HEADERS,
    SECURITY_SCHEMES,
    header_components,
    response_object,
)
from shared.openapi.schemas import hoist

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"


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
    paths = hoist(paths, schemas)
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
        "components": {"schemas": schemas, "headers": header_components(), "securitySchemes": SECURITY_SCHEMES},
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


def _id_parameter():
    """The `{id}` of an item path."""
    schema = http.ITEM_ID.schema()
    return {"name": "id", "in": "path", "required": True, "description": schema.pop("description"), "schema": schema}


def _operation(route, routes):
    """One operation object from the handler's declaration and the tables."""
    declared = declaration_of(route.function)
    scope, always = auth.required_scope(route.method, route.function)
    keyed = scope is not None and (always or config.settings().require_keys_for_reads)
    cost = ratelimit.cost_of(route.method, route.path.replace("{id}", "<id>"), route.function)
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
            **declared.answer.responses(RATE_LIMIT_HEADERS if limited else {}),
            **error_responses(errors_of(declared, keyed, bool(cost.units), limited, route.is_item)),
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
    return {"name": name, "in": "header", "required": required, "description": REQUEST_HEADERS[name],
            "schema": schema}


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
    declared = declaration_of(route.function)
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
            "204": response_object("The allowed methods and request headers.", {}, headers),
            **error_responses([InternalServerError, *([InvalidIntegerFormatError] if first.is_item else [])]),
        },
    }



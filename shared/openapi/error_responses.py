"""The error responses of an operation: which `shared/errors.py` classes it can answer with, and their responses.

An error class gives its status, its `name()`, the first line of its docstring and its headers
(`headers`, `response_headers`); every one answers with the one body `Error` (`http.ERROR_BODY`).
"""

import inspect

from shared.errors import (
    DatabaseTimeoutError,
    DatabaseUnavailableError,
    ForbiddenError,
    IncompleteBodyError,
    InternalServerError,
    InvalidIntegerFormatError,
    InvalidParametersError,
    ModelUnavailableError,
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
from shared.openapi.headers import response_object

# Any operation can answer these: an unknown query parameter, and the catch-all.
COMMON_ERRORS = (InvalidParametersError, InternalServerError)
# What an operation that reads or writes the database can meet there — and, as it may compute
# verdicts (a write's stored-verdict refresh, a read's inline diagnosis), the learned model's load.
BACKEND_ERRORS = (DatabaseUnavailableError, DatabaseTimeoutError, ModelUnavailableError)
BODY_ERRORS = (SchemaValidationError, IncompleteBodyError, RequestTimeoutError, PayloadTooLargeError,
               UnsupportedMediaTypeError)


def errors_of(declared, keyed, counted, limited, is_item):
    """Every error class the operation can answer with (`counted`: it costs rate-limit units; `limited`: and the
    per-client limit is on)."""
    classes = [*COMMON_ERRORS, *declared.errors, *declared.answer.errors]
    classes += [parser.error for parser in declared.query.values()]
    if is_item:
        classes += [InvalidIntegerFormatError, NotFoundError]
    if limited:
        classes.append(TooManyRequestsTypeAError)
    # Requests in flight, or a database session not free in time; operations exempt from limits
    # (the health probes) are never refused for load: /health/ready answers 503 instead.
    if counted:
        classes.append(TooManyRequestsTypeBError)
    if keyed:
        classes += [UnauthorizedError, ForbiddenError]
    if declared.body is not None:
        classes += BODY_ERRORS
    if declared.database:
        classes += BACKEND_ERRORS
    if declared.if_match:
        classes.append(PreconditionFailedError)
    if declared.if_match == "required":
        classes.append(PreconditionRequiredError)
    return classes


def error_responses(classes):
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
    return response_object(described, {JSON_MEDIA_TYPE: schema}, headers)



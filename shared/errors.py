"""The API's error taxonomy: exception classes that carry their HTTP status and error name.

Handlers raise these; `shared.http` turns every one of them (and anything unexpected) into
the single error body `{"status", "error", "message", "request_id"}`. Database driver errors
are mapped to this taxonomy in one function, `from_database_error`.
"""

import sqlite3

from shared import config


class ApiError(Exception):
    """Base class: an error the client may see, with its status, name, message and headers."""

    status = 500
    headers: dict[str, str] = {}
    # Headers whose values are chosen where it is raised, by name: True when every instance
    # carries it. The OpenAPI document lists them, and the class's own `headers`, on its status.
    response_headers: dict[str, bool] = {}

    def __init__(self, message, *, headers=None, details=None):
        super().__init__(message)
        self.message = message
        self.headers = {**type(self).headers, **(headers or {})}
        self.details = details

    @classmethod
    def name(cls):
        """The error name in the body: the class name without the "Error" suffix."""
        return cls.__name__.removesuffix("Error")


class SchemaValidationError(ApiError):
    """A request body does not match the expected schema."""

    status = 400


class InvalidTimestampFormatError(ApiError):
    """A timestamp parameter is not ISO 8601."""

    status = 400


class InvalidIntegerFormatError(ApiError):
    """An integer parameter or path id is not a base-10 integer in range."""

    status = 400


class InvalidParametersError(ApiError):
    """Unknown, repeated, out-of-range or contradictory parameters."""

    status = 400


class IncompleteBodyError(ApiError):
    """The client hung up before its request body arrived in full (only the log sees the answer)."""

    status = 400


class UnauthorizedError(ApiError):
    """A write (or, when configured, a read) came without a valid API key; never says which part was wrong."""

    status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="seda"'}


class ForbiddenError(ApiError):
    """A valid API key lacks the scope the operation needs; names the scope, never another key."""

    status = 403


class NotFoundError(ApiError):
    """No such resource or row."""

    status = 404


class MethodNotAllowedError(ApiError):
    """The resource exists but does not support the method; carries `Allow`."""

    status = 405
    response_headers = {"Allow": True}


class NotAcceptableError(ApiError):
    """The request's `Accept` allows none of the representations the resource can send."""

    status = 406


class ConflictError(ApiError):
    """The request conflicts with the current state of the data."""

    status = 409


class RequestTimeoutError(ApiError):
    """The client did not send the whole request body within the configured time."""

    status = 408
    headers = {"Connection": "close"}


class PreconditionFailedError(ApiError):
    """`If-Match` names a version of the row that is no longer the stored one."""

    status = 412


class PayloadTooLargeError(ApiError):
    """The request body exceeds a configured limit."""

    status = 413


class UnsupportedMediaTypeError(ApiError):
    """The request body's Content-Type is not one the resource accepts."""

    status = 415


class PreconditionRequiredError(ApiError):
    """A change that could overwrite someone else's came without `If-Match`."""

    status = 428


class TooManyRequestsTypeAError(ApiError):
    """One client (API key or address) spent its rate-limit budget; carries `Retry-After` (`shared/ratelimit.py`)."""

    status = 429
    response_headers = {"Retry-After": True, "RateLimit": True, "RateLimit-Policy": True}


class TooManyRequestsTypeBError(ApiError):
    """This instance is saturated (requests in flight, database sessions); carries `Retry-After` (`shared/ratelimit.py`)."""

    status = 429
    response_headers = {"Retry-After": True, "RateLimit": True, "RateLimit-Policy": False}  # the policy: when limited


class InternalServerError(ApiError):
    """Catch-all: the client learns only the request id; the log has the traceback."""

    status = 500

    @classmethod
    def name(cls):
        """Keep the conventional name; stripping "Error" would leave "InternalServer"."""
        return cls.__name__


class DatabaseUnavailableError(ApiError):
    """The database cannot be reached or refused the session."""

    status = 503
    headers = {"Retry-After": "5"}


class ModelUnavailableError(ApiError):
    """The learned model (`SEDA_MODEL_PATH`) passed its start-up check but could not be loaded; the log says why."""

    status = 503
    headers = {"Retry-After": "60"}  # it takes an operator (another model file, or SEDA_MODEL_PATH=none)


MODEL_UNAVAILABLE = ("The learned model could not be loaded, so no verdict can be written or shown; nothing was done. "
                     "The operators have been told (the log names the file and the cause). Retry later.")


class DatabaseTimeoutError(ApiError):
    """A statement ran longer than the configured limit and was cancelled."""

    status = 504


def statement_timeout_error():
    """The 504 for a statement that ran past `SEDA_STATEMENT_TIMEOUT_S`, naming the limit."""
    seconds = config.settings().statement_timeout_s
    return DatabaseTimeoutError(
        f"The database did not answer within {seconds} s (SEDA_STATEMENT_TIMEOUT_S); retry later or narrow the request."
    )


# python-oracledb `full_code`s that mean "the database is not reachable or not usable now",
# besides any error whose session the driver marks dead (`is_session_dead`: the ORA- codes of
# a lost connection arrive as DPY-4011).
_ORACLE_UNAVAILABLE = frozenset(
    {
        "DPY-1001",  # not connected
        "DPY-1002",  # the pool was closed: a request still waiting on a pool being replaced
        "DPY-4011",  # the database or network closed the connection
        "DPY-6000",  # cannot connect: listener refused
        "DPY-6005",  # cannot connect to database
        "ORA-01017",  # invalid credentials: a deployment fault, not the client's
        "ORA-01033",  # initialization or shutdown in progress
        "ORA-01034",  # ORACLE not available
        "ORA-12514",  # listener does not know the service
        "ORA-12516",  # listener could not find a handler
        "ORA-12520",
        "ORA-12528",  # listener: all handlers blocked
        "ORA-12541",  # no listener
        "ORA-12543",  # destination host unreachable
        "ORA-25408",  # can not safely replay call
    }
)
_ORACLE_CONFLICT = {
    "ORA-00001": "a row with the same unique key already exists",
    "ORA-02291": "a referenced row does not exist",
    "ORA-02292": "other rows still reference this row",
}
DATABASE_UNAVAILABLE = "The database is unavailable; retry later."
_BUSY = "The database is busy with another writer; nothing was written. Retry later."
_UNREADABLE = "The database cannot be read now; the operators have been told. Retry later."
# sqlite3 error names (`sqlite_errorname`, primary part) that mean "the database cannot serve now",
# with what the client is told; none of them is the client's fault, and each left nothing written.
_SQLITE_UNAVAILABLE = {
    "SQLITE_BUSY": _BUSY,
    "SQLITE_LOCKED": _BUSY,
    "SQLITE_CANTOPEN": DATABASE_UNAVAILABLE,
    "SQLITE_IOERR": DATABASE_UNAVAILABLE,
    "SQLITE_READONLY": DATABASE_UNAVAILABLE,
    "SQLITE_CORRUPT": _UNREADABLE,
    "SQLITE_NOTADB": _UNREADABLE,
}
_SQLITE_FULL_RETRY_AFTER_S = "60"  # freeing disk space takes an operator, not a moment


def from_database_error(exc):
    """Map a python-oracledb or sqlite3 exception to an ApiError (never exposing its text)."""
    oracle_error = _oracle_error_of(exc)
    if oracle_error is not None:
        return _from_oracle_error(oracle_error)
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(f"The change conflicts with stored data: {_sqlite_conflict_reason(exc)}.")
    sqlite_error = _sqlite_primary_error(exc)
    if sqlite_error == "SQLITE_FULL":
        return DatabaseUnavailableError(
            "The database has no room left for the change (its disk is full); nothing was written. Retry later.",
            headers={"Retry-After": _SQLITE_FULL_RETRY_AFTER_S},
        )
    if sqlite_error in _SQLITE_UNAVAILABLE:
        return DatabaseUnavailableError(_SQLITE_UNAVAILABLE[sqlite_error])
    return InternalServerError("Internal server error.")


def _from_oracle_error(error):
    """The ApiError for one python-oracledb `_Error`: time limits named, outages 503, conflicts 409."""
    code = error.full_code
    if code == "DPY-4024":  # call timeout exceeded
        return statement_timeout_error()
    if code == "DPY-4005":  # timed out waiting for the connection pool
        seconds = config.settings().oracle.pool_timeout_s
        return DatabaseUnavailableError(
            f"No database session was free within {seconds} s (ORACLE_POOL_TIMEOUT_S); retry later."
        )
    if code in _ORACLE_UNAVAILABLE or error.is_session_dead or error.isrecoverable:
        return DatabaseUnavailableError(DATABASE_UNAVAILABLE)
    if code in _ORACLE_CONFLICT:
        return ConflictError(f"The change conflicts with stored data: {_ORACLE_CONFLICT[code]}.")
    return InternalServerError("Internal server error.")


def _oracle_error_of(exc):
    """The `_Error` payload of a python-oracledb exception, or None for anything else."""
    args = getattr(exc, "args", ())
    if args and hasattr(args[0], "full_code"):
        return args[0]
    return None


def _sqlite_primary_error(exc):
    """The primary SQLite result name of a sqlite3 error (SQLITE_IOERR for SQLITE_IOERR_WRITE), or ""."""
    return "_".join(getattr(exc, "sqlite_errorname", "").split("_")[:2])


def _sqlite_conflict_reason(exc):
    """A client-safe reason for a SQLite constraint failure (no SQL, no values)."""
    text = str(exc).lower()
    if "unique" in text:
        return "a row with the same unique key already exists"
    if "foreign key" in text:
        return "a referenced row does not exist or other rows still reference this row"
    return "a constraint was violated"

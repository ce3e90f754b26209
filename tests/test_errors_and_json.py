"""The error taxonomy and the one JSON path, checked class by class and type by type."""

import datetime
import decimal
import sqlite3

import numpy as np
import pytest

from contract import ERROR_KEYS
from shared import context, errors, http, jsonio

ALL_ERRORS = sorted(
    {cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.ApiError)} - {errors.ApiError},
    key=lambda cls: cls.__name__,
)
EXPECTED = {
    "SchemaValidationError": (400, "SchemaValidation"),
    "InvalidTimestampFormatError": (400, "InvalidTimestampFormat"),
    "InvalidIntegerFormatError": (400, "InvalidIntegerFormat"),
    "InvalidParametersError": (400, "InvalidParameters"),
    "TooManyRequestsTypeAError": (429, "TooManyRequestsTypeA"),
    "TooManyRequestsTypeBError": (429, "TooManyRequestsTypeB"),
    "NotFoundError": (404, "NotFound"),
    "MethodNotAllowedError": (405, "MethodNotAllowed"),
    "DatabaseUnavailableError": (503, "DatabaseUnavailable"),
    "InternalServerError": (500, "InternalServerError"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_original_taxonomy_statuses_and_names(name):
    cls = getattr(errors, name)
    assert (cls.status, cls.name()) == EXPECTED[name]


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_becomes_the_canonical_body(cls):
    context.begin_request("req-1")
    response = http.error_response(cls("Something specific went wrong."))
    body = jsonio.loads(response.body)
    assert set(body) == ERROR_KEYS
    assert body["status"] == response.status_code == cls.status
    assert body["error"] == cls.name() and body["request_id"] == "req-1"
    if cls.status == 500:
        assert "specific" not in body["message"] and "req-1" in body["message"]
    else:
        assert body["message"] == "Something specific went wrong."


def test_unexpected_exception_hides_its_arguments():
    context.begin_request("req-2")
    response = http.error_response(ValueError("password=hunter2 at db.internal:1521"))
    assert response.status_code == 500
    assert b"hunter2" not in response.body and b"db.internal" not in response.body


def _raised_by(action):
    """The sqlite3 error a real call raises (the driver fills in its SQLite error name)."""
    with pytest.raises(sqlite3.Error) as raised:
        action()
    return raised.value


def test_sqlite_errors_are_mapped_without_their_text(tmp_path):
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (name TEXT UNIQUE)")
    connection.execute("INSERT INTO t VALUES ('a')")
    duplicate = _raised_by(lambda: connection.execute("INSERT INTO t VALUES ('a')"))
    assert isinstance(errors.from_database_error(duplicate), errors.ConflictError)
    missing = _raised_by(lambda: sqlite3.connect(f"file:{tmp_path}/absent.sqlite3?mode=rw", uri=True))
    assert isinstance(errors.from_database_error(missing), errors.DatabaseUnavailableError)
    (tmp_path / "garbage.sqlite3").write_bytes(b"not a database, just text " * 200)
    garbage = sqlite3.connect(tmp_path / "garbage.sqlite3")
    corrupt = _raised_by(lambda: garbage.execute("SELECT * FROM sqlite_master").fetchall())
    assert isinstance(errors.from_database_error(corrupt), errors.DatabaseUnavailableError)
    other = errors.from_database_error(_raised_by(lambda: connection.execute("SELECT secret_col FROM t")))
    assert isinstance(other, errors.InternalServerError) and "secret_col" not in other.message


def test_details_are_carried_into_the_body():
    context.begin_request("req-3")
    error = errors.SchemaValidationError("2 rows are invalid.", details=[{"index": 4, "errors": ["h2 < 0"]}])
    assert jsonio.loads(http.error_response(error).body)["details"] == [{"index": 4, "errors": ["h2 < 0"]}]


def test_datetimes_are_iso_utc_with_z():
    naive = datetime.datetime(2024, 5, 1, 0, 30)
    aware = datetime.datetime(2024, 5, 1, 0, 30, tzinfo=datetime.timezone.utc)
    assert jsonio.dumps([naive, aware]) == b'["2024-05-01T00:30:00Z","2024-05-01T00:30:00Z"]'


def test_oracle_and_sqlite_values_serialize_identically():
    # Oracle hands Decimal/int and naive datetimes; SQLite hands float/int and naive datetimes.
    oracle_row = {"id": 7, "h2": decimal.Decimal("12.5"), "co": decimal.Decimal("300"), "at": datetime.datetime(2024, 1, 1)}
    sqlite_row = {"id": 7, "h2": 12.5, "co": 300, "at": datetime.datetime(2024, 1, 1)}
    assert jsonio.dumps(oracle_row) == jsonio.dumps(sqlite_row)


def test_non_finite_numbers_become_null():
    values = [float("nan"), float("inf"), -float("inf"), decimal.Decimal("NaN"), np.float64("nan")]
    assert jsonio.dumps(values) == b"[null,null,null,null,null]"


def test_bytes_and_numpy():
    assert jsonio.dumps({"b": b"\x00\xff", "n": np.int64(3), "a": np.array([1.5, 2.0])}) == b'{"b":"AP8=","n":3,"a":[1.5,2.0]}'


def test_unknown_types_are_an_error_not_a_guess():
    with pytest.raises(TypeError):
        jsonio.dumps({"x": object()})


def test_sqlite_timestamps_are_fixed_width_text_for_any_year():
    from shared import db

    early = datetime.datetime(1900, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    late = datetime.datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
    assert db.SQLITE.bind_timestamp(early) == "1900-01-02 03:04:05.000000"
    assert db.SQLITE.bind_timestamp(late) == "2100-12-31 14:59:59.999999"
    assert db.SQLITE.bind_timestamp(datetime.datetime(999, 1, 1)) == "0999-01-01 00:00:00.000000"

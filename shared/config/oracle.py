"""The ORACLE_* variables: how to reach Oracle and size its pool (table in `shared/config/__init__.py`)."""

import dataclasses
import os
import re

from shared.config.reading import int_env, or_noted


# SQL*Plus's `user/password@connect_string` given as ORACLE_DSN (a descriptor starts with "(", Easy Connect has no
# "/" before an "@"): refused at start-up, and masked by tools.check_config.
DSN_CREDENTIALS = re.compile(r"^([^/@\s(]*)/[^@]*@")


@dataclasses.dataclass(frozen=True)
class OracleSettings:
    """How to reach Oracle; `password` is excluded from repr so it cannot reach a log."""

    user: str
    password: str = dataclasses.field(repr=False)
    dsn: str | None
    host: str | None
    port: int
    service_name: str | None
    sid: str | None
    pool_min: int
    pool_max: int
    pool_timeout_s: int
    connect_timeout_s: int
    expire_time_min: int
    schema: str | None  # ORACLE_SCHEMA, upper case: who owns the tables, when the service connects as another account


# An unquoted Oracle identifier (a user created without quotes): a letter, then letters, digits, _, $ or #; 128 bytes
# at most since 12.2. Only such a name reaches `ALTER SESSION SET CURRENT_SCHEMA` (`shared/db/oracle_connect.py`).
_SCHEMA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_$#]{0,127}")


@or_noted(lambda: None)
def read():
    """Oracle settings from the environment, or None when no Oracle user is configured."""
    user = os.environ.get("ORACLE_USER")
    if not user:
        _refuse_oracle_settings_without_user()
        return None
    _check_oracle_location()
    password = os.environ.get("ORACLE_PASSWORD")
    if not password:
        raise RuntimeError("ORACLE_USER is set but ORACLE_PASSWORD is missing or empty; set the account's password")
    pool_min = int_env("ORACLE_POOL_MIN", 2, minimum=0)
    return OracleSettings(
        user=user,
        password=password,
        dsn=os.environ.get("ORACLE_DSN") or None,
        host=os.environ.get("ORACLE_HOST") or None,
        port=int_env("ORACLE_PORT", 1521),
        service_name=os.environ.get("ORACLE_SERVICE_NAME") or None,
        sid=os.environ.get("ORACLE_SID") or None,
        pool_min=pool_min,
        pool_max=int_env("ORACLE_POOL_MAX", max(pool_min, 2)),
        pool_timeout_s=int_env("ORACLE_POOL_TIMEOUT_S", 5),
        connect_timeout_s=int_env("ORACLE_CONNECT_TIMEOUT_S", 10),
        expire_time_min=int_env("ORACLE_EXPIRE_TIME_MIN", 2, minimum=0),
        schema=_schema(),
    )


def _schema():
    """`ORACLE_SCHEMA` in upper case (as Oracle stores an unquoted name), or None when unset; anything else refused."""
    raw = os.environ.get("ORACLE_SCHEMA", "").strip()
    if not raw:
        return None
    if not _SCHEMA_NAME.fullmatch(raw) or len(raw.encode()) > 128:
        raise RuntimeError(
            f"ORACLE_SCHEMA must name the account that owns the tables, as an unquoted Oracle name (a letter, then "
            f"letters, digits, _, $ or #; at most 128 characters), e.g. SEDA; got {raw[:40]!r}"
        )
    return raw.upper()


def _oracle_variables_set(*names):
    """Those of `names` that are set to something non-empty."""
    return [name for name in names if os.environ.get(name)]


def _refuse_oracle_settings_without_user():
    """Without ORACLE_USER the service would quietly serve SQLite; refuse if Oracle was clearly meant."""
    orphans = _oracle_variables_set(
        "ORACLE_PASSWORD", "ORACLE_DSN", "ORACLE_HOST", "ORACLE_SERVICE_NAME", "ORACLE_SID", "ORACLE_SCHEMA"
    )
    if orphans:
        raise RuntimeError(f"{', '.join(orphans)} set without ORACLE_USER; set ORACLE_USER to use Oracle or unset them")


def _check_oracle_location():
    """Exactly one way to reach the database: ORACLE_DSN alone, or ORACLE_HOST with a service name or a SID."""
    parts = _oracle_variables_set("ORACLE_HOST", "ORACLE_PORT", "ORACLE_SERVICE_NAME", "ORACLE_SID")
    if os.environ.get("ORACLE_DSN"):
        if parts:
            raise RuntimeError(
                f"ORACLE_DSN is set together with {', '.join(parts)}; set ORACLE_DSN alone, or ORACLE_HOST "
                "with ORACLE_SERVICE_NAME or ORACLE_SID"
            )
        if DSN_CREDENTIALS.match(os.environ["ORACLE_DSN"]):
            raise RuntimeError(
                "ORACLE_DSN starts with an account (user/password@…), which the driver refuses beside ORACLE_USER "
                "and which would put the password in its error messages; set ORACLE_DSN to the part after the @ "
                "(host:port/service, an Easy Connect string or a TNS descriptor), the account in ORACLE_USER and "
                "ORACLE_PASSWORD"
            )
        return
    if not os.environ.get("ORACLE_HOST"):
        raise RuntimeError("ORACLE_USER is set but neither ORACLE_DSN nor ORACLE_HOST says where the database is")
    names = _oracle_variables_set("ORACLE_SERVICE_NAME", "ORACLE_SID")
    if len(names) != 1:
        raise RuntimeError("ORACLE_HOST needs exactly one of ORACLE_SERVICE_NAME or ORACLE_SID to name the database")

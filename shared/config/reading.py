"""Reading environment variables: typed reads that refuse nonsense at start-up, and `or_noted`, which lets
`problems()` (`shared/config/__init__.py`) collect every refusal instead of stopping at the first."""

import contextvars
import functools
import os
import urllib.parse

_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

noted_problems = contextvars.ContextVar("noted_problems", default=None)  # a list while `problems()` runs


def or_noted(stand_in):
    """Decorate a read that refuses a bad value: under `problems()` its RuntimeError is noted and
    `stand_in(*arguments)` is returned instead; otherwise the error stops start-up as before."""
    def decorate(read):
        @functools.wraps(read)
        def checked(*arguments, **keywords):
            try:
                return read(*arguments, **keywords)
            except RuntimeError as problem:
                noted = noted_problems.get()
                if noted is None:
                    raise
                noted.append(str(problem))
                return stand_in(*arguments, **keywords)
        return checked
    return decorate


@or_noted(lambda name, default, minimum=1: default)
def int_env(name, default, minimum=1):
    """An integer environment variable, refusing nonsense at start-up rather than at request time."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise RuntimeError(f"{name} must be at least {minimum}, got {value}")
    return value


@or_noted(lambda name, default: default)
def bool_env(name, default):
    """A `true`/`false` environment variable (also 1/0, yes/no), refusing anything else at start-up."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _BOOLEANS:
        raise RuntimeError(f"{name} must be true or false, got {raw!r}")
    return _BOOLEANS[raw]


HIDDEN = "***"  # what a masked secret reads as


def without_password(raw):
    """A URL as it may be printed or put in a message: its password (`user:password@`) replaced by `***`; a value
    that cannot be split as a URL hidden whole."""
    try:
        url = urllib.parse.urlsplit(raw)
        if url.password is None:
            return raw
    except ValueError:
        return f"{HIDDEN} (not a URL)"
    user, _, host = url.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urllib.parse.urlunsplit(url._replace(netloc=f"{name}:{HIDDEN}@{host}"))

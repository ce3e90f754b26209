"""The `SEDA_API_KEYS` syntax: API keys, their key ids and their scopes.

`SEDA_API_KEYS` is a comma-separated list of entries, each one of:

    <key id>@<scope>[+<scope>…]=<key>     a named key with the scopes it holds
    <key id>@<scope>[+<scope>…]=sha256:<64 hex digits>   the same, given as the key's SHA-256 digest
    <key>                                 a key as before scopes existed: every scope, key id `key-<position>`
    sha256:<64 hex digits>                the same, given as the key's digest

An entry is named when an `@` comes before its first `=`; keys made by a generator (hex,
base64, base64url, `secrets.token_urlsafe`) never hold an `@`, so an entry written before
scopes existed reads as it always did. A key id is 1-64 letters, digits, `.`, `_` or `-`,
starting with a letter or digit; it names the key in the audit trail and in 403 messages, so
it may be logged and stored, while the key never is. Ids of the form `key-<number>` belong to
unnamed entries: the entry's position in the list, counting from 1 (so reordering the list
renames them; name the entries to keep their ids). Scopes (see `shared/auth.py` for which
operation needs which) are independent: an `admin` key holds neither `read` nor `ingest`
unless the entry names them too. A key is at least 16 characters; the same key in two
entries, or the same key id twice, stops start-up. Every error names the entry's position,
never its text.
"""

import dataclasses
import hashlib
import re

SCOPES = ("read", "ingest", "admin", "metrics")  # metrics: the Prometheus scrape alone (`functions/metrics.py`)
_DIGEST_PREFIX = "sha256:"
_MIN_KEY_LENGTH = 16  # a short key is guessable however it is compared
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNNAMED_KEY_ID = re.compile(r"key-[0-9]+")
_SYNTAX = f"<key id>@<scopes>=<key>, with scopes from {', '.join(SCOPES)} joined by '+'"


@dataclasses.dataclass(frozen=True)
class ApiKey:
    """One configured key: its id (safe to log), its scopes, and its SHA-256 digest (never shown)."""

    key_id: str
    scopes: frozenset[str]
    digest: bytes = dataclasses.field(repr=False)


def parse(text):
    """The keys of a `SEDA_API_KEYS` value, in order; RuntimeError naming the position of a bad entry."""
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    api_keys = tuple(_api_key(position, entry) for position, entry in enumerate(entries, start=1))
    _refuse_repeats(api_keys, "key_id", "have the same key id; give each entry its own")
    _refuse_repeats(api_keys, "digest", "hold the same key; give each key once, with every scope it needs")
    return api_keys


def _api_key(position, entry):
    """The key one entry stands for: named with its scopes, or unnamed with every scope."""
    if "@" not in entry.partition("=")[0]:
        return ApiKey(f"key-{position}", frozenset(SCOPES), _digest(position, entry))
    key_id, _, rest = entry.partition("@")
    scopes, _, secret = rest.partition("=")
    if not _KEY_ID.fullmatch(key_id):
        raise RuntimeError(
            f"SEDA_API_KEYS entry {position} has a malformed key id: write {_SYNTAX}; a key id is 1-64 letters, "
            "digits, '.', '_' or '-', starting with a letter or digit"
        )
    if _UNNAMED_KEY_ID.fullmatch(key_id):
        raise RuntimeError(
            f"SEDA_API_KEYS entry {position} has a key id of the form key-<number>, which names entries without "
            "one; choose another key id"
        )
    named_scopes = scopes.split("+")
    if not all(scope in SCOPES for scope in named_scopes):
        raise RuntimeError(f"SEDA_API_KEYS entry {position} names an unknown or empty scope: write {_SYNTAX}")
    return ApiKey(key_id, frozenset(named_scopes), _digest(position, secret))


def _digest(position, secret):
    """The digest a key stands for: given as `sha256:<hex>`, or of the key itself."""
    if secret.lower().startswith(_DIGEST_PREFIX):
        digest = secret[len(_DIGEST_PREFIX) :]
        if not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
            raise RuntimeError(f"SEDA_API_KEYS entry {position} must be sha256: followed by 64 hex digits")
        return bytes.fromhex(digest)
    if len(secret) < _MIN_KEY_LENGTH:
        raise RuntimeError(
            f"SEDA_API_KEYS entry {position} is shorter than {_MIN_KEY_LENGTH} characters; use a long random key"
        )
    return hashlib.sha256(secret.encode()).digest()


def _refuse_repeats(api_keys, field, problem):
    """RuntimeError naming the positions of two entries whose `field` is the same."""
    first_position = {}
    for position, api_key in enumerate(api_keys, start=1):
        earlier = first_position.setdefault(getattr(api_key, field), position)
        if earlier != position:
            raise RuntimeError(f"SEDA_API_KEYS entries {earlier} and {position} {problem}")

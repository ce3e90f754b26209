"""Print the service's effective settings and every problem with them: `python -m tools.check_config [--json]`.

Run it with the environment the service gets. It lists each variable of the table in
`shared/config/__init__.py`'s docstring with its value and where it came from (`environment` or
`default`), secrets masked: `ORACLE_PASSWORD` never shown, `SEDA_API_KEYS` as key ids and
scopes only, a password in any URL (`SEDA_RATE_LIMIT_STORAGE`, the OpenTelemetry endpoints) or a `user/password@` in
`ORACLE_DSN` replaced by `***`. Then every problem: the messages start-up would stop with
(`config.problems()`, the very checks `settings()` runs, all of them rather than the first),
and `SEDA_*` / `ORACLE_*` variables the service does not read, with the closest known name
when one is near (a typo leaves its setting at the default without a word).

Exit status: 0 when there is no problem, 1 when there is any, 2 for bad arguments.
"""

import argparse
import difflib
import json
import os
import re
import sys

from shared import config, keys
from shared.config.reading import HIDDEN, without_password

# Variables with these names or prefixes are read by others (the Oracle client, our own tests), not by the service.
FOREIGN_NAMES = ("ORACLE_HOME", "ORACLE_BASE")
FOREIGN_PREFIXES = ("ORACLE_TEST_", "SEDA_TEST_")
_TABLE_ROW = re.compile(r"^\| (?P<names>`[A-Z_]+`(?: / `[A-Z_]+`)*) \| (?P<defaults>[^|]*) \|", re.MULTILINE)


def documented_defaults():
    """Each variable of the table in `shared/config/__init__.py`'s docstring and its default as written there."""
    defaults = {}
    for row in _TABLE_ROW.finditer(config.__doc__):
        names = re.findall(r"`([A-Z_]+)`", row["names"])
        texts = row["defaults"].strip().split(" / ") if len(names) > 1 else [row["defaults"].strip()]
        for name, text in zip(names, texts, strict=True):
            defaults[name] = text.replace("`", "")
    return defaults


def shown_value(name, raw):
    """`raw` as it may be printed: secrets masked, never a key, a digest or a password."""
    if name == "ORACLE_PASSWORD":
        return HIDDEN
    if name == "SEDA_API_KEYS":
        return _key_summary(raw)
    if name == "ORACLE_DSN":
        return config.oracle.DSN_CREDENTIALS.sub(rf"\1/{HIDDEN}@", raw)
    return without_password(raw) if "://" in raw else raw  # a storage, endpoint or public URL may carry one


def _key_summary(raw):
    """The key ids and scopes of a `SEDA_API_KEYS` value; when it does not parse, only how many entries it has."""
    try:
        api_keys = keys.parse(raw)
    except RuntimeError:
        entries = len([entry for entry in raw.split(",") if entry.strip()])
        return f"{entries} entries, not shown (see the problems)"
    return ", ".join(f"{key.key_id} ({'+'.join(sorted(key.scopes))})" for key in api_keys) or "(none)"


def effective_settings(defaults):
    """One entry per documented variable: its name, printable value and source."""
    entries = []
    for name, default in defaults.items():
        if name in os.environ:
            entries.append({"name": name, "value": shown_value(name, os.environ[name]), "source": "environment"})
        else:
            entries.append({"name": name, "value": default, "source": "default"})
    return entries


def unknown_variables(known):
    """A problem for each `SEDA_*` / `ORACLE_*` variable the service does not read, with the nearest known name."""
    found = []
    for name in sorted(os.environ):
        if not name.startswith(("SEDA_", "ORACLE_")) or name in known:
            continue
        if name in FOREIGN_NAMES or name.startswith(FOREIGN_PREFIXES):
            continue
        nearest = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {nearest[0]}?" if nearest else "the settings are listed in shared/config/__init__.py"
        found.append(f"{name} is set but is not a setting the service reads; {hint}")
    return found


def report():
    """The settings and every problem, as one JSON-ready dict."""
    defaults = documented_defaults()
    return {
        "settings": effective_settings(defaults),
        "problems": config.problems() + unknown_variables(list(defaults)),
    }


def print_text(checked):
    """The report for a terminal: an aligned settings table, then the problems."""
    width = max(len(entry["name"]) for entry in checked["settings"])
    print("Settings (source, name = value):")
    for entry in checked["settings"]:
        print(f"  {entry['source']:<11}  {entry['name']:<{width}} = {entry['value']}")
    if not checked["problems"]:
        print("No problems.")
        return
    print(f"{len(checked['problems'])} problem(s):")
    for problem in checked["problems"]:
        print(f"  - {problem}")


def main(argv=None):
    """Parse the arguments, check the environment, print the report; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.check_config", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    arguments = parser.parse_args(argv)
    checked = report()
    if arguments.json:
        print(json.dumps(checked, indent=2, ensure_ascii=False))
    else:
        print_text(checked)
    return 1 if checked["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())

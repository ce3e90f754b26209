"""JSON Schema building blocks for the verdict (the OpenAPI document's `Verdict`).

Each module describes the part of the verdict it writes with these; `verdict.VERDICT_SCHEMA`
puts the parts together. Every key is always present; a value the engine could not work out
is null.
"""

from collections.abc import Mapping, Sequence
from typing import Any


def object_of(properties: Mapping[str, Any]) -> dict:
    """An object of exactly these properties, all present."""
    return {"type": "object", "properties": dict(properties), "required": list(properties),
            "additionalProperties": False}


def nullable(schema: Mapping[str, Any]) -> dict:
    """`schema` or null."""
    return {"anyOf": [dict(schema), {"type": "null"}]}


def numbers_of(names: Sequence[str], nullable: bool = True) -> dict:
    """An object of one number (null when unknown, if `nullable`) per name."""
    return object_of({name: {"type": ["number", "null"] if nullable else "number"} for name in names})


def one_of(values: Sequence[Any]) -> dict:
    """Exactly one of `values`."""
    return {"enum": list(values)}


TEXT_OR_NULL = {"type": ["string", "null"]}

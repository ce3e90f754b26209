"""The verdict as JSON: how its numbers are written, and the JSON Schema blocks that describe it.

Each module writes its part of the verdict with `rounded` and `as_text`, and
describes that part, next to the code that writes it, with the schema blocks below;
`verdict.VERDICT_SCHEMA` (the OpenAPI document's `Verdict`) puts the parts together. Every key
is always present; a value the engine could not work out is null, never NaN or infinity.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any


def rounded(value: float, digits: int) -> float | None:
    """A finite float rounded to `digits` decimals, else None."""
    return round(value, digits) if math.isfinite(value) else None


def as_text(value: float) -> str:
    """A number for a sentence: at most 2 decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


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

"""IEEE C57.104-2008: Condition 1–4 for each gas and for TDCG (total dissolved combustible gas).

Choices where the sources disagree: a value above the upper bound of Condition k is
Condition k+1. This leaves no gap for non-integers, and CO2 = 2500 is Condition 1 (PY). The
overall condition is the worst of the gases and TDCG (PY). TDCG = H2 + CH4 + C2H6 + C2H4 +
C2H2 + CO and needs all six. The 2008 TDCG rates (ppm/day) are not evaluated.
"""

import numpy as np

from shared.dga.bands import count_above
from shared.dga.gases import GASES
from shared.dga.output import TEXT_OR_NULL, nullable, object_of, one_of, rounded
from shared.dga.rules import APPLICABLE, FIRST_OWN_REASON, NOT_FOR_LIQUID, all_of, mineral_only_reason

# Upper bounds (ppm) of Conditions 1, 2 and 3; above the last is Condition 4.
IEEE_2008_CONDITION_LIMITS = {
    "h2": (100, 700, 1800),
    "ch4": (120, 400, 1000),
    "c2h6": (65, 100, 150),
    "c2h4": (50, 100, 200),
    "c2h2": (1, 9, 35),
    "co": (350, 570, 1400),
    "co2": (2500, 4000, 10000),
    "tdcg": (720, 1920, 4630),
}
TDCG_GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co")
_CONDITION_KEYS = GASES + ("tdcg",)
_NO_VALID_GAS = FIRST_OWN_REASON  # the `ieee2008_reason` code of a sample without one valid gas


def evaluate(col, ppm, valid) -> None:
    """C57.104-2008 Condition per gas and for TDCG (0 = not evaluated), and the worst of them."""
    for gas in GASES:
        col[f"ieee2008_{gas}"] = np.where(valid[gas], 1 + count_above(ppm[gas], IEEE_2008_CONDITION_LIMITS[gas]), 0)
    tdcg = ppm["h2"] + ppm["ch4"] + ppm["c2h6"] + ppm["c2h4"] + ppm["c2h2"] + ppm["co"]
    col["ieee2008_tdcg_ppm"] = tdcg
    col["ieee2008_tdcg"] = np.where(np.isnan(tdcg), 0, 1 + count_above(tdcg, IEEE_2008_CONDITION_LIMITS["tdcg"]))
    col["ieee2008_condition"] = np.max([col[f"ieee2008_{key}"] for key in _CONDITION_KEYS], axis=0).astype(np.int8)
    col["ieee2008_reason"] = np.where(col["ieee2008_condition"] > 0, APPLICABLE, _NO_VALID_GAS).astype(np.int8)
    col["ieee2008_complete"] = all_of(valid[gas] for gas in GASES)


def withdraw(col, where, code) -> None:
    """No condition at all, for the reason `code` (`rules` numbering), on the samples `where` holds."""
    for key in _CONDITION_KEYS:
        col[f"ieee2008_{key}"] = np.where(where, 0, col[f"ieee2008_{key}"])
    col["ieee2008_condition"] = np.where(where, 0, col["ieee2008_condition"]).astype(np.int8)
    col["ieee2008_reason"] = np.where(where, code, col["ieee2008_reason"]).astype(np.int8)


def _reason(c, i) -> str | None:
    """Why the conditions say nothing, or None when they apply."""
    code = c["ieee2008_reason"][i]
    if code == NOT_FOR_LIQUID:
        return mineral_only_reason(c["liquid"][i])
    return None if code == APPLICABLE else "no valid gas value"


def as_dict(c, i) -> dict:
    """C57.104-2008 conditions."""
    condition = c["ieee2008_condition"][i]
    tdcg = c["ieee2008_tdcg"][i]
    return {
        "applicable": condition > 0,
        "reason": _reason(c, i),
        "condition": condition or None,
        "complete": c["ieee2008_complete"][i],
        "gases": {gas: c[f"ieee2008_{gas}"][i] or None for gas in GASES},
        "tdcg": {"ppm": rounded(c["ieee2008_tdcg_ppm"][i], 2), "condition": tdcg} if tdcg else None,
    }


SCHEMA = object_of({
    "applicable": {"type": "boolean"},
    "reason": TEXT_OR_NULL,
    "condition": one_of((1, 2, 3, 4, None)),
    "complete": {"type": "boolean"},
    "gases": object_of({gas: one_of((1, 2, 3, 4, None)) for gas in GASES}),
    "tdcg": nullable(object_of({"ppm": {"type": ["number", "null"]}, "condition": one_of((1, 2, 3, 4))})),
})

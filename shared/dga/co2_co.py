"""CO2/CO: a cellulose-involvement indicator, reported beside the methods and never a fault type.

Carbon oxides come mostly from the paper. A fault that heats paper makes relatively more CO,
so a low CO2/CO ratio points to paper involvement (with possible carbonization); a high one
with much CO2 points to mild overheating of paper (< about 160 °C) or to oil oxidation,
especially in free-breathing units. The indicator does not change the fault type or the
status; it says whether the paper may be involved in whatever the other methods find.

## Thresholds, the public sources and the choices

- **CO2/CO < 3 → possible paper involvement.** IEC 60599 §5.5 (as cited by a TypeScript
  constants file, find_string id `54535846948`, "CO2/CO < 3 = accelerated paper degradation",
  and by a review of Duval's IEC 60599 paper, id `56047140137`, "CO2/CO < 3 suggests paper
  involvement but use with caution"); the Vietnamese utility rule QĐ1901 Điều 54 (id
  `69612566602`, tested in id `69430522229`); a JavaScript dashboard (id `59676616171`). All
  use a strict "< 3".
- **Minimum CO for the low ratio: CO > 500 ppm** (the dashboard, id `59676616171`, "CO > 500
  and CO2/CO < 3"). QĐ1901 Điều 54 asks for CO > 1000 ppm instead. The lower value is chosen
  because this is an indicator to look at, not a fault: it should not stay silent while CO is
  already at the IEEE C57.104-2019 Table 1 level of free-breathing units (500 ppm). Below the
  minimum a low ratio is reported with the words "too little CO to mean anything".
- **CO2/CO > 10 with CO2 > 10000 ppm → mild overheating of paper or oil oxidation**
  (QĐ1901 Điều 54, id `69612566602`, both strict; the same reading of IEC 60599 §5.5).
- ⚠ IEC 60599 recommends the ratio of the *increments* since the last sample when the
  background CO2 is high (old oil, air ingress); the ratio here is of the current
  concentrations. IEEE C57.104-2008 §6.5 is also said to ask for minimum CO and CO2
  concentrations before trusting the ratio; its values could not be read here. A person with
  the printed standards should check both.

CO = 0 makes the ratio unbounded (or 0/0): "not applicable".
"""

import numpy as np

from shared.dga.output import TEXT_OR_NULL, as_text, object_of, one_of, rounded
from shared.dga.ratios import ratio
from shared.dga.rules import FIRST_OWN_REASON, _not_applicable_reason, applicability

CO2_CO_GASES = ("co", "co2")
PAPER_BELOW_RATIO, PAPER_MIN_CO = 3.0, 500.0  # CO2/CO < 3 with CO > 500 ppm
MILD_ABOVE_RATIO, MILD_MIN_CO2 = 10.0, 10000.0  # CO2/CO > 10 with CO2 > 10000 ppm
INDICATORS = ("none", "paper_involvement", "mild_overheating_or_oxidation")
NONE, PAPER, MILD = range(len(INDICATORS))
_NO_CO = FIRST_OWN_REASON  # the `co2_co_reason` code of CO = 0


def evaluate(col, ppm, valid) -> None:
    """CO2/CO ratio and indicator of every sample."""
    has_gases = valid["co"] & valid["co2"]
    applicable = applicability(col, "co2_co", has_gases, [(ppm["co"] > 0, _NO_CO)])
    value = np.where(applicable, ratio(ppm["co2"], ppm["co"]), np.nan)
    col["co2_co_ratio"] = value
    indicator = np.select([(value < PAPER_BELOW_RATIO) & (ppm["co"] > PAPER_MIN_CO),
                           (value > MILD_ABOVE_RATIO) & (ppm["co2"] > MILD_MIN_CO2)], [PAPER, MILD], NONE)
    col["co2_co_indicator"] = np.where(applicable, indicator, -1).astype(np.int8)


def _description(c, i) -> str:
    """The sentence behind the indicator, with the values compared."""
    value, co, co2 = c["co2_co_ratio"][i], c["ppm_co"][i], c["ppm_co2"][i]
    shown = f"CO2/CO {as_text(value)}"
    indicator = c["co2_co_indicator"][i]
    if indicator == PAPER:
        return (f"{shown} < {as_text(PAPER_BELOW_RATIO)} with CO {as_text(co)} ppm > {as_text(PAPER_MIN_CO)} ppm: "
                "the paper insulation may be involved in a fault (possible carbonization)")
    if indicator == MILD:
        return (f"{shown} > {as_text(MILD_ABOVE_RATIO)} with CO2 {as_text(co2)} ppm > {as_text(MILD_MIN_CO2)} ppm: "
                "mild overheating of the paper (< about 160 °C) or oil oxidation")
    if value < PAPER_BELOW_RATIO:
        return (f"{shown} < {as_text(PAPER_BELOW_RATIO)}, but CO {as_text(co)} ppm ≤ {as_text(PAPER_MIN_CO)} ppm: "
                "too little CO for the ratio to mean anything")
    if value > MILD_ABOVE_RATIO:
        return (f"{shown} > {as_text(MILD_ABOVE_RATIO)}, but CO2 {as_text(co2)} ppm ≤ {as_text(MILD_MIN_CO2)} ppm: "
                "too little CO2 for the ratio to mean anything")
    return f"{shown} between {as_text(PAPER_BELOW_RATIO)} and {as_text(MILD_ABOVE_RATIO)}: no sign of paper involvement"


def as_dict(c, i) -> dict:
    """The CO2/CO indicator."""
    applicable = c["co2_co_applicable"][i]
    reason = _not_applicable_reason(c, i, "co2_co", CO2_CO_GASES)
    if c["co2_co_reason"][i] == _NO_CO:
        reason = "CO is 0: the CO2/CO ratio is unbounded or undefined"
    return {
        "applicable": applicable,
        "reason": reason,
        "ratio": rounded(c["co2_co_ratio"][i], 3),
        "indicator": INDICATORS[c["co2_co_indicator"][i]] if applicable else None,
        "description": _description(c, i) if applicable else None,
    }


SCHEMA = object_of({
    "applicable": {"type": "boolean"},
    "reason": TEXT_OR_NULL,
    "ratio": {"type": ["number", "null"]},
    "indicator": one_of((*INDICATORS, None)),
    "description": TEXT_OR_NULL,
})

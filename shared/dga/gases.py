"""The gases the engine reads, their labels and bounds, the oil preservations and the time units.

Every other module of the package, the schema and the demo data take these from here.
"""

from collections.abc import Sequence

from shared.schema import INSULATING_LIQUIDS

GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2")
ATMOSPHERIC_GASES = ("o2", "n2")
SAMPLE_FIELDS = GASES + ATMOSPHERIC_GASES
GAS_LABELS = {
    "h2": "H2", "ch4": "CH4", "c2h6": "C2H6", "c2h4": "C2H4", "c2h2": "C2H2",
    "co": "CO", "co2": "CO2", "o2": "O2", "n2": "N2",
}
# 1,000,000 ppm is the whole volume; anything above is a unit error, and capping here also
# keeps every sum and product below float overflow.
MAX_PPM = 1_000_000.0

OIL_PRESERVATIONS = (None, "sealed", "free_breathing")
SEALED = OIL_PRESERVATIONS.index("sealed")

# The insulating liquid of a unit (INSULATING_LIQUIDS, one list with the schema's check and the
# API's choices); mineral oil (the first) when not given, as for nearly every power transformer.
# Methods published for mineral oil only are not applicable to the others (`liquids.py`).
MINERAL = INSULATING_LIQUIDS.index("mineral")
LIQUID_LABELS = {"mineral": "mineral oil", "natural_ester": "natural ester", "synthetic_ester": "synthetic ester",
                 "silicone": "silicone liquid"}

DAY_SECONDS = 86_400.0
YEAR_SECONDS = 365.25 * DAY_SECONDS
MONTH_SECONDS = YEAR_SECONDS / 12.0  # 30.4375 days


def labels(gases: Sequence[str]) -> str:
    """Gas formulas joined for a sentence."""
    return ", ".join(GAS_LABELS[gas] for gas in gases)

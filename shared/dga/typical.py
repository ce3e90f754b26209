"""Trace levels: a method whose gases are all within typical values says so instead of naming a fault.

Every graphical and ratio method turns any nonzero gases into a zone or a code, so 1 ppm each
of H2, CH4 and C2H6 would be "PD". A proportion of traces means nothing, so where **every gas a
method uses is within its IEEE C57.104-2019 Table 1 limit** (the 90th percentile of the
sample's own column: O2/N2 or oil preservation, and age band, as `ieee_c57_104_2019` picks
them), `gate` makes the method "not applicable" with reason `rules.BELOW_TYPICAL`, worded
"below typical values (IEEE C57.104-2019 Table 1, O2/N2 > 0.2, age unknown): CH4 1 ≤ 20, ...".

The test is the 2019 module's own: a gas is within Table 1 where its `ieee2019_level_<gas>` is
1, i.e. valid and not > the limit (a value equal to the limit is within it, as for the status).
A gas still within Table 1 can raise the status through its change since the previous sample
(Table 3) or its rate (Table 4), so a method is gated only where none of its gases exceeds those
either (`moves_no_status`). So the gate and the fault-presence status cannot disagree: a method is
gated only when none of its gases moves the status, and a gas that lifts the status to 2 or 3 —
by its level, its delta or its rate — always lets the methods that read it answer.

A method already "not applicable" for a reason that says more (a gas missing, all gases zero,
not published for the liquid) keeps that reason.
"""

import numpy as np

from shared.dga.duval_pentagons import DUVAL_PENTAGON_GASES
from shared.dga.duval_triangles import DUVAL_GASES, DUVAL_TRIANGLE_4_GASES, DUVAL_TRIANGLE_5_GASES
from shared.dga.ratios import RATIO_METHOD_GASES
from shared.dga.rules import BELOW_TYPICAL, SAYS_MORE, all_of, any_of, withdraw

# Method prefix -> the gases whose proportions it reads. Doernenburg's ratios use the five
# hydrocarbons and H2 (CO enters only its validity step).
GATED_GASES = {
    "duval": DUVAL_GASES,
    "duval4": DUVAL_TRIANGLE_4_GASES,
    "duval5": DUVAL_TRIANGLE_5_GASES,
    "pentagon1": DUVAL_PENTAGON_GASES,
    "pentagon2": DUVAL_PENTAGON_GASES,
    "iec": RATIO_METHOD_GASES,
    "rogers": RATIO_METHOD_GASES,
    "doernenburg": RATIO_METHOD_GASES,
}


def within_table_1(col, gases) -> np.ndarray:
    """Where every one of `gases` is valid and within its 2019 Table 1 limit (level 1)."""
    return all_of(col[f"ieee2019_level_{gas}"] == 1 for gas in gases)


def moves_no_status(col, gases) -> np.ndarray:
    """Where every one of `gases` is within Table 1 and exceeds neither its Table 3 delta nor its Table 4 rate."""
    return within_table_1(col, gases) & ~any_of(
        col[f"ieee2019_delta_exceeds_{gas}"] | col[f"ieee2019_rate_exceeds_{gas}"] for gas in gases)


def gate(col) -> None:
    """Make every method in GATED_GASES "below typical values" where none of its gases moves the 2019 status.

    Runs after `ieee_c57_104_2019.evaluate` (it reads the levels, deltas and rates) and before
    `verdict.evaluate` (which then takes no type from a gated method).
    """
    for prefix, gases in GATED_GASES.items():
        gate_method(col, prefix, gases)


def gate_method(col, prefix, gases) -> None:
    """Make one method "below typical values" where none of `gases` moves the 2019 status (the learned model too)."""
    withdraw(col, prefix, moves_no_status(col, gases) & ~np.isin(col[f"{prefix}_reason"], SAYS_MORE),
             BELOW_TYPICAL)

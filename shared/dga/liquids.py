"""Which methods hold for which insulating liquid: the methods published for mineral oil say nothing about the others.

`gate(col)` runs after every method has been evaluated and before the verdict: on each sample
whose unit is not filled with mineral oil (`col["liquid"]`, an index into INSULATING_LIQUIDS)
every method of MINERAL_ONLY_METHODS becomes not applicable, with the reason
`rules.NOT_FOR_LIQUID` ("published for mineral oil only; not applicable to natural ester"), and
the IEEE C57.104 conditions and status are withdrawn too (MINERAL_ONLY_STANDARDS). A unit of
mineral oil, the default, is untouched: its verdicts are exactly what they were before the
liquid was known, so no stored verdict has to be rewritten for it.

## The decision, and its sources

- **IEC 60599** (the ratio table, and Duval Triangle 1, its graphical method). Its scope:
  "applicable to electrical equipment filled with mineral insulating oil and insulated with
  cellulosic paper or pressboard-based solid insulation … can be applied, but only with caution,
  to other liquid-solid insulating systems" (IEC 60599:2022 abstract, BSI Knowledge and the SIST
  catalogue; the 1999 edition's EN 60599 abstract says the same). "With caution" gives no
  tables for other liquids, so the engine does not apply them.
- **Duval's triangles and pentagons.** Duval, "The Duval Triangle for load tap changers,
  non-mineral oils and low temperature faults in transformers", IEEE Electrical Insulation
  Magazine 24(6), 2008: Triangle 1 is "widely used … in equipment filled with mineral oils";
  "in equipment filled with non-mineral oils such as natural and synthetic esters, gas formation
  patterns are not exactly the same as with mineral oils", which is why Triangle 3 (esters,
  silicones) and Triangles 6/7 (natural esters) exist. Triangles 4 and 5 are for low-temperature
  faults *in mineral oils* (same paper); the pentagons (Duval & Lamarre 2014) were built on the
  mineral-oil IEC TC 10 database. All of them: mineral oil only.
- **Rogers and Doernenburg** are ratio codes derived from mineral-oil transformers (their
  tables are read from IEEE C57.104, which gives them for mineral oil); mineral oil only.
- **IEEE C57.104-2019** is titled "Guide for the Interpretation of Gases Generated in *Mineral
  Oil-Immersed* Transformers" (keywords: mineral oil); its Tables 1–4 are percentiles of a
  mineral-oil database. IEEE wrote a separate guide for esters, C57.155-2014 ("Interpretation of
  Gases Generated in Natural Ester and Synthetic Ester-Immersed Transformers"), because esters
  make the same gases in other proportions and amounts (notably more CO/CO2 and H2/C2H6 from the
  fluid itself, and stray gassing after energising): mineral limits raise false alarms on healthy
  ester units and can misread real faults. C57.155 does not cover silicone, and no public source
  found here gives limits for it. So the 2019 status is **not applicable** to any non-mineral
  liquid: fault presence is unknown, the severity is "unknown", there is no health index, and the
  action says to interpret the gases by the liquid's own guide (`verdict.NOT_FOR_LIQUID_ACTION`).
  C57.155's thresholds are not implemented (their printed values could not be checked here).
- **IEEE C57.104-2008** is titled for "Oil-Immersed Transformers" and its condition limits come
  from the same mineral-oil experience (the 2019 revision replaced them); C57.155 exists for the
  esters because those limits do not carry over. Not applicable either.
- CIGRE: Technical Brochure 443 ("DGA in non-mineral oils and load tap changers", 2010) is the
  source Duval's Triangle 3 and the C57.155 work draw on; its text was not available here.
"""

import numpy as np

from shared.dga import ieee_c57_104_2008, ieee_c57_104_2019
from shared.dga.gases import MINERAL
from shared.dga.rules import NOT_FOR_LIQUID, withdraw

# Methods published for mineral oil only, by column prefix: Duval Triangles 1, 4 and 5, Duval
# Pentagons 1 and 2, the IEC 60599 ratios, Rogers, Doernenburg, and IEC 60599's CO2/CO indicator
# (esters make CO and CO2 from the fluid itself, so the ratio says nothing about the paper).
MINERAL_ONLY_METHODS = ("duval", "duval4", "duval5", "pentagon1", "pentagon2", "iec", "rogers", "doernenburg",
                        "co2_co")
# Standards with columns of their own, each withdrawn by its module's `withdraw(col, where, code)`.
MINERAL_ONLY_STANDARDS = (ieee_c57_104_2008, ieee_c57_104_2019)


def gate(col) -> None:
    """Make every mineral-oil-only method not applicable on the samples of units of another liquid."""
    other_liquid = np.asarray(col["liquid"]) != MINERAL
    if not other_liquid.any():
        return
    for prefix in MINERAL_ONLY_METHODS:
        withdraw(col, prefix, other_liquid, NOT_FOR_LIQUID)
    for standard in MINERAL_ONLY_STANDARDS:
        standard.withdraw(col, other_liquid, NOT_FOR_LIQUID)


def gate_method(col, prefix) -> None:
    """Make one more method not applicable to units of another liquid (the learned model: trained on mineral oil)."""
    withdraw(col, prefix, np.asarray(col["liquid"]) != MINERAL, NOT_FOR_LIQUID)

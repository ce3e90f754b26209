"""The inspection scorecard: how often each DGA method's verdict named what an inspection later found.

`GET /api/v1/inspections/scorecard[?equipment_id=&substation_id=&window_days=365]` scores, for
every inspection of the chosen units, the verdict on the unit's **last complete sample taken
within `window_days` before the inspection** (sampled_at in [inspected_at − window, inspected_at],
both ends included: a sample exactly 365 days before counts, one 366 days before does not; a
sample taken after the inspection, say after the repair, never does). The verdict is the one
stored in DGA_DIAGNOSIS; where it is missing or stale (another engine fingerprint) it is computed
now by the running engine, from the sample and the complete samples before it, exactly as the
stored one would be (`shared/unit_verdicts.py`), and nothing is written: `verdicts.computed` says
how many were.

Methods scored: every key of the verdict's `methods` whose result has a `fault_type` (so a method
added later, a learned model included, is scored without a change here), plus
`combined_verdict`, the verdict's `fault.type`. What a method *answers* on an inspection: on a
`none` finding, the verdict's presence (`none` when `fault.present` is false: presence comes from
concentrations, deltas and rates, never from a method); on a fault finding, its own `fault_type`
(`no answer` when it names none) — the combined verdict's being `none` when `fault.present` is
false, so a missed fault counts against the verdict, not against each method's classification.

Rules, per method and inspection, in this order:
1. No complete sample within the window: not scored (`no_sample`).
2. The verdict's `fault.present` is null (e.g. a unit of a liquid the methods are not published
   for): not scored (`verdict_unknown`).
3. A `none` finding scores fault presence only, for every method alike: correct when
   `fault.present` is false.
4. A method that is not applicable to the sample (or absent from the verdict) is not scored on a
   fault finding (`not_applicable`, with the method's reason) — also when the verdict says no
   fault: at trace levels the methods are gated, and a method is judged on what it answered.
5. A fault finding with `fault.present` false is scored, and wrong, for the combined verdict
   (its answer is `none`); a method that answered is scored on its answer.
6. A fine finding (PD, D1, D2, DT, T1, T2, T3) scores fine accuracy (the exact class; Pentagon
   2's T3-H, "T3 in oil only", counts as T3) and coarse accuracy (the family); a coarse finding
   (D, T) scores coarse accuracy only.

Families (coarse classes): PD → PD; D1, D2, D → D; T1, T2, T3, T3-H, T, O (overheating below
250 °C), C (paper carbonization) → T; **DT (thermal and electrical faults mixed) belongs to both
D and T**: a DT answer is coarse-right for a D or T finding, and a D or T answer is coarse-right
for a DT finding (only DT itself is fine-right). S (stray gassing of the oil, not a fault of the
insulation), `none` and `no answer` belong to no family.

The answer per method: `scored` (inspections scored), `presence`/`fine`/`coarse` (scored,
correct, accuracy = correct ÷ scored, null when nothing was scored), `recall` per finding (correct
÷ scored inspections with that finding, by the finding's own rule: presence for `none`, the exact
class for a fine finding, the family for a coarse one), `confusion` (finding → answer → count,
non-zero cells only) and `unscored` (each inspection not scored, with its reason). `inspections`
counts the inspections considered.

Reads are batched, never one query per inspection: the inspections (one query), then per 100
units their candidate samples with the fingerprint of their stored verdict, the stored verdict
documents of the chosen samples (per 100 samples), and only for chosen samples without a current
verdict the units and their complete samples (`verdict_store.read_states`, to build the history
windows).
"""

import asyncio
import bisect
import datetime

from shared import db, jsonio
from shared.schema import COARSE_FINDINGS, FINE_FINDINGS, INSPECTION_FINDINGS, NO_FAULT, SAMPLE_GASES

DEFAULT_WINDOW_DAYS = 365
MAX_WINDOW_DAYS = 3650
COMBINED = "combined_verdict"  # the verdict's own `fault.type`, scored beside the methods
NO_ANSWER = "no answer"
REASONS = {
    "no_sample": "no complete DGA sample within the window before the inspection",
    "verdict_unknown": "the verdict leaves fault presence unknown",
    "not_applicable": "the method was not applicable to the sample",
}
# Answers that name the same fine class as a finding.
_FINE_EQUIVALENT = {"T3-H": "T3"}
_FAMILIES = {
    "PD": {"PD"},
    "D1": {"D"}, "D2": {"D"}, "D": {"D"},
    "DT": {"D", "T"},
    "T1": {"T"}, "T2": {"T"}, "T3": {"T"}, "T3-H": {"T"}, "T": {"T"}, "O": {"T"}, "C": {"T"},
}
UNITS_PER_READ = 100
_UNITS = db.FixedInList("u", UNITS_PER_READ)
_SAMPLES = db.FixedInList("s", UNITS_PER_READ)
_CONDITIONS = {"equipment_id": "i.equipment_id = :p_equipment_id", "substation_id": "e.substation_id = :p_substation_id"}
_INSPECTIONS = (
    "SELECT i.id, i.equipment_id, i.inspected_at, i.finding FROM inspection i JOIN equipment e ON e.id = i.equipment_id"
)
_ORDER = " ORDER BY i.equipment_id, i.inspected_at, i.id"
_STORED = f"SELECT sample_id, verdict FROM dga_diagnosis WHERE sample_id IN ({_SAMPLES.sql})"
_GASES_OF = f"SELECT id, {', '.join(SAMPLE_GASES)} FROM dga_sample WHERE id IN ({_SAMPLES.sql})"


# --- the rules: pure functions of inspections and verdicts ---------------------------------------------------


def methods_of(verdict):
    """The names scored in a verdict: `combined_verdict`, then every method whose result has a `fault_type`."""
    return [COMBINED, *(name for name, result in verdict["methods"].items() if "fault_type" in result)]


def answer_of(verdict, method, finding):
    """(answer, why not scored) of `method`, on an inspection with `finding`, of a verdict whose presence is known."""
    absent = verdict["fault"]["present"] is False
    if method == COMBINED:
        return (NO_FAULT if absent else verdict["fault"]["type"] or NO_ANSWER), None
    if finding == NO_FAULT and absent:  # presence only: every method alike (rule 3)
        return NO_FAULT, None
    result = verdict["methods"].get(method)
    if result is None:
        return None, "the verdict holds no result of this method"
    if not result.get("applicable", True):
        return None, result.get("reason") or REASONS["not_applicable"]
    return result["fault_type"] or NO_ANSWER, None


def fine_right(finding, answer):
    """Whether an answer names a fine finding's exact class."""
    return _FINE_EQUIVALENT.get(answer, answer) == finding


def coarse_right(finding, answer):
    """Whether an answer names a class of the finding's family (DT: D or T)."""
    return bool(_FAMILIES.get(finding, set()) & _FAMILIES.get(answer, set()))


class _Tally:
    """Scored and correct counts of one kind of accuracy."""

    def __init__(self):
        self.scored = 0
        self.correct = 0

    def add(self, correct):
        self.scored += 1
        self.correct += int(correct)

    def as_dict(self, rate_name="accuracy"):
        rate = None if not self.scored else round(self.correct / self.scored, 4)
        return {"scored": self.scored, "correct": self.correct, rate_name: rate}


class MethodScore:
    """What one method scored over the inspections."""

    def __init__(self):
        self.presence, self.fine, self.coarse = _Tally(), _Tally(), _Tally()
        self.recall = {}
        self.confusion = {}
        self.unscored = []

    def score(self, inspection, answer):
        """Count one scored inspection (rules 3, 4 and 6)."""
        finding = inspection["finding"]
        if finding == NO_FAULT:
            correct = answer == NO_FAULT
            self.presence.add(correct)
        elif finding in FINE_FINDINGS:
            correct = fine_right(finding, answer)
            self.fine.add(correct)
            self.coarse.add(coarse_right(finding, answer))
        else:
            correct = coarse_right(finding, answer)
            self.coarse.add(correct)
        self.recall.setdefault(finding, _Tally()).add(correct)
        row = self.confusion.setdefault(finding, {})
        row[answer] = row.get(answer, 0) + 1

    def skip(self, inspection, reason, message):
        """Record an inspection the method could not score."""
        self.unscored.append(unscored_entry(inspection, reason, message))

    def as_dict(self):
        order = {finding: position for position, finding in enumerate(INSPECTION_FINDINGS)}
        return {
            "scored": self.presence.scored + self.coarse.scored,
            "presence": self.presence.as_dict(),
            "fine": self.fine.as_dict(),
            "coarse": self.coarse.as_dict(),
            "recall": {finding: self.recall[finding].as_dict("recall")
                       for finding in sorted(self.recall, key=order.get)},
            "confusion": {finding: dict(sorted(self.confusion[finding].items()))
                          for finding in sorted(self.confusion, key=order.get)},
            "unscored": self.unscored,
        }


def unscored_entry(inspection, reason, message):
    """One inspection a method could not score, and why."""
    return {"inspection_id": inspection["id"], "equipment_id": inspection["equipment_id"],
            "inspected_at": inspection["inspected_at"], "finding": inspection["finding"], "reason": reason,
            "message": message}


def score(inspections, verdicts):
    """The per-method scores of `inspections`, each scored on `verdicts[inspection id]`: the verdict on its sample,
    or None when it has none within the window."""
    names = []
    for verdict in verdicts.values():
        if verdict is not None:
            names.extend(name for name in methods_of(verdict) if name not in names)
    methods = {name: MethodScore() for name in names}
    for inspection in inspections:
        verdict = verdicts.get(inspection["id"])
        if verdict is None:
            for method in methods.values():
                method.skip(inspection, "no_sample", REASONS["no_sample"])
            continue
        if verdict["fault"]["present"] is None:
            for method in methods.values():
                method.skip(inspection, "verdict_unknown", REASONS["verdict_unknown"])
            continue
        for name, method in methods.items():
            answer, why_not = answer_of(verdict, name, inspection["finding"])
            if inspection["finding"] == NO_FAULT:  # presence only: a method that does not apply still answers
                method.score(inspection, answer or NO_ANSWER)
            elif why_not is not None:
                method.skip(inspection, "not_applicable", why_not)
            else:
                method.score(inspection, answer)
    return {name: method.as_dict() for name, method in methods.items()}


def last_sample_within(times, samples, moment, window):
    """The last of `samples` (sorted by time, `times` their times) taken in [moment − window, moment], or None."""
    position = bisect.bisect_right(times, moment)
    if position == 0 or times[position - 1] < moment - window:
        return None
    return samples[position - 1]


# --- the reads -------------------------------------------------------------------------------------------


async def build(values):
    """The scorecard of the inspections `values` select (validated query: equipment_id, substation_id, window_days)."""
    window_days = values.get("window_days", DEFAULT_WINDOW_DAYS)
    window = datetime.timedelta(days=window_days)
    clause, binds = db.where(_CONDITIONS, values)
    async with db.connect() as conn:
        inspections = await conn.fetch_all(f"{_INSPECTIONS}{clause}{_ORDER}", binds, large=True)
        chosen = await _chosen_samples(conn, inspections, window)
        verdicts, computed = await _verdicts(conn, chosen)
    scored_on = {inspection_id: None if sample is None else verdicts[sample["id"]]
                 for inspection_id, sample in chosen.items()}
    methods = await asyncio.to_thread(score, inspections, scored_on)
    return {
        "window_days": window_days,
        "inspections": _counts(inspections, scored_on),
        "verdicts": {"stored": len(verdicts) - computed, "computed": computed},
        "methods": methods,
    }


async def inspections_with_samples(window_days=DEFAULT_WINDOW_DAYS):
    """Every inspection with the gases of the sample it is judged by (the rule above), or None: for training a model.

    `python -m tools.train_model --database` learns from these pairs, so a model is trained on
    exactly the samples its scorecard will judge it by.
    """
    window = datetime.timedelta(days=window_days)
    async with db.connect() as conn:
        inspections = await conn.fetch_all(f"{_INSPECTIONS}{_ORDER}", {}, large=True)
        chosen = await _chosen_samples(conn, inspections, window)
        sample_ids = sorted({sample["id"] for sample in chosen.values() if sample is not None})
        gases = {}
        for binds in _SAMPLES.chunks(sample_ids):
            for row in await conn.fetch_all(_GASES_OF, binds, large=True):
                gases[row["id"]] = row
    return [(inspection, None if chosen[inspection["id"]] is None else gases[chosen[inspection["id"]]["id"]])
            for inspection in inspections]


def _counts(inspections, scored_on):
    """How many inspections were considered, by finding, and how many had a sample to score (`scored_on`: as in
    `score`)."""
    by_finding = {}
    for inspection in inspections:
        by_finding[inspection["finding"]] = by_finding.get(inspection["finding"], 0) + 1
    with_sample = sum(verdict is not None for verdict in scored_on.values())
    unknown = sum(verdict is not None and verdict["fault"]["present"] is None for verdict in scored_on.values())
    return {"considered": len(inspections), "with_sample": with_sample,
            "without_sample": len(inspections) - with_sample, "verdict_unknown": unknown,
            "by_finding": {finding: by_finding[finding] for finding in INSPECTION_FINDINGS if finding in by_finding}}


async def _chosen_samples(conn, inspections, window):
    """inspection id → the row (id, equipment_id, sampled_at, fingerprint) of the sample it is scored on, or None."""
    from shared import verdict_store  # the DGA engine and NumPy: only the scorecard of the inspections needs them

    by_unit = {}
    for inspection in inspections:
        by_unit.setdefault(inspection["equipment_id"], []).append(inspection)
    candidates = (
        "SELECT s.id, s.equipment_id, s.sampled_at, d.fingerprint FROM dga_sample s "
        f"LEFT JOIN dga_diagnosis d ON d.sample_id = s.id WHERE s.equipment_id IN ({_UNITS.sql}) "
        f"AND {verdict_store.COMPLETE} AND s.sampled_at BETWEEN :earliest AND :latest ORDER BY s.equipment_id, s.sampled_at"
    )
    chosen = {}
    units = sorted(by_unit)
    for unit_binds in _UNITS.chunks(units):
        chunk = [inspection for unit in set(unit_binds.values()) for inspection in by_unit[unit]]
        times = [inspection["inspected_at"] for inspection in chunk]
        rows = await conn.fetch_all(candidates, {**unit_binds, "earliest": min(times) - window, "latest": max(times)},
                                    large=True)
        samples_by_unit = {}
        for row in rows:
            samples_by_unit.setdefault(row["equipment_id"], []).append(row)
        for inspection in chunk:
            samples = samples_by_unit.get(inspection["equipment_id"], [])
            chosen[inspection["id"]] = last_sample_within([row["sampled_at"] for row in samples], samples,
                                                          inspection["inspected_at"], window)
    return chosen


async def _verdicts(conn, chosen):
    """(sample id → verdict, how many were computed now) for the chosen samples: stored where current, else fresh."""
    from shared import verdict_store

    samples = {sample["id"]: sample for sample in chosen.values() if sample is not None}
    running = verdict_store.fingerprint()
    current = sorted(sample_id for sample_id, sample in samples.items() if sample["fingerprint"] == running)
    verdicts = {}
    for binds in _SAMPLES.chunks(current):
        for row in await conn.fetch_all(_STORED, binds, large=True):
            verdicts[row["sample_id"]] = jsonio.loads(row["verdict"])
    pending = [sample for sample_id, sample in samples.items() if sample_id not in verdicts]
    if pending:
        verdicts.update(await _computed(conn, pending))
    return verdicts, len(pending)


async def _computed(conn, pending):
    """Fresh verdicts of the `pending` samples (no stored verdict, or a stale one), by sample id; nothing is written.

    Each is diagnosed with the complete samples before it, as a stored verdict is (`shared/unit_verdicts.py`).
    """
    from shared import unit_verdicts, verdict_store
    from shared.dga.rows import HISTORY_DEPTH

    by_unit = {}
    for sample in pending:
        by_unit.setdefault(sample["equipment_id"], []).append(sample)
    units, windows = [], []
    for state in await verdict_store.read_states(conn, by_unit, lock=False):
        positions = {sample["id"]: position for position, sample in enumerate(state.samples)}
        for sample in by_unit[state.unit["id"]]:
            position = positions[sample["id"]]
            units.append(state.unit)
            windows.append(state.samples[max(0, position - HISTORY_DEPTH) : position + 1])
    fresh = await asyncio.to_thread(unit_verdicts.fresh_verdicts, units, windows)
    return {window[-1]["id"]: verdict for window, verdict in zip(windows, fresh)}


# --- the answer's schema, for the OpenAPI document --------------------------------------------------------

DESCRIPTION = (
    "Per method (every verdict method that names a fault type, and `combined_verdict`): how often its verdict on "
    "the unit's last complete sample taken within `window_days` (default 365, both ends included) before each "
    "inspection named what was found. A `none` finding scores fault presence only (the verdict's `fault.present` "
    "false is right); a fine finding (PD, D1, D2, DT, T1–T3) scores the exact class (T3-H counts as T3) and its "
    "family; a coarse finding (D, T) the family only. Families: PD; D (D1, D2, D); T (T1, T2, T3, T3-H, T, O, C); "
    "DT belongs to both D and T; S, `none` and `no answer` to none. A fault finding whose verdict says no fault is "
    "a miss (`none`) for `combined_verdict`; a method is scored on its own answer. Not scored: no complete sample within the window (`no_sample`), fault presence "
    "unknown (`verdict_unknown`), the method not applicable to the sample (`not_applicable`, fault findings only). "
    "Verdicts missing or stale in the store are computed now and counted in `verdicts.computed`."
)
_COUNT = {"type": "integer", "minimum": 0}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "correct ÷ scored; null when none was scored."}
_FINDING = {"enum": list(INSPECTION_FINDINGS)}
_TALLY = {"title": "ScoreTally", "type": "object", "properties": {"scored": _COUNT, "correct": _COUNT, "accuracy": _RATE},
          "required": ["scored", "correct", "accuracy"], "additionalProperties": False}
_RECALL = {"title": "ClassRecall", "type": "object", "properties": {"scored": _COUNT, "correct": _COUNT, "recall": _RATE},
           "required": ["scored", "correct", "recall"], "additionalProperties": False}
_UNSCORED = {"title": "UnscoredInspection", "type": "object", "properties": {
    "inspection_id": {"type": "integer", "minimum": 1},
    "equipment_id": {"type": "integer", "minimum": 1},
    "inspected_at": {"type": "string"},
    "finding": _FINDING,
    "reason": {"enum": list(REASONS)},
    "message": {"type": "string"},
}, "required": ["inspection_id", "equipment_id", "inspected_at", "finding", "reason", "message"],
    "additionalProperties": False}
_BY_FINDING = {"type": "object", "propertyNames": _FINDING}
_METHOD = {"title": "MethodScore", "type": "object", "description": (
    "`presence`: the `none` findings, right when the verdict says no fault; `fine`: the fine findings, right for the "
    "exact class; `coarse`: the fine and coarse findings, right for the family."), "properties": {
    "scored": _COUNT,
    "presence": _TALLY,
    "fine": _TALLY,
    "coarse": _TALLY,
    "recall": {**_BY_FINDING, "additionalProperties": _RECALL, "description": "Per finding, by its own rule."},
    "confusion": {**_BY_FINDING, "additionalProperties": {"type": "object", "additionalProperties": {
        "type": "integer", "minimum": 1}}, "description": "Finding → answer (a class, `none` or `no answer`) → count."},
    "unscored": {"type": "array", "items": _UNSCORED},
}, "required": ["scored", "presence", "fine", "coarse", "recall", "confusion", "unscored"], "additionalProperties": False}
SCHEMA = {"title": "Scorecard", "type": "object", "properties": {
    "window_days": {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW_DAYS},
    "inspections": {"title": "ScorecardInspections", "type": "object", "properties": {
        "considered": _COUNT, "with_sample": _COUNT, "without_sample": _COUNT, "verdict_unknown": _COUNT,
        "by_finding": {**_BY_FINDING, "additionalProperties": _COUNT},
    }, "required": ["considered", "with_sample", "without_sample", "verdict_unknown", "by_finding"],
        "additionalProperties": False},
    "verdicts": {"title": "ScorecardVerdicts", "type": "object", "properties": {
        "stored": {**_COUNT, "description": "Verdicts read from the store."},
        "computed": {**_COUNT, "description": "Verdicts missing or stale in the store, computed now (not stored)."},
    }, "required": ["stored", "computed"], "additionalProperties": False},
    "methods": {"type": "object", "additionalProperties": _METHOD},
}, "required": ["window_days", "inspections", "verdicts", "methods"], "additionalProperties": False}

"""Property tests of shared.dga: scale invariance, JSON-safe output, batch path == single path."""

import datetime as dt
import decimal
import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared import dga
from test_dga_engine import assert_json_ready

UTC = dt.timezone.utc
NOW_SECONDS = 1_717_200_000.0  # 2024-06-01 00:00 UTC
RATIO_GASES = dga.RATIO_METHOD_GASES

# Every bound that any ratio or percentage rule compares against.
RULE_BOUNDS = sorted({
    bound
    for rules in (dga.DUVAL_TRIANGLE_1_RULES, dga.IEC_60599_RATIO_RULES, dga.ROGERS_RULES, dga.DOERNENBURG_RULES)
    for rule in rules for bands in rule.when for band in bands.values()
    for bound in (band.low, band.high) if bound is not None
})
# Values that land ratios and percentages exactly on rule bounds and levels exactly on table limits.
BOUNDARY_VALUES = sorted({0.0, 0.0001, 1.0, 2.0, 4.0, 10.0, 13.0, 15.0, 20.0, 23.0, 29.0, 40.0, 50.0, 60.0, 65.0,
                          75.0, 98.0, 100.0, 120.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 1000.0, 2500.0,
                          *(float(v) for table in (dga.IEEE_2019_TABLE_1, dga.IEEE_2019_TABLE_2)
                            for rows in table.values() for row in rows for v in row)})

gas_value = st.one_of(st.just(0.0), st.floats(1e-3, 1e4), st.sampled_from(BOUNDARY_VALUES))
ratio_sample = st.fixed_dictionaries({gas: gas_value for gas in RATIO_GASES})
# No example database: the tests leave nothing behind in the working tree.
FAST = settings(max_examples=150, deadline=None, database=None)


SCALE_FREE_KEYS = {"duval_triangle_1": ("result", "percent"), "iec_60599_ratios": ("result", "matches"),
                   "rogers": ("result", "case")}


def below_typical(verdict):
    """The methods that the trace-level gate silenced (it reads absolute levels, so it is not scale-free)."""
    return {name for name, answer in verdict["methods"].items()
            if (answer.get("reason") or "").startswith("below typical values")}


def interpretation(verdict, skip=()):
    """The scale-free part of a verdict: Duval zone and percentages, IEC and Rogers answers."""
    methods = verdict["methods"]
    return {name: tuple(methods[name][key] for key in keys) for name, keys in SCALE_FREE_KEYS.items()
            if name not in skip}


def assert_same_interpretation(sample, factor):
    """The methods that answer at both scales answer the same; scaling up never silences a method."""
    low, high = (dga.diagnose(s) for s in sorted((sample, scaled(sample, factor)), key=lambda s: sum(s.values())))
    assert below_typical(high) <= below_typical(low)
    skip = below_typical(low)
    assert interpretation(low, skip) == interpretation(high, skip)


def scaled(sample, factor):
    """Every gas multiplied by factor."""
    return {gas: value * factor for gas, value in sample.items()}


@FAST
@given(ratio_sample, st.integers(-30, 6))
def test_scaling_by_a_power_of_two_never_changes_zone_or_ratio_results(sample, exponent):
    # 2**k scaling is exact in binary floating point, so every ratio and percentage is bit-identical.
    assert_same_interpretation(sample, 2.0 ** exponent)


def _quantities(sample):
    """The ratios and Duval percentages the rules compare, as computed in exact decimal-free floats."""
    values = [sample[a] / sample[b] for a, b in dga.RATIOS.values() if sample[b] > 0]
    total = sample["ch4"] + sample["c2h4"] + sample["c2h2"]
    if total > 0:
        values += [100.0 * sample[gas] / total for gas in dga.DUVAL_GASES]
    return values


def _far_from_bounds(sample):
    """No ratio or percentage within a relative 1e-9 of a rule bound."""
    return all(abs(value - bound) > 1e-9 * max(abs(bound), 1e-300)
               for value in _quantities(sample) for bound in RULE_BOUNDS)


@FAST
@given(st.fixed_dictionaries({gas: st.one_of(st.just(0.0), st.floats(1e-2, 900.0)) for gas in RATIO_GASES}),
       st.floats(1e-3, 1e3))
def test_scaling_by_any_positive_factor_keeps_results_away_from_bounds(sample, factor):
    # With a factor that is not a power of two, rounding can move a ratio that sits exactly on a bound
    # by one ulp, so the property holds for every sample whose ratios are not within 1e-9 of a bound.
    assume(_far_from_bounds(sample))
    assert_same_interpretation(sample, factor)


@FAST
@given(ratio_sample, st.integers(-12, 6))
def test_doernenburg_ratio_outcome_is_scale_free_when_both_samples_pass_validity(sample, exponent):
    # Validity depends on absolute levels (L1), so scaling may switch it; the ratio-table outcome may not.
    low, high = sorted((sample, scaled(sample, 2.0 ** exponent)), key=lambda s: sum(s.values()))
    low_answer, high_answer = (dga.diagnose(s)["methods"]["doernenburg"] for s in (low, high))
    if low_answer["applicable"] and high_answer["applicable"]:
        assert low_answer["result"] == high_answer["result"]
    # Both validity steps only ask "is a gas above a limit", so scaling up never loses validity.
    assert not low_answer["applicable"] or high_answer["applicable"]


wild_value = st.one_of(
    st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**400), 10**400), st.booleans(),
    st.text(max_size=3), st.decimals(allow_nan=True, allow_infinity=True), gas_value,
)
wild_time = st.one_of(st.none(), wild_value, st.datetimes(timezones=st.sampled_from([UTC, None])))
wild_sample = st.dictionaries(st.sampled_from(dga.SAMPLE_FIELDS + ("sampled_at",)), wild_value)


@settings(max_examples=200, deadline=None, database=None)
@given(wild_sample, st.lists(st.dictionaries(st.sampled_from(dga.GASES + ("sampled_at",)), wild_value), max_size=7),
       wild_value, st.one_of(st.none(), st.sampled_from(dga.OIL_PRESERVATIONS), st.text(max_size=3)), wild_time)
def test_output_is_json_ready_and_finite_for_any_input(sample, history, age, preservation, sampled_at):
    verdict = dga.diagnose({**sample, "sampled_at": sampled_at}, history=history, age_years=age,
                           oil_preservation=preservation)
    assert_json_ready(verdict)


# --- batch path == single path ------------------------------------------------------------

MONTH = dga.MONTH_SECONDS
# Gaps before the current sample that sit on and beside the Table 4 window edges.
HISTORY_GAPS = [1.0, 86_400.0, 2 * MONTH, 4 * MONTH - 1, 4 * MONTH, 4 * MONTH + 1, 9 * MONTH, 9 * MONTH + 1,
                24 * MONTH, 24 * MONTH + 1, 30 * MONTH]
DUVAL_EDGES = [0.0, 2.0, 4.0, 13.0, 15.0, 20.0, 23.0, 29.0, 40.0, 50.0]
AGES = [None, math.nan, -1.0, 0.0, 0.5, 9.99, 10.0, 30.0, 30.01, 45.0]


def _random_value(rng):
    """A gas value drawn to hit ordinary, boundary, zero, placeholder and invalid cases."""
    kind = rng.random()
    if kind < 0.45:
        return float(np.round(rng.lognormal(3.0, 2.0), 2))
    if kind < 0.75:
        return float(rng.choice(BOUNDARY_VALUES))
    if kind < 0.83:
        return 0.0
    if kind < 0.86:
        return 0.0001
    if kind < 0.93:
        return math.nan
    return float(rng.choice([-1.0, -0.0, math.inf, -math.inf, 2e6]))


def _random_case(rng):
    """(sample, history, age, preservation) for one unit, with times as whole epoch seconds."""
    now = NOW_SECONDS + float(rng.integers(0, 10**7))
    sample = {field: _random_value(rng) for field in dga.SAMPLE_FIELDS}
    if rng.random() < 0.25:  # a healthy unit: every gas within the lowest Table 1 limit
        sample.update({gas: float(np.round(rng.uniform(0, min(np.ravel(dga.IEEE_2019_TABLE_1[gas]))), 1))
                       for gas in dga.GASES})
    if rng.random() < 0.15:  # a point on Duval zone edges: percentages are exact because they sum to 100
        sample["c2h4"], sample["c2h2"] = float(rng.choice(DUVAL_EDGES)), float(rng.choice(DUVAL_EDGES))
        sample["ch4"] = max(0.0, 100.0 - sample["c2h4"] - sample["c2h2"])
    if rng.random() < 0.3:
        sample["o2"], sample["n2"] = 10000.0 + float(rng.integers(-1, 2)), 50000.0  # O2/N2 around 0.2
    sample["sampled_at"] = now if rng.random() > 0.05 else None
    history = []
    for _ in range(int(rng.integers(0, 8))):
        gap = float(rng.choice(HISTORY_GAPS)) if rng.random() < 0.5 else float(rng.integers(-10**6, 10**8))
        entry = {gas: _random_value(rng) for gas in dga.GASES}
        entry["sampled_at"] = None if rng.random() < 0.05 else now - round(gap)
        if rng.random() < 0.3 and history:  # repeat the previous values: constant series and equal deltas
            entry.update({gas: history[-1][gas] for gas in dga.GASES})
        history.append(entry)
    age = AGES[int(rng.integers(len(AGES)))] if rng.random() < 0.7 else float(rng.uniform(0, 60))
    preservation = [None, "sealed", "free_breathing", "conservator"][int(rng.integers(4))]
    return sample, history, age, preservation


def _as_single_input(sample, history):
    """The dict-path form: times as datetimes or numbers, NaN as None or NaN."""
    def when(seconds, index):
        if seconds is None or index % 2:
            return seconds
        return dt.datetime.fromtimestamp(seconds, UTC)

    def value(number, index):
        return None if (isinstance(number, float) and math.isnan(number) and index % 3 == 0) else number

    single = {key: value(v, i) for i, (key, v) in enumerate(sample.items()) if key != "sampled_at"}
    single["sampled_at"] = when(sample["sampled_at"], 0)
    past = [{**{gas: value(entry[gas], i) for gas in dga.GASES}, "sampled_at": when(entry["sampled_at"], i)}
            for i, entry in enumerate(history)]
    return single, past


def _as_batch_input(cases):
    """The array-path form of many cases."""
    n, depth = len(cases), max([len(history) for _, history, _, _ in cases] + [0])
    nan = float("nan")
    gases = {field: np.array([sample[field] for sample, *_ in cases], float) for field in dga.SAMPLE_FIELDS}
    history_times = np.full((n, depth), nan)
    history_gases = {gas: np.full((n, depth), nan) for gas in dga.GASES}
    for i, (_, history, _, _) in enumerate(cases):
        for j, entry in enumerate(history):
            history_times[i, j] = nan if entry["sampled_at"] is None else entry["sampled_at"]
            for gas in dga.GASES:
                history_gases[gas][i, j] = entry[gas]
    return dict(
        gases=gases,
        age_years=np.array([nan if age is None else age for *_, age, _ in cases], float),
        oil_preservation=[preservation for *_, preservation in cases],
        sample_times=np.array([nan if sample["sampled_at"] is None else sample["sampled_at"]
                               for sample, *_ in cases], float),
        history_times=history_times,
        history_gases=history_gases,
    )


def _assert_batch_equals_single(cases):
    """diagnose_batch()[i] == diagnose(case i) for every case."""
    batch = dga.diagnose_batch(**_as_batch_input(cases))
    assert len(batch) == len(cases)
    for (sample, history, age, preservation), from_batch in zip(cases, batch):
        single, past = _as_single_input(sample, history)
        assert dga.diagnose(single, history=past, age_years=age, oil_preservation=preservation) == from_batch


def test_batch_equals_single_on_thousands_of_random_samples_with_edges_and_histories():
    rng = np.random.default_rng(20240601)
    cases = [_random_case(rng) for _ in range(3000)]
    _assert_batch_equals_single(cases)
    statuses = {verdict["methods"]["ieee_c57_104_2019"]["status"] for verdict in dga.diagnose_batch(
        **_as_batch_input(cases))}
    assert statuses == {None, 1, 2, 3}  # the data reaches every branch


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=25))
def test_batch_equals_single_for_generated_batches(seeds):
    _assert_batch_equals_single([_random_case(np.random.default_rng(seed)) for seed in seeds])


def test_columnar_form_matches_the_dicts():
    rng = np.random.default_rng(5)
    cases = [_random_case(rng) for _ in range(200)]
    inputs = _as_batch_input(cases)
    columns = dga.diagnose_batch(**inputs, columnar=True)
    assert all(len(values) == len(cases) for values in columns.values())
    assert dga.verdicts_from_columns(columns) == dga.diagnose_batch(**inputs)
    verdicts = dga.verdicts_from_columns(columns)
    assert [dga.SEVERITIES[level] for level in columns["severity"]] == [v["fault"]["severity"] for v in verdicts]


def test_decimal_and_numpy_inputs_match_floats():
    sample = {"h2": 120.5, "ch4": 40.25, "c2h6": 12.0, "c2h4": 70.0, "c2h2": 3.5, "co": 400.0, "co2": 3000.0}
    as_decimal = {gas: decimal.Decimal(str(value)) for gas, value in sample.items()}
    as_numpy = {gas: np.float64(value) for gas, value in sample.items()}
    assert dga.diagnose(sample) == dga.diagnose(as_decimal) == dga.diagnose(as_numpy)


# --- the verdict hierarchy -------------------------------------------------------------

def _random_fleet(seed, count):
    """`count` samples whose gases span trace to fault levels, with zeros, in every proportion."""
    rng = np.random.default_rng(seed)
    return {gas: rng.choice([0.0, 1.0, 10.0, 100.0, 1000.0], count) * rng.random(count) for gas in dga.GASES}


def test_the_type_is_triangle_1s_zone_or_a_refinement_inside_it_on_thousands_of_random_samples():
    from shared.dga import verdict as verdict_module

    refiners = {name: after for name, _, _, after in verdict_module.REFINING_METHODS}
    verdicts = dga.diagnose_batch(_random_fleet(11, 4000))
    refined = 0
    for verdict in verdicts:
        fault, triangle = verdict["fault"], verdict["methods"]["duval_triangle_1"]
        if not fault["present"] or triangle["fault_type"] is None:
            assert fault["refinement"] is None
            continue
        assert fault["type"] == triangle["fault_type"] and fault["agreement"]["basis"] == "duval_triangle_1"
        refinement = fault["refinement"]
        if refinement is None:
            continue
        refined += 1
        assert triangle["result"] in refiners[refinement["method"]]  # the refiner applies after this zone ...
        assert refinement["type"] in verdict_module.REFINEMENTS[triangle["result"]]  # ... and names a class inside it
        assert verdict["methods"][refinement["method"]]["fault_type"] == refinement["type"]
    assert refined > 100  # the property was exercised, not vacuous


def test_a_method_later_in_the_hierarchy_is_the_basis_only_when_every_earlier_one_names_nothing():
    names = [name for name, *_ in dga.AGREEMENT_METHODS]
    for verdict in dga.diagnose_batch(_random_fleet(12, 4000)):
        basis = verdict["fault"]["agreement"]["basis"]
        if basis is None:
            continue
        earlier = names[:names.index(basis)]
        assert all(verdict["methods"][name]["fault_type"] is None for name in earlier), verdict["methods"]
        assert basis in verdict["fault"]["agreement"]["supporting"]

"""One unit's verdicts read back from DGA_DIAGNOSIS: the latest (as of a date) and pages of its series.

Every complete sample is read with its stored verdict, if any (`dga_sample` LEFT JOIN
`dga_diagnosis` on the sample id, through the unit's sample index), so a page costs its own
length. A sample without a stored verdict (pending: written straight into the database) is
diagnosed on the fly from the HISTORY_DEPTH samples before it, exactly as the stored verdict
would be (`shared/dga/rows.py`), and nothing is written: reading one unit stays a read. A stale
verdict (another engine fingerprint) is served as stored, flagged `stale`, until
`tools.rediagnose` rewrites it.
"""

import asyncio
import datetime

from shared import dga, jsonio, verdict_store
from shared.dga.rows import HISTORY_DEPTH, diagnose_windows
from shared.fleet import provenance

SAMPLE_COLUMNS = ("id", "equipment_id", "sampled_at", *dga.SAMPLE_FIELDS)
# The unit's complete samples, each with its stored verdict's provenance and document (NULL when pending).
SAMPLES_WITH_VERDICTS = (
    f"SELECT {', '.join('s.' + name for name in SAMPLE_COLUMNS)}, d.engine_version, d.fingerprint, d.diagnosed_at, "
    "d.verdict FROM dga_sample s LEFT JOIN dga_diagnosis d ON d.sample_id = s.id "
    f"WHERE s.equipment_id = :id AND {verdict_store.COMPLETE}"
)
UNIT_SAMPLES = (f"SELECT {', '.join('s.' + name for name in SAMPLE_COLUMNS)} FROM dga_sample s "
                f"WHERE s.equipment_id = :id AND {verdict_store.COMPLETE}")
NO_VERDICT = {"engine_version": None, "diagnosed_at": None, "stale": False}  # the provenance of no verdict at all
POINT_FIELDS = ("sample_id", "sampled_at", "dga_status", "fault_type", "severity", "health_index", "duval_point",
                "engine_version", "diagnosed_at", "stale", "duval_zone", "pentagon_point", "pentagon_zone")


def sample_summary(sample):
    """A sample as the API shows it (no engine internals)."""
    return {key: sample[key] for key in ("id", "sampled_at", *dga.SAMPLE_FIELDS)}


def fresh_provenance(moment):
    """The provenance of a verdict computed now by the running engine."""
    return {"engine_version": dga.ENGINE_VERSION, "diagnosed_at": moment, "stale": False}


def fresh_verdicts(units, windows):
    """The running engine's verdict on the last sample of each window (the sample and up to HISTORY_DEPTH complete
    samples before it, oldest first), for the unit beside it: what a stored verdict holds. Runs in a worker thread."""
    return dga.verdicts_from_columns(diagnose_windows(units, windows))


def verdicts(unit, samples, earlier=()):
    """(verdict, provenance) of each of `samples` (oldest first, with their stored columns): the stored one where
    there is one, else a fresh computation from the samples before it (`earlier`: up to HISTORY_DEPTH samples
    preceding the first). Runs in a worker thread."""
    window_source = list(earlier) + list(samples)
    missing = [position for position, sample in enumerate(samples) if sample["verdict"] is None]
    computed = {}
    if missing:
        offset = len(earlier)
        windows = [window_source[max(0, offset + position - HISTORY_DEPTH) : offset + position + 1]
                   for position in missing]
        fresh = fresh_verdicts([unit] * len(windows), windows)
        now = datetime.datetime.now(datetime.timezone.utc)
        computed = {position: (verdict, fresh_provenance(now)) for position, verdict in zip(missing, fresh)}
    return [
        computed[position] if position in computed else (jsonio.loads(sample["verdict"]), provenance(sample))
        for position, sample in enumerate(samples)
    ]


def history_point(sample, verdict, about):
    """One point of the verdict series, compact enough to plot."""
    # A stale verdict stored by engine 1.0.0 has no pentagon: its fields are null until tools.rediagnose runs.
    triangle, pentagon = (verdict["methods"].get(method, {}) for method in ("duval_triangle_1", "duval_pentagon_1"))
    return {
        "sample_id": sample["id"],
        "sampled_at": sample["sampled_at"],
        "dga_status": verdict["methods"]["ieee_c57_104_2019"]["status"],
        "fault_type": verdict["fault"]["type"],
        "severity": verdict["fault"]["severity"],
        "health_index": verdict["health_index"]["value"],
        "duval_point": triangle.get("point"),
        **about,
        # Added after the fields above (a CSV export's columns keep their places): what the dashboard plots.
        "duval_zone": triangle.get("result"),
        "pentagon_point": pentagon.get("point"),
        "pentagon_zone": pentagon.get("result"),
    }


def series(unit, samples, earlier=()):
    """The history points of `samples` (see `verdicts`). Runs in a worker thread."""
    return [history_point(sample, verdict, about) for sample, (verdict, about) in
            zip(samples, verdicts(unit, samples, earlier))]


class SeriesShaper:
    """Rows of SAMPLES_WITH_VERDICTS (oldest first) → history points, batch after batch, for a streamed export.

    It keeps the last HISTORY_DEPTH samples of each batch, so a pending sample at the start of a
    batch is diagnosed with the same window as in a page.
    """

    def __init__(self, unit):
        self._unit = unit
        self._earlier = []

    def __call__(self, rows):
        points = series(self._unit, rows, self._earlier)
        self._earlier = (self._earlier + list(rows))[-HISTORY_DEPTH:]
        return points


async def latest_verdict(conn, unit, at_clause, binds):
    """(latest complete sample, its verdict, its provenance), from the store or computed now; Nones without one."""
    latest = await conn.fetch_all(f"{SAMPLES_WITH_VERDICTS}{at_clause} ORDER BY s.sampled_at DESC",
                                  {**binds, "limit": 1, "offset": 0}, paged=True)
    if not latest:
        return None, None, NO_VERDICT
    if latest[0]["verdict"] is None:  # pending: its window is the latest sample and the HISTORY_DEPTH before it
        window = await conn.fetch_all(f"{UNIT_SAMPLES}{at_clause} ORDER BY s.sampled_at DESC",
                                      {**binds, "limit": HISTORY_DEPTH + 1, "offset": 0}, paged=True)
        latest = [{**sample, "verdict": None} for sample in window[:1]]
        verdict, about = (await asyncio.to_thread(verdicts, unit, latest, window[:0:-1]))[0]
        return latest[0], verdict, about
    verdict, about = (await asyncio.to_thread(verdicts, unit, latest))[0]
    return latest[0], verdict, about

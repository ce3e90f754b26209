"""The soak's verdict: every acknowledged write compared with what the database file holds afterwards."""

import collections
import dataclasses
import datetime
import sqlite3

from bench.soak.ledger import GASES, acknowledged


@dataclasses.dataclass
class Verdict:
    """What the stored data says about the acknowledged writes."""

    lost: collections.Counter  # acknowledged writes whose effect is missing, by kind
    lost_samples: int
    partial: int
    integrity: str

    @property
    def failed(self):
        """True when anything acknowledged was lost, a batch was split, or the file is damaged."""
        return sum(self.lost.values()) > 0 or self.partial > 0 or self.integrity != "ok"


def verify(database, ledgers):
    """Compare every acknowledged write of the ledgers with the database file (no server running)."""
    stored, units, integrity = _stored(database)
    deleted = {d.lab for ledger in ledgers for d in ledger.deletes if acknowledged(d)}
    # A sample whose DELETE went unanswered may or may not be stored: it proves nothing either way.
    uncertain = deleted | {d.lab for ledger in ledgers for d in ledger.deletes if d.status is None}
    lost, lost_samples, partial = collections.Counter(), 0, 0
    for batch in (batch for ledger in ledgers for batch in ledger.batches):
        checked = [sample for sample in batch.samples if sample["lab"] not in uncertain]
        present = [sample for sample in checked if stored.get(sample["lab"]) == _row_of(sample)]
        if 0 < len(present) < len(checked):
            partial += 1
        if acknowledged(batch):
            lost_samples += len(checked) - len(present)
            if checked and not present:
                lost["POST"] += 1
    lost["DELETE"] = len(deleted & stored.keys())
    lost["PATCH"] = sum(units.get(unit) not in allowed for unit, allowed in _patch_outcomes(ledgers).items())
    return Verdict(lost, lost_samples, partial, integrity)


def _row_of(sample):
    """A sent sample as the database stores it."""
    return (sample["equipment_id"], sample["sampled_at"].replace(tzinfo=None), *(sample[g] for g in GASES))


def _stored(database):
    """The soak's stored samples by label, each unit's manufacturer, and the integrity check's answer."""
    try:
        connection = sqlite3.connect(f"file:{database}?mode=rw", uri=True)
    except sqlite3.Error as exc:
        return {}, {}, f"cannot open the database: {exc}"
    try:
        integrity = "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
        samples = {
            lab: (unit, datetime.datetime.fromisoformat(at), *gases)
            for lab, unit, at, *gases in connection.execute(
                f"SELECT lab, equipment_id, sampled_at, {', '.join(GASES)} FROM dga_sample WHERE lab LIKE 'soak %'"
            )
        }
        units = dict(connection.execute("SELECT id, manufacturer FROM equipment"))
        return samples, units, integrity
    except sqlite3.Error as exc:
        return {}, {}, f"cannot read the database: {exc}"
    finally:
        connection.close()


def _patch_outcomes(ledgers):
    """Each unit with an acknowledged PATCH: the values it may hold (its last acknowledged, or a later unanswered)."""
    outcomes = {}
    for patches in (ledger.patches for ledger in ledgers):
        for unit in {p.unit for p in patches}:
            mine = [p for p in patches if p.unit == unit]
            last = max((index for index, p in enumerate(mine) if acknowledged(p)), default=None)
            if last is not None:
                outcomes[unit] = {mine[last].value} | {p.value for p in mine[last + 1 :] if p.status is None}
    return outcomes

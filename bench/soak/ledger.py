"""What each soak client sent and what it was told: the records the verdict and the report read."""

import collections
import dataclasses

from shared import dga

GASES = dga.SAMPLE_FIELDS  # every gas a sample carries, as the engine names them
NO_ANSWER = "no answer"


@dataclasses.dataclass
class Batch:
    """A POST /measurements batch: the samples sent and the status answered (None: no answer)."""

    samples: list
    status: int | None = None


@dataclasses.dataclass
class Patch:
    """A PATCH /equipment/<unit> setting `manufacturer` to `value`."""

    unit: int
    value: str
    status: int | None = None


@dataclasses.dataclass
class Delete:
    """A DELETE /measurements/<id> of the sample with the `lab` label."""

    lab: str
    sample_id: int
    status: int | None = None


@dataclasses.dataclass
class Ledger:
    """What one client sent and what it was told, in order."""

    batches: list = dataclasses.field(default_factory=list)
    patches: list = dataclasses.field(default_factory=list)
    deletes: list = dataclasses.field(default_factory=list)
    answers: collections.Counter = dataclasses.field(default_factory=collections.Counter)  # (operation, status)
    error_times: list = dataclasses.field(default_factory=list)  # seconds into the run of each non-2xx or no answer
    lookups_missing: int = 0  # acknowledged samples a later GET did not find


def acknowledged(write):
    """True when the server answered the write with 2xx."""
    return write.status is not None and 200 <= write.status < 300

"""Soak: clients read and write a real server on loopback while faults hit it; nothing acknowledged may be lost.

    python -m bench.soak [--seconds 60] [--clients 16] [--faults lock,move,kill] [--seed 1] [--workdir DIR]

A fresh demo SQLite database in a temporary directory is served by `functions-framework
--target=api` (started the way the test suite does, `tests/conftest.start_server`). The
clients (threads, one keep-alive HTTP connection each) mix reads (lists, items, diagnoses
and one page of a unit's diagnosis history) and writes: POST /measurements batches of 1-20
samples whose (equipment_id, sampled_at) and `lab` are unique to the run, PATCH /equipment
with If-Match (each unit belongs to one client, so "its last acknowledged PATCH" is defined),
and DELETE of samples the client wrote. Meanwhile, each minute of the run (or once, scaled to
a shorter run) the faults strike, one after the other:

- lock: another process holds SQLite's write lock (BEGIN IMMEDIATE) for a few seconds;
- move: the main database file is renamed away, and back a few seconds later;
- kill: the server's process group gets SIGKILL, and a new server starts on the same file.

Every write is recorded with what it sent and what it got back: 2xx is acknowledged; no
answer (connection refused or reset) leaves its outcome unknown. Afterwards the server is
killed and the file is read directly: every acknowledged sample must be stored with its values
(unless an acknowledged DELETE removed it), every acknowledged DELETE's sample must be absent,
each unit must hold its last acknowledged PATCH (or a later one whose answer was lost), no
batch, acknowledged or not, may be partly stored, and `PRAGMA integrity_check` must say ok.
The exit status is 1 when any of that fails, 2 when the soak itself could not run. With
`--workdir`, the database and the server's stderr (`server.log`) stay there for a post-mortem.
"""

import argparse
import collections
import dataclasses
import datetime
import http.client
import itertools
import json
import os
import pathlib
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

with warnings.catch_warnings():  # conftest's test-client import warns; the soak does not use it
    warnings.simplefilter("ignore")
    from conftest import kill_server, start_server  # noqa: E402 - the test suite's server starter, reused

API_KEY = "soak-write-key-0123456789"
GASES = ("h2", "ch4", "c2h6", "c2h4", "c2h2", "co", "co2", "o2", "n2")
FAULTS = ("lock", "move", "kill")
FAULT_CYCLE_S = 60  # the faults strike once per minute of the run
FAULT_AT = {"lock": 0.15, "move": 0.40, "kill": 0.65}  # when, as a fraction of the cycle
REQUEST_TIMEOUT_S = 30  # longer than any wait the server may impose (its busy timeout is 10 s at most)
BACKOFF_S = 0.2  # a client's pause after a 5xx or no answer, as Retry-After asks
BUSY_TIMEOUT_MS = "2000"  # shorter than the lock fault, so that fault meets 503s and not only slow writes
FIRST_SAMPLE_AT = datetime.datetime(2040, 1, 1, tzinfo=datetime.timezone.utc)  # later than every demo sample
LOCK_SCRIPT = (
    "import sqlite3, sys, time\n"
    "connection = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)\n"
    "connection.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "connection.execute('ROLLBACK')\n"
)
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


class Server:
    """The service under test: one functions-framework process group on a fixed loopback port."""

    def __init__(self, database, log):
        self.database = database
        self.port = _free_port()
        self._log = log
        self._process = None

    def start(self):
        """Start the server and wait until it answers; its stderr goes to the log file."""
        self._process = start_server("api", self.database, self.port, SEDA_API_KEYS=API_KEY,
                                     SEDA_SQLITE_BUSY_TIMEOUT_MS=BUSY_TIMEOUT_MS)
        threading.Thread(target=_copy_lines, args=(self._process.stderr, self._log), daemon=True).start()

    def kill(self):
        """SIGKILL the server's process group."""
        kill_server(self._process)


class Client(threading.Thread):
    """One client: a random mix of reads and writes on its own connection until the deadline."""

    def __init__(self, number, clients, port, units, started, seconds, seed, sample_numbers):
        super().__init__(name=f"soak-client-{number}", daemon=True)
        self.number = number
        self.port = port
        self.units = units
        self.own_units = [unit for unit in units if unit % clients == number]
        self.started = started
        self.deadline = started + seconds
        self.random = random.Random(seed * 1000 + number)
        self.sample_numbers = sample_numbers  # shared itertools.count: unique labels and times
        self.ledger = Ledger()
        self.connection = None
        self.etags = {}
        self.undeleted = []  # acknowledged samples this client may delete

    def run(self):
        """Pick and run operations until the deadline."""
        operations = (self.read, self.post_batch, self.patch, self.delete)
        while time.monotonic() < self.deadline:
            self.random.choices(operations, weights=(60, 20, 10, 10))[0]()

    def request(self, method, path, body=None, headers=None):
        """(status, headers, JSON body) of one request, counted by method; (None, {}, None) when no answer came."""
        headers = {"X-API-Key": API_KEY, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            self.ledger.answers[method, NO_ANSWER] += 1
            self.ledger.error_times.append(time.monotonic() - self.started)
            time.sleep(BACKOFF_S)
            return None, {}, None
        self.ledger.answers[method, response.status] += 1
        if response.status >= 300:
            self.ledger.error_times.append(time.monotonic() - self.started)
        if response.status >= 500:
            time.sleep(BACKOFF_S)
        is_json = response.getheader("content-type", "").startswith("application/json")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(payload) if is_json else None

    def read(self):
        """One of the reads a dashboard makes."""
        unit = self.random.choice(self.units)
        path = self.random.choice((
            "/api/v1/substations",
            "/api/v1/equipment?limit=50",
            f"/api/v1/equipment/{unit}",
            f"/api/v1/measurements?equipment_id={unit}&limit=100",
            "/api/v1/diagnoses?limit=20",
            f"/api/v1/diagnoses/{unit}",
            f"/api/v1/diagnoses/{unit}?history=true&limit=50",
        ))
        self.request("GET", path)

    def post_batch(self):
        """POST 1-20 new samples with unique keys; remember them and what the server said."""
        batch = Batch([self.new_sample() for _ in range(self.random.randint(1, 20))])
        wire = [{**sample, "sampled_at": sample["sampled_at"].strftime("%Y-%m-%dT%H:%M:%SZ")} for sample in batch.samples]
        batch.status, _, _ = self.request("POST", "/api/v1/measurements", wire)
        self.ledger.batches.append(batch)
        if acknowledged(batch):
            self.undeleted.extend(batch.samples)

    def new_sample(self):
        """A sample no other request sends: its number gives its label and its time."""
        number = next(self.sample_numbers)
        gases = {gas: self.random.randint(0, 500_000) / 100 for gas in GASES}
        return {
            "equipment_id": self.random.choice(self.units),
            "sampled_at": FIRST_SAMPLE_AT + datetime.timedelta(minutes=number),
            **gases,
            "lab": f"soak {number}",
        }

    def patch(self):
        """PATCH one of the client's own units with If-Match, after a GET when its ETag is not known."""
        if not self.own_units:  # more clients than units
            return
        unit = self.random.choice(self.own_units)
        if unit not in self.etags:
            status, headers, _ = self.request("GET", f"/api/v1/equipment/{unit}")
            if status != 200:
                return
            self.etags[unit] = headers["etag"]
        patch = Patch(unit, f"soak client {self.number} write {len(self.ledger.patches)}")
        patch.status, headers, _ = self.request(
            "PATCH", f"/api/v1/equipment/{unit}", {"manufacturer": patch.value},
            {"If-Match": self.etags.pop(unit)},
        )
        self.ledger.patches.append(patch)
        if patch.status == 200:
            self.etags[unit] = headers["etag"]

    def delete(self):
        """DELETE one acknowledged sample of this client, found by its key."""
        if not self.undeleted:
            return
        sample = self.undeleted.pop(self.random.randrange(len(self.undeleted)))
        at = urllib.parse.quote(sample["sampled_at"].strftime("%Y-%m-%dT%H:%M:%SZ"))
        status, _, rows = self.request(
            "GET", f"/api/v1/measurements?equipment_id={sample['equipment_id']}&from={at}&to={at}"
        )
        if status != 200:
            self.undeleted.append(sample)
            return
        found = [row for row in rows if row["lab"] == sample["lab"]]
        if not found:
            self.ledger.lookups_missing += 1
            return
        delete = Delete(sample["lab"], found[0]["id"])
        delete.status, _, _ = self.request("DELETE", f"/api/v1/measurements/{delete.sample_id}")
        self.ledger.deletes.append(delete)


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


def fault_schedule(seconds, faults):
    """(seconds after the start, fault) for every fault of every cycle of the run, in order."""
    cycle = min(FAULT_CYCLE_S, seconds)
    return sorted(
        (start + FAULT_AT[fault] * cycle, fault)
        for start in range(0, int(seconds - cycle) + 1, FAULT_CYCLE_S)
        for fault in faults
    )


def inject(fault, server, seconds):
    """Make the fault happen for real; a sentence saying what was done."""
    hold = max(1.0, min(6.0, seconds * 0.08))
    if fault == "lock":
        locker = subprocess.Popen([sys.executable, "-c", LOCK_SCRIPT, server.database, str(hold)],
                                  stdout=subprocess.PIPE, text=True)
        asked = time.monotonic()
        locker.stdout.readline()
        waited = time.monotonic() - asked
        locker.wait(timeout=hold + 70)
        return f"write lock held by another process for {hold:.1f} s (after waiting {waited:.1f} s for it)"
    if fault == "move":
        away = max(1.0, min(3.0, seconds * 0.05))
        moved = f"{server.database}.moved"
        os.rename(server.database, moved)
        time.sleep(away)
        os.rename(moved, server.database)
        return f"database file moved away for {away:.1f} s, then back"
    started = time.monotonic()
    server.kill()
    server.start()
    return f"server killed (SIGKILL of its process group) and restarted, down {time.monotonic() - started:.1f} s"


def soak(seconds, clients, faults, seed, workdir):
    """Run the soak in `workdir`; the ledgers, the fault log and the verdict."""
    database = str(workdir / "seda.sqlite3")
    with open(workdir / "server.log", "w") as log:
        server = Server(database, log)
        server.start()  # the first start creates the demo database
        units = [row[0] for row in sqlite3.connect(database).execute("SELECT id FROM equipment ORDER BY id")]
        started = time.monotonic()
        numbers = itertools.count()
        workers = [Client(n, clients, server.port, units, started, seconds, seed, numbers) for n in range(clients)]
        for worker in workers:
            worker.start()
        events = []
        for at, fault in fault_schedule(seconds, faults):
            time.sleep(max(0.0, started + at - time.monotonic()))
            events.append((time.monotonic() - started, inject(fault, server, seconds)))
        for worker in workers:
            worker.join(timeout=max(0.0, started + seconds - time.monotonic()) + REQUEST_TIMEOUT_S + 5)
        server.kill()
    ledgers = [worker.ledger for worker in workers]
    return ledgers, events, verify(database, ledgers)


def report(seconds, clients, ledgers, events, verdict):
    """The soak's table: the faults, the answers by operation and status, and the verdict."""
    lines = [f"soak: {seconds} s, {clients} clients, loopback", "", "faults:"]
    lines += [f"  {at:6.1f} s  {what}" for at, what in events] or ["  none"]
    lines += ["", *_answers_table(ledgers)]
    lines.append(f"errors per tenth of the run: {' '.join(map(str, _per_tenth(ledgers, seconds)))}")
    return "\n".join([*lines, "", *_verdict_lines(ledgers, verdict)])


def _answers_table(ledgers):
    """Requests sent, 2xx and errors by status, per method and in total."""
    answers = sum((ledger.answers for ledger in ledgers), collections.Counter())
    rows = [f"{'operation':<10}{'sent':>8}{'2xx':>8}  errors by status"]
    for operation in ("GET", "POST", "PATCH", "DELETE", "total"):
        sent, errors = 0, collections.Counter()
        for (method, status), count in answers.items():
            if operation in (method, "total"):
                sent += count
                if status == NO_ANSWER or status >= 300:
                    errors[status] += count
        shown = ", ".join(f"{status}: {count}" for status, count in sorted(errors.items(), key=str)) or "-"
        rows.append(f"{operation:<10}{sent:>8}{sent - sum(errors.values()):>8}  {shown}")
    return rows


def _verdict_lines(ledgers, verdict):
    """What was acknowledged, and what of it was lost or split."""
    batches = [b for ledger in ledgers for b in ledger.batches]
    patches = [p for ledger in ledgers for p in ledger.patches]
    deletes = [d for ledger in ledgers for d in ledger.deletes]
    acked_samples = sum(len(b.samples) for b in batches if acknowledged(b))
    unknown = sum(write.status is None for write in batches + patches + deletes)
    lookups_missing = sum(ledger.lookups_missing for ledger in ledgers)
    return [
        (f"acknowledged writes: {sum(map(acknowledged, batches))} batches ({acked_samples} samples), "
         f"{sum(map(acknowledged, patches))} patches, {sum(map(acknowledged, deletes))} deletes; "
         f"{unknown} writes unanswered (outcome unknown)"),
        (f"lost writes:     {sum(verdict.lost.values())}  (POST {verdict.lost['POST']}, PATCH {verdict.lost['PATCH']}, "
         f"DELETE {verdict.lost['DELETE']}; {verdict.lost_samples} acknowledged samples missing or changed; "
         f"{lookups_missing} not found by a later GET)"),
        f"partial writes:  {verdict.partial}  (batches partly stored)",
        f"integrity_check: {verdict.integrity}",
        f"result:          {'FAIL' if verdict.failed else 'PASS'}",
    ]


def _per_tenth(ledgers, seconds):
    """How many requests failed in each tenth of the run (the last one includes the requests after it)."""
    counts = [0] * 10
    for at in (at for ledger in ledgers for at in ledger.error_times):
        counts[min(9, int(10 * at / seconds))] += 1
    return counts


def _copy_lines(source, target):
    """Copy a server's stderr into the log file, so the pipe never fills and blocks the server."""
    for line in source:
        target.write(line.decode(errors="replace"))
        target.flush()


def _free_port():
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fault_names(raw):
    """The --faults list: names from FAULTS, comma-separated, or none."""
    names = [name.strip() for name in raw.split(",") if name.strip() and name.strip() != "none"]
    unknown = sorted(set(names) - set(FAULTS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown fault(s) {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
    return tuple(dict.fromkeys(names))


def main(argv=None):
    """Run the soak and print its table; exit 1 when a write was lost or split or the file is damaged."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long the clients run (default 60)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--faults", type=_fault_names, default=FAULTS, help="comma-separated: lock,move,kill or none")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' random choices")
    parser.add_argument("--workdir", type=pathlib.Path, help="an empty directory to keep the database and server log in")
    arguments = parser.parse_args(argv)
    if arguments.seconds < 1 or arguments.clients < 1:
        parser.error("--seconds and --clients must be at least 1")
    if arguments.workdir and (not arguments.workdir.is_dir() or any(arguments.workdir.iterdir())):
        parser.error(f"--workdir {arguments.workdir} must be an existing empty directory")
    with tempfile.TemporaryDirectory(prefix="seda-soak-") as scratch:
        try:
            ledgers, events, verdict = soak(
                arguments.seconds, arguments.clients, arguments.faults, arguments.seed,
                arguments.workdir or pathlib.Path(scratch),
            )
        except (AssertionError, OSError, subprocess.SubprocessError) as exc:
            print(f"soak could not run: {exc}", file=sys.stderr)
            return 2
    print(report(arguments.seconds, arguments.clients, ledgers, events, verdict))
    return 1 if verdict.failed else 0


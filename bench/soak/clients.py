"""The soak's clients: threads that read and write the API as a dashboard and a lab system would, and record it."""

import datetime
import http.client
import json
import random
import threading
import time
import urllib.parse

from bench.soak.ledger import GASES, NO_ANSWER, Batch, Delete, Ledger, Patch, acknowledged
from bench.soak.server import API_KEY

REQUEST_TIMEOUT_S = 30  # longer than any wait the server may impose (its busy timeout is 10 s at most)
BACKOFF_S = 0.2  # a client's pause after a 5xx or no answer, as Retry-After asks
FIRST_SAMPLE_AT = datetime.datetime(2040, 1, 1, tzinfo=datetime.timezone.utc)  # later than every demo sample


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

"""What schemathesis needs beyond its own checks to hold the service to its OpenAPI document.

Loaded by `schemathesis run` through SCHEMATHESIS_HOOKS (tests/test_openapi_fuzz.py):
- CSV bodies are sent as the text the document gives them as (schemathesis knows no CSV);
- `undocumented_response_headers`: every header of every answer is one the document lists for
  that operation and status (schemathesis checks only the headers that are listed);
- `outcomes`: records which operations answered 2xx or 304, so the test can require that each
  one did at least once: writes really made (with the key), not only refused.
"""

import json
import os
import pathlib

import schemathesis

# Headers the HTTP server writes for the transport, not the API: framing and the date. (No
# `server`: the service names no software, so one would be undocumented and fail.)
TRANSPORT_HEADERS = {"content-length", "content-type", "date", "transfer-encoding"}


# The document gives CSV bodies as text (what they are on the wire), so they are sent as text.
schemathesis.serializer.alias("text/csv", "text/plain")


@schemathesis.check
def undocumented_response_headers(ctx, response, case):
    """Fail on a response header the document does not list for this operation's status."""
    documented = case.operation.responses.find_by_status_code(response.status_code)
    if documented is None:
        return None  # an undocumented status: status_code_conformance reports it
    listed = {name.lower() for name, _ in documented.headers.items()}
    unlisted = sorted(set(response.headers) - listed - TRANSPORT_HEADERS)
    if unlisted:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} with headers the document does not list: "
            f"{', '.join(unlisted)}"
        )
    return None


@schemathesis.check
class outcomes:  # noqa: N801 - the check's name as schemathesis reports it
    """Record every operation tested and every one that answered 2xx or 304, for the test to assert on.

    Not a pass/fail check: the test runs schemathesis twice (stateless phases, then stateful) and
    requires each documented operation to have succeeded in one of them. Written as JSON to
    FUZZ_OUTCOMES_FILE when the run ends.
    """

    def __init__(self):
        self.tested = set()
        self.succeeded = set()
        self.responses = 0

    def after_response(self, ctx, response, case):
        """Note the operation, and whether it succeeded."""
        self.responses += 1
        self.tested.add(case.operation.label)
        if 200 <= response.status_code < 300 or response.status_code == 304:
            self.succeeded.add(case.operation.label)

    def after_run(self, ctx):
        """Write what was seen."""
        seen = {"tested": sorted(self.tested), "succeeded": sorted(self.succeeded), "responses": self.responses}
        pathlib.Path(os.environ["FUZZ_OUTCOMES_FILE"]).write_text(json.dumps(seen))


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):
    """Leave out path values holding a line feed: such paths never reach the service's handlers.

    functions-framework's catch-all route does not match an encoded line feed (%0A), so the
    framework answers them itself with a plain-text 404 (README, "Endpoints"); no handler, and so
    no document, can say otherwise.
    """
    return not any("\n" in str(value) for value in (path_parameters or {}).values())

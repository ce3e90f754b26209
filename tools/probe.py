"""Probe the service on this host: `python -m tools.probe [live|ready]` (the image's HEALTHCHECK runs `live`).

`live` GETs /api/v1/health/live (the process answers; the database is not touched, so an outage never gets a
healthy process restarted), `ready` GETs /api/v1/health/ready (schema version current, every served table
read). Both at 127.0.0.1:$PORT (PORT as the server reads it, default 8080). The `api` and `health` targets
(FUNCTION_TARGET, default `api`) route those paths and must answer 200. Any other target serves one resource
and no health path: for it `live` passes when the server answers HTTP below 500 (its 404 for the path proves
the process serves), and `ready` cannot be asked — deploy the `health` target beside it.

Standard library only, so it runs in the slim image (no curl there). Exit status: 0 healthy, 1 not (the
reason on stderr), 2 for bad arguments or `ready` on a target without health paths.
"""

import argparse
import os
import sys
import urllib.error
import urllib.request

HEALTH_TARGETS = ("api", "health")  # the targets that route /api/v1/health/...
TIMEOUT_S = 4  # below the HEALTHCHECK's --timeout, so a hung server is reported by us, not killed by Docker


def answer(url):
    """The HTTP status `url` answers with, or the reason it answered none."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        return f"no answer ({error})"


def main(argv=None):
    """Probe once; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tools.probe", description=__doc__.splitlines()[0])
    parser.add_argument("kind", nargs="?", choices=("live", "ready"), default="live")
    kind = parser.parse_args(sys.argv[1:] if argv is None else argv).kind
    target = os.environ.get("FUNCTION_TARGET") or "api"
    routes_health = target in HEALTH_TARGETS
    if kind == "ready" and not routes_health:
        print(f"target {target} serves no readiness path; probe the health target", file=sys.stderr)
        return 2
    port = os.environ.get("PORT") or "8080"
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        print(f"PORT must be a port number from 1 to 65535, got {port!r}", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{int(port)}/api/v1/health/{kind}"
    status = answer(url)
    healthy = status == 200 if routes_health else isinstance(status, int) and status < 500
    if not healthy:
        print(f"{kind} probe failed: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`metrics` — this instance's metrics for Prometheus: GET /api/v1/metrics.

The Prometheus text exposition format (0.0.4, `text/plain`) of what `shared/metrics.py` lists:
requests by target, route, method and status class, their latency histograms, requests in
flight, database sessions in use, 429s by limit and reason, the re-diagnosis backlog, and the
process's CPU, memory and open files. Counts are this process's since it started.

It needs an API key with the `metrics` scope (`Authorization: Bearer <key>`, as Prometheus's
`authorization: {credentials_file: …}` sends it): the counts tell how loaded the service is
and which routes it serves. `SEDA_METRICS_PUBLIC=true` opens it for scrapes a network
policy already restricts. Never rate-limited (a scrape must see a saturated instance as it
is), never cached; a database that cannot count the backlog leaves its last count in place.
"""

import functions_framework.aio
from starlette.responses import Response

from shared import auth, http, openapi, validation
from shared import metrics as instance_metrics
from shared.headers import NO_STORE

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the exposition format every Prometheus reads


@auth.public_if(lambda settings: settings.observability.metrics_public)
@auth.requires("metrics")
@openapi.operation(
    openapi.answer(openapi.TEXT, "The Prometheus text exposition format (version 0.0.4) of this instance's metrics.",
                   media_type="text/plain"),
    database=False,
)
async def _scrape(request):
    """This instance's metrics, in Prometheus text format.

    Needs a key with the `metrics` scope unless SEDA_METRICS_PUBLIC=true.
    """
    validation.parse_query(request.query_params, {})
    backlog = await instance_metrics.backlog()
    return Response(instance_metrics.exposition(backlog), media_type=MEDIA_TYPE, headers={"Cache-Control": NO_STORE})


COLLECTION = {"GET": _scrape}


@functions_framework.aio.http
async def metrics(request):
    """HTTP entry point of the metrics."""
    return await http.serve(request, "metrics", COLLECTION)

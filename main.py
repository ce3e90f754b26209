"""Deployment entry points: every resource handler under its own target name, plus `api`.

`functions-framework --target=equipment` serves one resource alone, as a FaaS platform
deploys it; `functions-framework --target=api` serves the whole API from one process by
routing `/api/v1/<resource>[/<id>]` to the same handlers. HANDLERS maps each first path
segment to its handler; the OpenAPI document (`openapi`, at `/api/v1/openapi.json`) describes
exactly what it routes.
"""

import functions_framework.aio

from functions.application import application
from functions.audit import audit
from functions.diagnose_pending import diagnose_pending
from functions.diagnoses import diagnoses
from functions.docs import docs
from functions.equipment import equipment
from functions.health import health
from functions.measurements import measurements
from functions.openapi import openapi
from functions.substations import substations
from shared import config, db, http
from shared.headers import configure_worker

HANDLERS = {
    "application": application,
    "substations": substations,
    "equipment": equipment,
    "measurements": measurements,
    "diagnoses": diagnoses,
    "health": health,
    "openapi.json": openapi,
    "docs": docs,
    "audit": audit,
    "diagnose-pending": diagnose_pending,  # a verb phrase as a path: kebab-case; the target is `diagnose_pending`
}
_PREFIX_PARTS = len(http.API_PREFIX.strip("/").split("/"))

# Read the settings and open the database now, so a bad environment variable, a SQLite file
# that is corrupt or of another schema version stops the deployment at start-up with its
# message instead of failing every request later; and so the embedded database is created
# (when there is none) only when a process starts, never under a running one.
config.settings()
db.open_at_start()
configure_worker()


@functions_framework.aio.http
async def api(request):
    """Route `/api/v1/<resource>[/<id>]` to the resource's handler; anything else is 404."""
    parts = request.url.path.strip("/").split("/")
    prefix_matches = "/".join(parts[:_PREFIX_PARTS]) == http.API_PREFIX.strip("/")
    handler = HANDLERS.get(parts[_PREFIX_PARTS]) if prefix_matches and len(parts) > _PREFIX_PARTS else None
    if handler is None:
        return await http.not_found(request)
    return await handler(request)

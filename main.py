"""Deployment entry points: every resource handler under its own target name, plus `api`.

`functions-framework --target=equipment` serves one resource alone, as a FaaS platform
deploys it; `functions-framework --target=api` serves the whole API from one process by
routing `/api/v1/<resource>[/<id>]` to the same handlers. HANDLERS maps each first path
segment to its handler; the OpenAPI document (`openapi`, at `/api/v1/openapi.json`) describes
exactly what it routes.

Handlers are imported when first asked for, not here, so a process imports only what its
target needs (cold start: the equipment target never loads NumPy, which only the diagnoses
need): the framework looks its target up as an attribute of this module, which the module's
`__getattr__` answers by importing the handler's module; `api` imports a resource's module on
the first request that reaches it, on the event loop (~50 ms once for the diagnoses' NumPy):
imported in a thread, the request would wait there uncounted by the graceful shutdown
(`shared/lifecycle.py`), which could close the database under it.
"""

import collections.abc
import functools
import importlib

import functions_framework.aio

from shared import config, db, http
from shared.headers import configure_worker

# First path segment → (module, handler name): what `api` routes and the OpenAPI document describes.
_ROUTES = {
    "application": ("functions.application", "application"),
    "substations": ("functions.substations", "substations"),
    "equipment": ("functions.equipment", "equipment"),
    "measurements": ("functions.measurements", "measurements"),
    "diagnoses": ("functions.diagnoses", "diagnoses"),
    "health": ("functions.health", "health"),
    "openapi.json": ("functions.openapi", "openapi"),
    "docs": ("functions.docs", "docs"),
    "audit": ("functions.audit", "audit"),
    "inspections": ("functions.inspections", "inspections"),
    "dashboard": ("functions.dashboard", "dashboard"),
    # A verb phrase as a path is kebab-case; a target name must be an identifier.
    "diagnose-pending": ("functions.diagnose_pending", "diagnose_pending"),
    "metrics": ("functions.metrics", "metrics"),
}
# Target name → module defining it: every handler is also a target of its own.
_TARGET_MODULES = {name: module for module, name in _ROUTES.values()}
_PREFIX_PARTS = len(http.API_PREFIX.strip("/").split("/"))


@functools.cache  # a dict lookup per routed request once the module is in
def _handler(name):
    """The handler `name` from its module, imported now if no request or target needed it before."""
    return getattr(importlib.import_module(_TARGET_MODULES[name]), name)


def __getattr__(name):
    """A handler target (`main.equipment`), imported on first use: functions-framework looks targets up here."""
    if name not in _TARGET_MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _handler(name)


def __dir__():
    """The module's names, the handler targets included (the framework lists them for an unknown target)."""
    return sorted({*globals(), *_TARGET_MODULES})


class _Handlers(collections.abc.Mapping):
    """`{first path segment: handler}`, each handler's module imported when the handler is first read."""

    def __contains__(self, segment):
        return segment in _ROUTES  # without importing anything

    def __getitem__(self, segment):
        return _handler(_ROUTES[segment][1])

    def __iter__(self):
        return iter(_ROUTES)

    def __len__(self):
        return len(_ROUTES)


HANDLERS = _Handlers()

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
    segment = parts[_PREFIX_PARTS] if prefix_matches and len(parts) > _PREFIX_PARTS else None
    request.state.target = "api"  # what the metrics and access log name it (a resource's own target names itself)
    if segment not in HANDLERS:
        return await http.not_found(request)
    return await HANDLERS[segment](request)

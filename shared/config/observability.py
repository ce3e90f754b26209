"""Metrics, log correlation and tracing: SEDA_METRICS_*, GOOGLE_CLOUD_PROJECT and the OTEL_* variables that turn
tracing on (table in `shared/config/__init__.py`; `shared/metrics.py`, `shared/context.py`, `shared/tracing.py`)."""

import dataclasses
import os
import re

from shared.config.reading import bool_env, int_env, or_noted

# A project id (6-30 lowercase letters, digits, hyphens) or a domain-scoped one (`example.com:my-project`).
_PROJECT_ID = re.compile(r"(?:[a-z0-9][a-z0-9.\-]{0,62}:)?[a-z][a-z0-9\-]{4,28}[a-z0-9]")
# The OTel variables that name where spans go: any of them set (and the SDK not disabled) turns tracing on.
TRACE_EXPORT_VARIABLES = ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


@dataclasses.dataclass(frozen=True)
class ObservabilitySettings:
    """What the metrics path needs, whose traces the log lines name, and whether requests are traced."""

    metrics_public: bool  # the metrics path needs no key (a network policy keeps others off)
    backlog_ttl_s: int  # seconds a counted verdict backlog is served; 0: never counted
    trace_project: str | None  # GOOGLE_CLOUD_PROJECT: log lines name `projects/<it>/traces/<id>`
    tracing: bool  # OpenTelemetry configured by its own variables (it may still not be installed)


def read():
    """The observability settings; a project id that is not one stops start-up (it would break every trace link)."""
    return ObservabilitySettings(
        metrics_public=bool_env("SEDA_METRICS_PUBLIC", False),
        backlog_ttl_s=int_env("SEDA_METRICS_BACKLOG_TTL_S", 60, minimum=0),
        trace_project=_trace_project(),
        tracing=_tracing_configured(),
    )


@or_noted(lambda: None)
def _trace_project():
    """GOOGLE_CLOUD_PROJECT, or None."""
    raw = os.environ.get("GOOGLE_CLOUD_PROJECT", "").strip()
    if not raw:
        return None
    if not _PROJECT_ID.fullmatch(raw):
        raise RuntimeError(
            f"GOOGLE_CLOUD_PROJECT must be a Google Cloud project id (6-30 lowercase letters, digits and hyphens, "
            f"starting with a letter), got {raw!r}"
        )
    return raw


def _tracing_configured():
    """True when an OTel variable names an exporter or endpoint (`none` names none) and OTEL_SDK_DISABLED is not true.

    Read as the OpenTelemetry specification says the SDK reads them (only `true`, in any case, disables), never refused:
    they may be set for every service of a platform.
    """
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return any(os.environ.get(name, "").strip() for name in TRACE_EXPORT_VARIABLES)

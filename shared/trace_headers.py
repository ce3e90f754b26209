"""The trace a request belongs to, read from W3C `traceparent` or Google's `X-Cloud-Trace-Context`.

`traceparent` (W3C Trace Context): `<version>-<trace id: 32 hex>-<parent span id: 16 hex>-<flags: 2 hex>`, in
lowercase; version `00` has exactly these four fields, a later version may append more after a `-` (read as 00),
`ff` is invalid, and an all-zero trace or span id is invalid. Sent twice, it is ignored.

`X-Cloud-Trace-Context` (Google's load balancers, Cloud Run, Cloud Functions): `<trace id: 32 hex>/<span id:
decimal>;o=<0|1>`, the span id an unsigned 64-bit number in decimal, which Cloud Logging wants as 16 hex digits
(`logging.googleapis.com/spanId`): it is converted. `traceparent` wins when both are valid (Google's front ends
send both, naming the same trace).

A value that does not match is ignored whole: nothing of it reaches a log line, a span or a response.
"""

import dataclasses
import re

TRACEPARENT = b"traceparent"
CLOUD_TRACE_CONTEXT = b"x-cloud-trace-context"
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?")
_CLOUD_TRACE_CONTEXT = re.compile(r"([0-9a-fA-F]{32})/([0-9]{1,20})(?:;o=([01]))?")
_INVALID_VERSION = "ff"
_SAMPLED_FLAG = 0x01
_ZERO_TRACE_ID = "0" * 32
_MAX_SPAN_ID = 2**64 - 1


@dataclasses.dataclass(frozen=True)
class TraceContext:
    """A trace id (32 lowercase hex digits), the caller's span id (16), and whether the caller samples the trace."""

    trace_id: str
    span_id: str
    sampled: bool


def from_headers(raw_headers):
    """The request's TraceContext from its ASGI headers (lowercase names, bytes), or None when neither is valid."""
    found = [(name, value) for name, value in raw_headers if name in (TRACEPARENT, CLOUD_TRACE_CONTEXT)]  # one pass
    if not found:
        return None
    return _from_traceparent([value for name, value in found if name == TRACEPARENT]) or _from_cloud_trace_context(
        [value for name, value in found if name == CLOUD_TRACE_CONTEXT]
    )


def _single_match(values, pattern):
    """`pattern`'s match of the header's one value; None when it was sent other than once or does not match."""
    if len(values) != 1:
        return None
    return pattern.fullmatch(values[0].decode("latin-1").strip())


def _from_traceparent(values):
    """The context of a single valid `traceparent`, else None."""
    matched = _single_match(values, _TRACEPARENT)
    if matched is None:
        return None
    version, trace_id, span_id, flags, extension = matched.groups()
    if version == _INVALID_VERSION or (version == "00" and extension):
        return None
    if trace_id == _ZERO_TRACE_ID or int(span_id, 16) == 0:
        return None
    return TraceContext(trace_id, span_id, bool(int(flags, 16) & _SAMPLED_FLAG))


def _from_cloud_trace_context(values):
    """The context of a single valid `X-Cloud-Trace-Context`, its span id in hex, else None."""
    matched = _single_match(values, _CLOUD_TRACE_CONTEXT)
    if matched is None:
        return None
    trace_id, span_decimal, sampled = matched.groups()
    span_id = int(span_decimal)
    if trace_id == _ZERO_TRACE_ID or not 0 < span_id <= _MAX_SPAN_ID:
        return None
    return TraceContext(trace_id.lower(), f"{span_id:016x}", sampled == "1")

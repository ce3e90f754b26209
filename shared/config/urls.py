"""Public URLs: SEDA_PUBLIC_URL, and the dashboard's SEDA_DASHBOARD_API_URL and SEDA_FRAME_ANCESTORS (table in
`shared/config/__init__.py`)."""

import dataclasses
import os
import re

from shared.config.reading import or_noted, without_password

API_PREFIX = "/api/v1"  # where every resource lives (`shared/http.py` routes below it; the dashboard calls below it)

_ORIGIN = r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?"
_PATH_PREFIX = r"(?:/[A-Za-z0-9._~\-]+)+"  # path segments of unreserved characters, no empty segment
# A CSP host source naming one origin (a single-label intranet host included), or every subdomain of a host of two
# labels or more (`https://*.kepco.co.kr`; never `*.com`, which would let any site of a top-level domain frame it).
_LABEL = r"[A-Za-z0-9\-]+"
_FRAME_ANCESTOR = re.compile(rf"https?://(\*\.{_LABEL}(\.{_LABEL})+|{_LABEL}(\.{_LABEL})*)(:[0-9]{{1,5}})?")


@dataclasses.dataclass(frozen=True)
class DashboardSettings:
    """Where the dashboard page reads the API, and who may frame it (`functions/dashboard.py`)."""

    api_url: str  # "" = the page's own origin
    api_origin: str | None  # scheme://host[:port] of api_url, for connect-src
    frame_ancestors: tuple[str, ...]


@or_noted(lambda: {"public_origin": None, "public_prefix": ""})
def public_url():
    """`SEDA_PUBLIC_URL` split into its origin (scheme://host[:port], or None to take them from each request) and
    its path prefix ("" when none); a prefix ending in /api/v1 is refused (every public URL would repeat it)."""
    raw = os.environ.get("SEDA_PUBLIC_URL", "").strip().rstrip("/")
    if not raw:
        return {"public_origin": None, "public_prefix": ""}
    matched = re.fullmatch(rf"({_ORIGIN})({_PATH_PREFIX})?", raw)
    if matched is None:
        raise RuntimeError(f"SEDA_PUBLIC_URL must look like https://seda.example.com[:port][/prefix], got {without_password(raw)!r}")
    origin, prefix = matched.group(1), matched.group(3) or ""
    if prefix.endswith(API_PREFIX):
        raise RuntimeError(f"SEDA_PUBLIC_URL is the URL before {API_PREFIX} (the service adds it), got {without_password(raw)!r}")
    return {"public_origin": origin, "public_prefix": prefix}


@or_noted(lambda: None)
def dashboard():
    """SEDA_DASHBOARD_API_URL and SEDA_FRAME_ANCESTORS, checked at start-up (each becomes part of a CSP)."""
    api_url = os.environ.get("SEDA_DASHBOARD_API_URL", "").strip().rstrip("/")
    if api_url and not re.fullmatch(rf"{_ORIGIN}(/[A-Za-z0-9._~\-/]*)?", api_url):
        raise RuntimeError(f"SEDA_DASHBOARD_API_URL must look like https://seda-api.example.com[:port][/path], got "
                           f"{without_password(api_url)!r}")
    if api_url.endswith(API_PREFIX):  # the page adds it: calls would go to …/api/v1/api/v1/… and all be 404
        raise RuntimeError(f"SEDA_DASHBOARD_API_URL is the URL before {API_PREFIX} (the page adds it), got {without_password(api_url)!r}")
    sources = tuple(os.environ.get("SEDA_FRAME_ANCESTORS", "").split()) or ("'self'",)
    refused = [] if sources == ("'none'",) else [
        source for source in sources if source != "'self'" and not _FRAME_ANCESTOR.fullmatch(source)]
    if refused:
        raise RuntimeError(f"SEDA_FRAME_ANCESTORS takes 'self', 'none' (alone) or origins such as "
                           f"https://portal.example.com or https://*.example.com, space-separated; got {refused[0]!r}")
    origin = re.match(_ORIGIN, api_url).group(0) if api_url else None
    return DashboardSettings(api_url=api_url, api_origin=origin, frame_ancestors=sources)

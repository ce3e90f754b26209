// Embedding: when the page runs in a frame, tell the parent its height (so the portal can size
// the iframe), and only when the parent's origin is one the CSP's frame-ancestors allows.

const SOURCE = "seda-dashboard";

// The sources SEDA_FRAME_ANCESTORS admits besides 'self' and 'none' (shared/config/urls.py): http[s]://[*.]host[:port].
const HOST_SOURCE = /^(https?):\/\/(\*\.)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::([0-9]{1,5}))?$/;
const DEFAULT_PORTS = { "http:": 80, "https:": 443 };

/**
 * Does the parent's `origin` match one source as the browser's frame-ancestors check does? The host
 * must match (`*.` any subdomain of it), the scheme and the port be the same (a source without a port
 * means its scheme's default), except that CSP upgrades: an http source also matches https on the
 * same host and port, its port 80 (said or implied) then standing for 443. 'self' is the page's own
 * origin as a source, so it upgrades too.
 */
function matchesSource(origin, source, selfOrigin) {
  if (source === "'self'") return origin === selfOrigin || matchesSource(origin, selfOrigin);
  const match = HOST_SOURCE.exec(source);
  if (!match) return false; // 'none' allows no origin
  const [, scheme, wildcard, host, port] = match;
  const parent = new URL(origin);
  const parentHost = parent.hostname.toLowerCase();
  const wanted = host.toLowerCase();
  if (wildcard ? !parentHost.endsWith(`.${wanted}`) : parentHost !== wanted) return false;
  const sourcePort = port ? Number(port) : DEFAULT_PORTS[`${scheme}:`];
  const parentPort = parent.port ? Number(parent.port) : DEFAULT_PORTS[parent.protocol];
  const samePort = sourcePort === parentPort;
  if (parent.protocol === `${scheme}:`) return samePort;
  return scheme === "http" && parent.protocol === "https:" && (samePort || (sourcePort === 80 && parentPort === 443));
}

/** `origin` when one of `sources` (the frame-ancestors list, space-separated) allows it, else null. */
export function allowedOrigin(origin, sources, selfOrigin = location.origin) {
  if (!origin || origin === "null") return null;
  try {
    return sources.split(/\s+/).filter(Boolean).some((source) => matchesSource(origin, source, selfOrigin)) ? origin : null;
  } catch {
    return null; // an origin that is no URL
  }
}

/** The parent frame's origin as the browser reports it (ancestorOrigins, else the referrer), or null. */
function parentOrigin() {
  if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
}

/** Post the page's height to an allowed parent on every size change; `view()` names the view shown. */
export function reportHeight(frameAncestors, view) {
  if (window.parent === window) return;
  const target = allowedOrigin(parentOrigin(), frameAncestors);
  if (!target) return; // never "*": a parent we cannot name gets nothing
  let last = null;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    const shown = view();
    if (last && last.height === height && last.view === shown) return;
    last = { height, view: shown };
    window.parent.postMessage({ source: SOURCE, type: "height", height, view: shown }, target);
  };
  new ResizeObserver(post).observe(document.documentElement);
  return post; // the shell calls it again when the view changes at the same height
}

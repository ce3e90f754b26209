// Embedding: when the page runs in a frame, tell the parent its height (so the portal can size
// the iframe), and only when the parent's origin is one the CSP's frame-ancestors allows.

const SOURCE = "seda-dashboard";

/** Does `origin` match one CSP source expression (`'self'`, `https:`, `https://*.host:443`, `host`)? */
function matchesSource(origin, source, selfOrigin) {
  if (source === "'self'") return origin === selfOrigin;
  if (source.startsWith("'")) return false; // 'none' and other keywords allow no origin
  const parent = new URL(origin);
  if (/^[a-z][a-z0-9+.-]*:$/i.test(source)) return parent.protocol === source.toLowerCase();
  const match = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^:/]+)(?::(\d+|\*))?\/?$/i.exec(source);
  if (!match) return false;
  const [, scheme, wildcard, host, port] = match;
  if (scheme ? parent.protocol !== `${scheme.toLowerCase()}:` : !["http:", "https:"].includes(parent.protocol)) return false;
  const parentHost = parent.hostname.toLowerCase();
  const wanted = host.toLowerCase();
  if (wildcard ? !parentHost.endsWith(`.${wanted}`) : parentHost !== wanted) return false;
  if (port === "*") return true;
  const defaultPort = parent.protocol === "https:" ? "443" : "80";
  return (parent.port || defaultPort) === (port || defaultPort);
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

// The JSON API as the views see it: get() one response, getAll() every page of a collection
// (following Link rel="next"), errors as ApiError, and the API key flow (kept in
// sessionStorage only, sent as a Bearer token).

const API_PREFIX = "/api/v1";
const KEY_STORAGE = "seda-api-key";

/** What went wrong with a request, from the API's error body {status, error, message, request_id}. */
export class ApiError extends Error {
  constructor({ status, error, message, requestId = null, retryAfter = null }) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0: no answer at all (network, CORS, a blocked request)
    this.error = error;
    this.requestId = requestId;
    this.retryAfter = retryAfter; // seconds, from Retry-After, or null
  }
}

/** The URL of `next` in a Link header (`<url>; rel="next"`, rel may list several types), or null. */
function nextLink(header) {
  for (const link of (header || "").split(/,\s*(?=<)/)) {
    const [target, ...parameters] = link.split(";");
    const rel = parameters.map((parameter) => parameter.trim().split("="))
      .find(([name]) => name.trim().toLowerCase() === "rel");
    const types = (rel?.[1] || "").replace(/"/g, "").trim().toLowerCase().split(/\s+/);
    if (types.includes("next")) return target.trim().replace(/^<|>$/g, "");
  }
  return null;
}

/** Retry-After (delay-seconds or an HTTP date) as whole seconds from now, or null. */
function retryAfterSeconds(header, now = Date.now()) {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const when = Date.parse(header);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - now) / 1000));
}

let pageKey = null;

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null; // storage refused (a sandboxed frame): the key lives as long as the page
  }
}

/** Keep `key` for this tab (sessionStorage, never localStorage or a cookie); null forgets it. */
export function setKey(key) {
  pageKey = key || null;
  try {
    if (pageKey) sessionStorage.setItem(KEY_STORAGE, pageKey);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // see storedKey()
  }
}

/** The key requests carry now, or null. */
export function currentKey() {
  return pageKey ?? storedKey();
}

async function errorFrom(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // a proxy's HTML error page: the status says enough
  }
  return new ApiError({
    status: response.status,
    error: body.error || `HTTP ${response.status}`,
    message: body.message || response.statusText,
    requestId: body.request_id || response.headers.get("X-Request-ID"),
    retryAfter: retryAfterSeconds(response.headers.get("Retry-After")),
  });
}

/**
 * The API at `apiBase` ("" = this origin). `scope({signal, replay})` gives a view its own
 * {get, getAll}: requests aborted with `signal` when the view is left, every response recorded
 * in `responses` so that a re-render (language switch) can `replay` them instead of asking again.
 */
export function createApi(apiBase) {
  function url(path, params) {
    const absolute = /^https?:\/\//.test(path);
    const target = new URL(absolute ? path : `${apiBase}${path.startsWith(API_PREFIX) ? "" : API_PREFIX}${path}`,
      location.href);
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") target.searchParams.set(name, String(value));
    }
    return target.href;
  }

  async function request(target, signal) {
    const headers = { Accept: "application/json" };
    const key = currentKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(target, { headers, signal, credentials: "omit" });
    } catch (failure) {
      if (failure.name === "AbortError") throw failure;
      throw new ApiError({ status: 0, error: "NetworkError", message: String(failure.message || failure) });
    }
    if (!response.ok) throw await errorFrom(response);
    return { body: await response.json(), headers: response.headers, status: response.status,
      next: nextLink(response.headers.get("Link")) };
  }

  function scope({ signal, replay } = {}) {
    const responses = new Map();

    async function get(path, params) {
      const target = url(path, params);
      const answer = replay?.get(target) ?? (await request(target, signal));
      responses.set(target, answer);
      return answer;
    }

    async function getAll(path, params) {
      let page = await get(path, params);
      const items = [...page.body];
      while (page.next) {
        page = await get(page.next);
        items.push(...page.body);
      }
      return items;
    }

    return { get, getAll, responses };
  }

  return { scope, url };
}

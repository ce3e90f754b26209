// The dashboard's shell: reads the page's settings from <body data-…>, routes on the URL
// fragment (#/fleet?…, #/unit/11, #/scorecard), draws the page header (or, embedded, a compact
// bar), switches language in place, and shows a view's loading, error and key states.

import { createApi, currentKey, setKey } from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { reportHeight } from "./embed.js";
import { fmt } from "./format.js";
import { LANGUAGES, language, setLanguage, t } from "./i18n.js";
import { renderFleet } from "./fleet.js";
import { renderScorecard } from "./scorecard.js";
import { errorState, keyState, loadingState, stateBox } from "./states.js";

const DEFAULT_HASH = "#/fleet";
const NAV_VIEWS = ["fleet", "scorecard"];

const body = document.body;
const query = new URLSearchParams(location.search);
const settings = {
  apiBase: (body.dataset.apiBase || "").replace(/\/$/, ""),
  embed: body.dataset.embed === "true" || query.get("embed") === "1",
  frameAncestors: body.dataset.frameAncestors || "'self'",
};
const api = createApi(settings.apiBase);
const app = document.getElementById("app");
const viewRoot = el("main", { id: "view", class: "view", tabindex: "-1" });

let rendering = null; // {controller, scope} of the render on screen or under way
let shownRoute = null;
let lastFleetHash = DEFAULT_HASH;
let renderedHref = null;
let postHeight = null;

/** The route of a fragment: {view, unitId, params}; view "missing" when it names none. */
function parseRoute(hash) {
  const [path, search = ""] = (hash.replace(/^#/, "") || "/fleet").split("?");
  const params = new URLSearchParams(search);
  if (path === "/" || path === "/fleet") return { view: "fleet", params };
  if (path === "/scorecard") return { view: "scorecard", params };
  const unit = /^\/unit\/([1-9][0-9]{0,15})$/.exec(path);
  if (unit) return { view: "unit", unitId: Number(unit[1]), params };
  return { view: "missing", params };
}

/** Go to `hash`: a new history entry (or `replace` the current one) carrying `state`, then render. */
function navigate(hash, { replace = false, state = null } = {}) {
  const target = new URL(location.href);
  target.hash = hash;
  history[replace ? "replaceState" : "pushState"](state, "", target);
  show();
}

function languageSwitch() {
  const select = el("select", { name: "lang", id: "lang-switch", onchange: (event) => switchLanguage(event.target.value) },
    LANGUAGES.map((code) => el("option", { value: code, lang: code, selected: code === language() }, [t(`lang.${code}`)])));
  return el("div", { class: "lang-switch" }, [el("label", { for: "lang-switch" }, [t("lang.label")]), select]);
}

function navigation(route) {
  const links = NAV_VIEWS.map((view) => {
    const href = view === "fleet" ? lastFleetHash : `#/${view}`;
    return el("a", { href, class: "nav-link", "data-nav": view, "aria-current": route.view === view ? "page" : null },
      [t(`nav.${view}`)]);
  });
  return el("nav", { class: "nav", "aria-label": t("nav.label") }, links);
}

/** "Forget API key", while the tab holds one: a control-room tab is shared, the next operator may need another key. */
function forgetKeyButton() {
  if (!currentKey()) return null;
  return el("button", { type: "button", class: "button button-quiet forget-key", "data-action": "forget-key",
    onclick: () => {
      setKey(null);
      show({ forgotten: true });
    } }, [t("key.forget")]);
}

/** The page header, or with embed=1 a compact bar inside #app: nav, language and the key control stay reachable. */
function drawChrome(route) {
  document.querySelector('[data-testid="page-header"]')?.remove();
  if (settings.embed) {
    const bar = el("div", { class: "embed-bar", role: "region", "aria-label": t("embed.bar") },
      [navigation(route), languageSwitch(), forgetKeyButton()]);
    replaceChildren(app, [bar, viewRoot]);
    return;
  }
  const header = el("header", { class: "page-header", "data-testid": "page-header" }, [
    el("div", { class: "brand" }, [el("span", { class: "brand-title" }, [t("app.title")]),
      el("span", { class: "brand-subtitle" }, [t("app.subtitle")])]),
    navigation(route),
    languageSwitch(),
    forgetKeyButton(),
  ]);
  body.insertBefore(header, app);
  if (viewRoot.parentNode !== app) replaceChildren(app, [viewRoot]);
}

function switchLanguage(code) {
  setLanguage(code);
  const target = new URL(location.href);
  target.searchParams.set("lang", language());
  history.replaceState(history.state, "", target);
  show({ relabel: true });
  document.getElementById("lang-switch")?.focus();
}

/** The document's title: the view's heading once drawn (a unit's has its name), else the view's name. */
function setTitle(route) {
  const heading = viewRoot.querySelector("h1")?.textContent;
  const view = route.view === "missing" ? t("state.page_missing.title")
    : t(route.view === "unit" ? "nav.unit_unnamed" : `nav.${route.view}`);
  document.title = `${heading || view} · ${t("app.title")}`;
}

function viewRenderer(route) {
  if (route.view === "fleet") return (context) => renderFleet(viewRoot, route.params, context);
  if (route.view === "scorecard") return (context) => renderScorecard(viewRoot, context);
  if (route.view === "unit") {
    // Loaded on first use: the fleet view, the one most visits start with, never waits for the
    // unit view's modules and charts.
    return async (context) => (await import("./unit.js")).renderUnit(viewRoot, route.unitId, context);
  }
  return async () => {
    replaceChildren(viewRoot, [el("h1", { class: "view-title" }, [t("state.page_missing.title")]),
      stateBox("error", { message: t("state.page_missing.message"),
        actions: [el("a", { href: DEFAULT_HASH, class: "button" }, [t("nav.fleet")])] })]);
  };
}

/** Back from a unit to a list that links to it: the focus goes to that link, where the operator left. */
function refocusUnitLink(cameFrom, route) {
  if (cameFrom?.view !== "unit" || route.view === "unit") return;
  viewRoot.querySelector(`a[href="#/unit/${cameFrom.unitId}"]`)?.focus();
}

/** Send `key` from now on (kept in this tab only) and render the route again with it. */
function useKey(key) {
  setKey(key);
  show();
}

/**
 * Render the route in the URL; `relabel` (a language switch) redraws from the responses already
 * read; `forgotten` (the key was just dropped) asks for a key instead, the view's data off the screen.
 */
async function show({ relabel = false, forgotten = false } = {}) {
  const route = parseRoute(location.hash);
  const cameFrom = shownRoute;
  shownRoute = route;
  const previous = rendering;
  const changedView = app.dataset.view !== route.view;
  previous?.controller.abort();
  const controller = new AbortController();
  const scope = api.scope({ signal: controller.signal, replay: relabel ? previous?.scope.responses : null });
  rendering = { controller, scope };
  renderedHref = location.href;
  if (route.view === "fleet") lastFleetHash = location.hash || DEFAULT_HASH;

  drawChrome(route);
  app.dataset.view = route.view;
  delete app.dataset.ready;
  app.setAttribute("aria-busy", "true");
  // A view updated in place keeps its data on screen until the new ones are in; anything else waits visibly.
  if (changedView || relabel || viewRoot.querySelector(":scope > [data-state]")) replaceChildren(viewRoot, loadingState());
  setTitle(route);
  if (changedView) viewRoot.focus({ preventScroll: true });

  const context = { api: scope, t, fmt, lang: language(), navigate, relabel };
  const keySent = Boolean(currentKey());
  const draw = forgotten ? async () => replaceChildren(viewRoot, keyState(useKey, t("state.auth.forgotten")))
    : viewRenderer(route);
  try {
    await draw(context);
  } catch (failure) {
    if (failure.name === "AbortError" || controller.signal.aborted) return;
    if (failure.name !== "ApiError") console.error(failure);
    const error = failure.name === "ApiError" ? failure : { status: 0, message: String(failure) };
    replaceChildren(viewRoot, errorState(error, { retry: () => show(), useKey, keySent }));
  }
  if (controller.signal.aborted) return;
  setTitle(route);
  app.removeAttribute("aria-busy");
  refocusUnitLink(cameFrom, route);
  if (forgotten) viewRoot.querySelector('input[name="api-key"]')?.focus(); // the button pressed is gone
  app.dataset.ready = "true";
  performance.mark("seda:ready");
  postHeight?.();
}

function onLocationChange() {
  if (location.href !== renderedHref) show();
}

function start() {
  setLanguage(query.get("lang") || body.dataset.lang || "en");
  if (!location.hash) history.replaceState(null, "", new URL(DEFAULT_HASH, location.href));
  postHeight = reportHeight(settings.frameAncestors, () => app.dataset.view);
  window.addEventListener("hashchange", onLocationChange);
  window.addEventListener("popstate", onLocationChange);
  show();
}

start();

// The fleet view: every unit worst first, a summary strip of what the filters select, filters,
// search, sortable columns, and server-side paging through the Link cursor. The URL fragment
// holds the whole state (#/fleet?substation_id=1&status=3&fault=D2&q=T8&sort=-health_index&cursor=…);
// the view is drawn once and then updated in place, so focus stays where the operator left it.

import { el, replaceChildren } from "./dom.js";
import "./fleet_strings.js";
import { statusLabel, summaryStrip, WORDS_NOT_CODES } from "./fleet_summary.js";
import { t, tOr } from "./i18n.js";
import { stateBox } from "./states.js";

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300; // typing: the ranking follows after this pause
const SETTLE_DELAY_MS = 1000; // ... and the summary after this one (or Enter, or leaving the field)
const FILTERS = ["substation_id", "status", "fault", "q"];
const STATUS_FILTERS = ["1", "2", "3"];
const NOT_A_FAULT_FILTER = ["unknown", "no_verdict"]; // summary counts the API's `fault` filter cannot select
// The table's columns, each sortable by the API's `sort` of the same name.
const COLUMNS = ["name", "substation", "kind", "status", "fault_type", "severity", "health_index", "sampled_at"];
const DEFAULT_SORT = "-rank";
const VALID = {
  substation_id: (value) => /^[1-9][0-9]{0,15}$/.test(value),
  status: (value) => STATUS_FILTERS.includes(value),
  fault: (value) => /^[A-Za-z0-9-]{1,8}$/.test(value),
  q: (value) => value.trim().length > 0 && value.length <= 100,
  sort: (value) => value === DEFAULT_SORT || COLUMNS.includes(value.replace(/^-/, "")),
  cursor: (value) => /^[A-Za-z0-9_-]{1,400}$/.test(value),
};

// What the fleet view has read and may keep while it is shown: the substations (names for the
// filter and the table) and the summary of the current filters, which neither sort nor paging
// change, so neither asks for it again (the summary costs five fleet pages of the rate budget);
// `summaryRead` is the summary read under way, which a second ask for the same filters shares.
const kept = { substations: null, summaryKey: null, summary: null, summaryRead: null };
const views = new WeakMap(); // root → the mounted view's parts

/** The fleet state in a fragment's query: only known parameters with acceptable values. */
function fleetState(params) {
  const state = {};
  for (const [name, accepts] of Object.entries(VALID)) {
    const value = params.get(name);
    if (value !== null && accepts(value)) state[name] = value;
  }
  return state;
}

function fleetHash(state) {
  const query = new URLSearchParams(Object.entries(state).filter(([, value]) => value)).toString();
  return query ? `#/fleet?${query}` : "#/fleet";
}

function filterKey(state) {
  return FILTERS.map((name) => `${name}=${state[name] || ""}`).join("&");
}

function filtersOf(state) {
  return Object.fromEntries(FILTERS.filter((name) => state[name]).map((name) => [name, state[name]]));
}

/** The status a row shows: the verdict's 1-3, `unknown` without one, `no_verdict` without a sample. */
function rowStatus(entry) {
  if (entry.sample_id === null) return "no_verdict";
  return entry.dga_status === null ? "unknown" : String(entry.dga_status);
}

/** The fault a row shows, in the summary's vocabulary. */
function rowFault(entry) {
  if (entry.sample_id === null) return "no_verdict";
  if (entry.fault_present === false) return "none";
  return entry.fault_type || "unknown";
}

function statusBadge(status) {
  return el("span", { class: `status status-${status}` }, [statusLabel(status)]);
}

// --- drawing -------------------------------------------------------------------------------

function option(value, label, selected) {
  return el("option", { value, selected: value === (selected || "") }, [label]);
}

function fillSelect(select, choices, selected) {
  replaceChildren(select, [option("", t("fleet.filter.all"), selected),
    ...choices.map(([value, label]) => option(value, label, selected))]);
}

function filterField(name, label, control) {
  return el("div", { class: "filter" }, [el("label", { for: `filter-${name}` }, [label]), control]);
}

function cells(entry, substationNames, context) {
  const { fmt } = context;
  const status = rowStatus(entry);
  const fault = rowFault(entry);
  const noSample = entry.sample_id === null;
  return [
    el("th", { scope: "row" }, [el("a", { href: `#/unit/${entry.equipment_id}`, class: "unit-link" }, [entry.equipment_name])]),
    el("td", {}, [substationNames.get(entry.substation_id) ?? String(entry.substation_id)]),
    el("td", {}, [tOr(`kind.${entry.kind}`, entry.kind)]),
    el("td", {}, [statusBadge(status)]),
    el("td", { class: "fault" }, [WORDS_NOT_CODES.includes(fault) ? t(`fault.${fault}`) : fault]),
    el("td", {}, [noSample ? t("value.none") : el("span", { class: `severity severity-${entry.severity}` }, [t(`severity.${entry.severity}`)])]),
    el("td", { class: "numeric" }, [fmt.number(entry.health_index, 1)]),
    el("td", { class: "numeric" }, [noSample ? t("fleet.no_sample") : fmt.date(entry.sampled_at)]),
  ];
}

function caption(sort) {
  if (sort === DEFAULT_SORT) return t("fleet.caption.rank");
  const column = t(`fleet.column.${sort.replace(/^-/, "")}`);
  return t(sort.startsWith("-") ? "fleet.caption.descending" : "fleet.caption.ascending", { column });
}

/** The sort a click on `column` asks for: ascending first, then it flips. */
function nextSort(current, column) {
  return current === column ? `-${column}` : column;
}

// --- the mounted view ------------------------------------------------------------------------

function mount(root, context) {
  const parts = { context, settled: true }; // settled: no search being typed, so the summary may be read
  parts.substation = el("select", { name: "substation_id", id: "filter-substation_id" });
  parts.status = el("select", { name: "status", id: "filter-status" });
  parts.fault = el("select", { name: "fault", id: "filter-fault" });
  parts.q = el("input", { type: "search", name: "q", id: "filter-q", maxlength: "100", autocomplete: "off",
    placeholder: t("fleet.filter.q_hint") });
  parts.clear = el("button", { type: "button", class: "button button-quiet", "data-action": "clear-filters" },
    [t("fleet.filter.clear")]);
  parts.summary = el("section", { class: "summary", "data-testid": "fleet-summary", "aria-label": t("fleet.summary") });
  parts.caption = el("caption", {});
  parts.headers = COLUMNS.map((column) => el("th", { scope: "col", "aria-sort": "none" }, [
    el("button", { type: "button", class: "sort", "data-sort": column }, [
      el("span", {}, [t(`fleet.column.${column}`)]), el("span", { class: "sort-mark", "aria-hidden": "true" }),
    ]),
  ]));
  parts.rows = el("tbody", {});
  parts.table = el("table", { class: "fleet-table", "data-testid": "fleet-table" },
    [parts.caption, el("thead", {}, [el("tr", {}, parts.headers)]), parts.rows]);
  parts.empty = el("div", { class: "fleet-empty" });
  parts.previous = el("button", { type: "button", class: "button", "data-page": "previous" });
  parts.next = el("button", { type: "button", class: "button", "data-page": "next" }, [t("fleet.page.next")]);
  parts.position = el("span", { class: "page-position", "aria-live": "polite" });

  const form = el("form", { class: "filters", role: "search", "aria-label": t("fleet.filters") }, [
    filterField("substation_id", t("fleet.filter.substation"), parts.substation),
    filterField("status", t("fleet.filter.status"), parts.status),
    filterField("fault", t("fleet.filter.fault"), parts.fault),
    filterField("q", t("fleet.filter.q"), parts.q),
    parts.clear,
  ]);
  replaceChildren(root, [
    el("h1", { class: "view-title" }, [t("fleet.title")]),
    parts.summary,
    form,
    el("div", { class: "table-scroll" }, [parts.table]),
    parts.empty,
    el("nav", { class: "paging", "aria-label": t("fleet.paging") }, [parts.previous, parts.position, parts.next]),
  ]);
  wire(parts, form);
  return parts;
}

/** The state shown, or the one being read (a render under way): what the next change builds on. */
function latest(parts) {
  return parts.rendering ?? parts.state;
}

/** Go to `changes` of the latest state (`trail`: the cursors of the pages before, for Previous). */
function go(parts, changes, { replace = false } = {}) {
  // A cursor is a position in one order of one selection: new filters or a new sort start over.
  const startOver = "sort" in changes || FILTERS.some((name) => name in changes);
  const state = { ...latest(parts), ...changes };
  if (startOver) delete state.cursor;
  const trail = startOver ? [] : changes.trail ?? parts.trail;
  delete state.trail;
  if (state.sort === DEFAULT_SORT) delete state.sort;
  parts.context.navigate(fleetHash(state), { replace, state: { fleetTrail: trail } });
}

/**
 * The search has settled (Enter, the field left, or a pause in typing): go to its query if the
 * ranking is not for it yet, else read the summary the typing went without (a render under way
 * reads it when its page is in).
 */
function settleSearch(parts, { replace = true } = {}) {
  clearTimeout(parts.searchTimer);
  clearTimeout(parts.settleTimer);
  parts.settled = true;
  const query = parts.q.value.trim();
  if (query !== (latest(parts).q || "")) go(parts, { q: query }, { replace });
  else if (!parts.rendering) refreshSummary(parts).catch((failure) => summaryFailed(parts, failure));
}

function wire(parts, form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    settleSearch(parts, { replace: false });
  });
  for (const [name, select] of [["substation_id", parts.substation], ["status", parts.status], ["fault", parts.fault]]) {
    select.addEventListener("change", () => go(parts, { [name]: select.value }));
  }
  parts.q.addEventListener("input", () => {
    // Each pause reads only the ranking (2 units of the rate budget); the summary (5) waits until
    // the query settles, so typing a name does not spend a summary per letter.
    parts.settled = false;
    clearTimeout(parts.searchTimer);
    clearTimeout(parts.settleTimer);
    // Typing replaces the history entry: Back returns to before the search, not to each letter.
    parts.searchTimer = setTimeout(() => {
      if (parts.q.value.trim() !== (latest(parts).q || "")) go(parts, { q: parts.q.value.trim() }, { replace: true });
    }, SEARCH_DELAY_MS);
    parts.settleTimer = setTimeout(() => settleSearch(parts), SETTLE_DELAY_MS);
  });
  parts.q.addEventListener("blur", () => parts.settled || settleSearch(parts));
  parts.clear.addEventListener("click", () => go(parts, { substation_id: "", status: "", fault: "", q: "" }));
  for (const header of parts.headers) {
    const button = header.querySelector("button");
    button.addEventListener("click", () => go(parts, { sort: nextSort(latest(parts).sort || DEFAULT_SORT, button.dataset.sort) }));
  }
  parts.next.addEventListener("click", () => {
    go(parts, { cursor: parts.nextCursor, trail: [...parts.trail, parts.state.cursor || ""] });
  });
  parts.previous.addEventListener("click", () => {
    go(parts, { cursor: parts.trail.at(-1) || "", trail: parts.trail.slice(0, -1) });
  });
  parts.rows.addEventListener("keydown", (event) => moveBetweenRows(parts, event));
  parts.rows.addEventListener("click", (event) => {
    // A click anywhere on a row opens it, as the link in its first cell does.
    const row = event.target.closest("tr[data-unit-id]");
    if (!row || event.target.closest("a") || window.getSelection()?.toString()) return;
    parts.context.navigate(`#/unit/${row.dataset.unitId}`);
  });
}

/** Arrow keys, Home and End move the focus between the rows' links (Enter on one opens it). */
function moveBetweenRows(parts, event) {
  const links = [...parts.rows.querySelectorAll("a.unit-link")];
  const index = links.indexOf(document.activeElement);
  if (index < 0) return;
  const target = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: links.length - 1 }[event.key];
  if (target === undefined || !links[target]) return;
  event.preventDefault();
  links[target].focus();
}

function drawControls(parts, state) {
  const substations = [...kept.substations].sort((first, second) => first.name.localeCompare(second.name));
  fillSelect(parts.substation, substations.map((station) => [String(station.id), station.name]), state.substation_id);
  fillSelect(parts.status, STATUS_FILTERS.map((status) => [status, t(`status.${status}.long`)]), state.status);
  const faults = Object.keys(kept.summary.fault_type).filter((fault) => !NOT_A_FAULT_FILTER.includes(fault));
  fillSelect(parts.fault, faults.map((fault) => [fault, t(`fault.${fault}`)]), state.fault);
  if (document.activeElement !== parts.q) parts.q.value = state.q || "";
  const sort = state.sort || DEFAULT_SORT;
  parts.caption.replaceChildren(caption(sort), el("span", { class: "visually-hidden" }, [` ${t("fleet.caption.help")}`]));
  for (const header of parts.headers) {
    const column = header.querySelector("button").dataset.sort;
    const direction = sort === column ? "ascending" : sort === `-${column}` ? "descending" : "none";
    header.setAttribute("aria-sort", direction);
    header.querySelector(".sort-mark").textContent = { ascending: "▲", descending: "▼", none: "" }[direction];
    header.querySelector("button").setAttribute("aria-label", t("fleet.sort.by", { column: t(`fleet.column.${column}`) }));
  }
}

function drawRows(parts, page, state) {
  const { context } = parts;
  const names = new Map(kept.substations.map((station) => [station.id, station.name]));
  replaceChildren(parts.rows, page.body.map((entry) => el("tr", {
    "data-unit-id": entry.equipment_id, "data-status": rowStatus(entry), "data-fault": rowFault(entry),
  }, cells(entry, names, context))));
  const filtered = FILTERS.some((name) => state[name]);
  parts.table.hidden = page.body.length === 0;
  if (page.body.length) {
    parts.empty.replaceChildren();
  } else if (filtered || state.cursor) {
    parts.empty.replaceChildren(stateBox("empty", { title: t("fleet.empty.filtered.title"), message: t("fleet.empty.filtered"),
      actions: [el("button", { type: "button", class: "button", onclick: () => parts.clear.click() }, [t("fleet.filter.clear")])] }));
  } else {
    parts.empty.replaceChildren(stateBox("empty", { title: t("fleet.empty.none.title"), message: t("fleet.empty.none") }));
  }
}

function drawPaging(parts) {
  const { context: { fmt }, page, state } = parts;
  parts.nextCursor = page.next ? new URL(page.next).searchParams.get("cursor") : null;
  parts.next.disabled = !parts.nextCursor;
  parts.previous.disabled = !state.cursor;
  const trailKnown = parts.trail.length > 0 || !state.cursor;
  parts.previous.textContent = trailKnown ? t("fleet.page.previous") : t("fleet.page.first");
  // While a search is typed the summary is still the last one's: no total until it is read.
  const known = summaryCurrent(parts);
  const total = known ? fmt.number(kept.summary.total) : null;
  if (!page.body.length) {
    parts.position.textContent = "";
  } else if (trailKnown) {
    const from = parts.trail.length * PAGE_SIZE + 1;
    const range = { from: fmt.number(from), to: fmt.number(from + page.body.length - 1), total };
    parts.position.textContent = t(known ? "fleet.page.range" : "fleet.page.range_so_far", range);
  } else {
    const count = { count: fmt.number(page.body.length), total };
    parts.position.textContent = t(known ? "fleet.page.count" : "fleet.page.count_so_far", count);
  }
}

function summaryCurrent(parts) {
  return kept.summaryKey === filterKey(parts.state);
}

/** The summary strip: redrawn when another summary was read, marked busy while it is not the filters' shown. */
function drawSummary(parts) {
  if (parts.summaryDrawn !== kept.summaryKey) {
    replaceChildren(parts.summary, summaryStrip(kept.summary, parts.context));
    parts.summaryDrawn = kept.summaryKey;
  }
  if (summaryCurrent(parts)) parts.summary.removeAttribute("aria-busy");
  else parts.summary.setAttribute("aria-busy", "true");
}

/** Once the search has settled, read the summary of the filters shown (if not read yet) and draw it. */
async function refreshSummary(parts) {
  if (!parts.settled || summaryCurrent(parts)) return;
  await readSummary(parts.context.api, parts.state);
  drawSummary(parts);
  drawPaging(parts);
}

/** A summary read outside a render failed: the strip, still marked busy, says so (the next change reads it again). */
function summaryFailed(parts, failure) {
  if (failure.name === "AbortError") return; // the view moved on
  parts.summary.querySelector(".summary-failed")?.remove();
  parts.summary.append(el("p", { class: "summary-note summary-failed", role: "status" },
    [t("fleet.summary.failed", { message: failure.message })]));
}

async function substations(api) {
  if (!kept.substations) kept.substations = await api.getAll("/api/v1/substations", { limit: 1000 });
  return kept.substations;
}

/** The summary of `state`'s filters into `kept`: read once per filters, a read under way shared. */
async function readSummary(api, state) {
  const key = filterKey(state);
  if (kept.summaryKey === key) return;
  if (kept.summaryRead?.key !== key || kept.summaryRead.api !== api) {
    const read = api.get("/api/v1/diagnoses/summary", filtersOf(state))
      .then((answer) => Object.assign(kept, { summaryKey: key, summary: answer.body }))
      .finally(() => {
        if (kept.summaryRead?.read === read) kept.summaryRead = null;
      });
    kept.summaryRead = { key, api, read };
  }
  await kept.summaryRead.read;
}

/**
 * Draw the fleet view for the fragment's `params` into `root`: mounted once its first data are
 * in, then updated in place. Asks for the page of rows every time, the summary only when the
 * filters changed and no search is being typed, the substations once.
 */
export async function renderFleet(root, params, context) {
  let parts = views.get(root);
  const mounted = parts && root.contains(parts.table) && !context.relabel;
  // Coming back to the fleet reads everything again; a language switch redraws what was read.
  if (!mounted && !context.relabel) Object.assign(kept, { substations: null, summaryKey: null, summary: null, summaryRead: null });
  const state = fleetState(params);
  const typing = mounted && !parts.settled;
  if (mounted) parts.rendering = state;
  const [, , page] = await Promise.all([
    substations(context.api),
    typing ? null : readSummary(context.api, state),
    context.api.get("/api/v1/diagnoses", { ...filtersOf(state), sort: state.sort, cursor: state.cursor, limit: PAGE_SIZE }),
  ]);
  if (!mounted) {
    parts = mount(root, context);
    views.set(root, parts);
  }
  Object.assign(parts, { context, state, page, rendering: null,
    trail: Array.isArray(history.state?.fleetTrail) ? history.state.fleetTrail : [] });
  drawSummary(parts);
  drawControls(parts, state);
  drawRows(parts, page, state);
  drawPaging(parts);
  await refreshSummary(parts); // the search settled while this page was read
}

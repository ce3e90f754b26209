// The fleet view: every unit worst first, a summary strip of what the filters select, filters,
// search, sortable columns, and server-side paging through the Link cursor. The URL fragment
// holds the whole state (#/fleet?substation_id=1&status=3&fault=D2&q=T8&sort=-health_index&cursor=…);
// the view is drawn once and then updated in place, so focus stays where the operator left it.

import { el, replaceChildren } from "./dom.js";
import "./fleet_strings.js";
import { t, tOr } from "./i18n.js";
import { stateBox } from "./states.js";
import { healthHistogram } from "./summary_charts.js";

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;
const FILTERS = ["substation_id", "status", "fault", "q"];
const STATUS_FILTERS = ["1", "2", "3"];
const STATUS_COUNTS = ["1", "2", "3", "unknown", "no_verdict"];
const NOT_A_FAULT_FILTER = ["unknown", "no_verdict"]; // summary counts the API's `fault` filter cannot select
const WORDS_NOT_CODES = ["none", "unknown", "no_verdict"]; // fault "types" shown in words, not as a code
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
// change, so neither asks for it again (the summary costs five fleet pages of the rate budget).
const kept = { substations: null, summaryKey: null, summary: null };
const views = new WeakMap(); // root → the mounted view's parts

/** The fleet state in a fragment's query: only known parameters with acceptable values. */
export function fleetState(params) {
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

/** A fault type in little room: its code, with the words for screen readers (and as a tooltip); words alone for the non-codes. */
function faultLabel(fault) {
  if (WORDS_NOT_CODES.includes(fault)) return el("span", { class: "count-label" }, [t(`fault.${fault}`)]);
  return el("span", { class: "count-label" }, [el("span", { "aria-hidden": "true" }, [fault]),
    el("span", { class: "visually-hidden" }, [t(`fault.${fault}`)])]);
}

function statusBadge(status) {
  const short = ["1", "2", "3"].includes(status) ? t(`status.${status}.long`) : t(`status.${status}`);
  return el("span", { class: `status status-${status}` }, [short]);
}

// --- drawing -------------------------------------------------------------------------------

function summaryStrip(summary, context) {
  const { fmt } = context;
  const statuses = el("ul", { class: "counts", "aria-label": t("fleet.summary.statuses") }, STATUS_COUNTS.map((status) =>
    el("li", { class: `count count-status status-${status}` }, [
      el("span", { class: "count-value", "data-status-count": status }, [fmt.number(summary.dga_status[status])]),
      el("span", { class: "count-label" }, [["1", "2", "3"].includes(status) ? t(`status.${status}.long`) : t(`status.${status}`)]),
    ])));
  const faults = Object.entries(summary.fault_type).filter(([, units]) => units > 0);
  const faultList = el("ul", { class: "counts counts-faults", "aria-label": t("fleet.summary.faults") }, faults.map(([fault, units]) =>
    el("li", { class: "count count-fault", title: t(`fault.${fault}`) }, [
      el("span", { class: "count-value", "data-fault-count": fault }, [fmt.number(units)]),
      faultLabel(fault),
    ])));
  const chart = healthHistogram(summary.health_index.bands, {
    label: t("fleet.summary.health"),
    describe: (band) => t("fleet.summary.health_band", { from: fmt.number(band.from), to: fmt.number(band.to),
      units: fmt.number(band.units) }),
    count: (value) => fmt.number(value),
  });
  return [
    el("div", { class: "summary-block summary-total" }, [
      el("span", { class: "count-value", "data-total": summary.total }, [fmt.number(summary.total)]),
      el("span", { class: "count-label" }, [t("fleet.summary.total")]),
      summary.stale ? el("span", { class: "summary-note" }, [t("fleet.summary.stale", { count: fmt.number(summary.stale) })]) : null,
    ]),
    el("div", { class: "summary-block" }, [el("h2", { class: "summary-heading" }, [t("fleet.summary.statuses")]), statuses]),
    el("div", { class: "summary-block" }, [el("h2", { class: "summary-heading" }, [t("fleet.summary.faults")]), faultList]),
    el("div", { class: "summary-block summary-chart" }, [el("h2", { class: "summary-heading" }, [t("fleet.summary.health")]), chart,
      summary.health_index.none
        ? el("p", { class: "summary-note" }, [t("fleet.summary.health_none", { units: fmt.number(summary.health_index.none) })])
        : null]),
  ];
}

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
  const parts = { context };
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

/** Go to `changes` of the current state (`trail`: the cursors of the pages before, for Previous). */
function go(parts, changes, { replace = false } = {}) {
  // A cursor is a position in one order of one selection: new filters or a new sort start over.
  const startOver = "sort" in changes || FILTERS.some((name) => name in changes);
  const state = { ...parts.state, ...changes };
  if (startOver) delete state.cursor;
  const trail = startOver ? [] : changes.trail ?? parts.trail;
  delete state.trail;
  if (state.sort === DEFAULT_SORT) delete state.sort;
  parts.context.navigate(fleetHash(state), { replace, state: { fleetTrail: trail } });
}

function wire(parts, form) {
  let searchTimer = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    go(parts, { q: parts.q.value.trim() });
  });
  for (const [name, select] of [["substation_id", parts.substation], ["status", parts.status], ["fault", parts.fault]]) {
    select.addEventListener("change", () => go(parts, { [name]: select.value }));
  }
  parts.q.addEventListener("input", () => {
    clearTimeout(searchTimer);
    // Typing replaces the history entry: Back returns to before the search, not to each letter.
    searchTimer = setTimeout(() => {
      if (parts.q.value.trim() !== (parts.state.q || "")) go(parts, { q: parts.q.value.trim() }, { replace: true });
    }, SEARCH_DELAY_MS);
  });
  parts.clear.addEventListener("click", () => go(parts, { substation_id: "", status: "", fault: "", q: "" }));
  for (const header of parts.headers) {
    const button = header.querySelector("button");
    button.addEventListener("click", () => go(parts, { sort: nextSort(parts.state.sort || DEFAULT_SORT, button.dataset.sort) }));
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

function drawPaging(parts, page, state) {
  const { fmt } = parts.context;
  parts.nextCursor = page.next ? new URL(page.next).searchParams.get("cursor") : null;
  parts.next.disabled = !parts.nextCursor;
  parts.previous.disabled = !state.cursor;
  const trailKnown = parts.trail.length > 0 || !state.cursor;
  parts.previous.textContent = trailKnown ? t("fleet.page.previous") : t("fleet.page.first");
  const total = kept.summary.total;
  if (!page.body.length) {
    parts.position.textContent = "";
  } else if (trailKnown) {
    const from = parts.trail.length * PAGE_SIZE + 1;
    parts.position.textContent = t("fleet.page.range", { from: fmt.number(from),
      to: fmt.number(from + page.body.length - 1), total: fmt.number(total) });
  } else {
    parts.position.textContent = t("fleet.page.count", { count: fmt.number(page.body.length), total: fmt.number(total) });
  }
}

async function substations(api) {
  if (!kept.substations) kept.substations = await api.getAll("/api/v1/substations", { limit: 1000 });
  return kept.substations;
}

async function summary(api, state) {
  const key = filterKey(state);
  if (kept.summaryKey !== key) {
    const answer = await api.get("/api/v1/diagnoses/summary", filtersOf(state));
    Object.assign(kept, { summaryKey: key, summary: answer.body });
    return true;
  }
  return false;
}

/**
 * Draw the fleet view for the fragment's `params` into `root`: mounted once its first data are
 * in, then updated in place. Asks for the page of rows every time, the summary only when the
 * filters changed, the substations once.
 */
export async function renderFleet(root, params, context) {
  let parts = views.get(root);
  const mounted = parts && root.contains(parts.table) && !context.relabel;
  // Coming back to the fleet reads everything again; a language switch redraws what was read.
  if (!mounted && !context.relabel) Object.assign(kept, { substations: null, summaryKey: null, summary: null });
  const state = fleetState(params);
  const [, , page] = await Promise.all([
    substations(context.api),
    summary(context.api, state),
    context.api.get("/api/v1/diagnoses", { ...filtersOf(state), sort: state.sort, cursor: state.cursor, limit: PAGE_SIZE }),
  ]);
  if (!mounted) {
    parts = mount(root, context);
    views.set(root, parts);
  }
  Object.assign(parts, { context, state,
    trail: Array.isArray(history.state?.fleetTrail) ? history.state.fleetTrail : [] });
  if (parts.summaryDrawn !== kept.summaryKey) {
    replaceChildren(parts.summary, summaryStrip(kept.summary, context));
    parts.summaryDrawn = kept.summaryKey;
  }
  drawControls(parts, state);
  drawRows(parts, page, state);
  drawPaging(parts, page, state);
}

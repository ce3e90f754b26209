// Small hand-written SVG charts of the unit view: Duval triangles and pentagons, time series
// with limit lines and markers, and a band chart of a status over time. (The fleet's histogram
// and the scorecard's heat maps are in summary_charts.js.)
//
// Every builder returns one <svg role="img"> with an accessible name (aria-label and <title>)
// and a viewBox in which one unit is about one CSS pixel at the chart's natural width, so a
// font-size of 11-12 stays legible in a 1280×800 frame and on a 1920×1080 screen. Colours are
// SVG presentation attributes (the page's CSP forbids inline styles); classes let a stylesheet
// restyle them. Builders take data already translated: labels are the caller's t() output.

import { svg } from "./dom.js";

const FONT_SIZE = 11;
const SMALL_FONT_SIZE = 10;
const INK = "#1f2933";
const MUTED_INK = "#52606d";
const GRID = "#d9dee3";
const POINT = "#1d4ed8";
const LATEST = "#b91c1c";
const UNZONED = "#7b8794"; // a Duval point whose sample is below typical values: drawn, but in no zone (3.6:1 on white)
const MARKER = "#7c3aed";
const LIMIT_COLOURS = { table_1: "#b7791f", table_2: "#c53030" };
// Pale fills that keep dark text legible (contrast > 7:1 with INK).
const ZONE_FILLS = {
  PD: "#e0f2fe", D1: "#fde2e4", D2: "#fbc4c9", DT: "#fde9d7", T1: "#fef9c3", T2: "#fde68a",
  T3: "#fcd9a8", S: "#dcfce7", O: "#ecfccb", C: "#e9d5ff", ND: "#eef0f2", "T3-H": "#fed7aa",
};
const DEFAULT_ZONE_FILL = "#eef0f2";
const SMALL_ZONE_SHARE = 0.01; // a zone under 1 % of the plot's area gets its label outside, on a leader line

/** The <svg role="img"> every chart starts from: name in aria-label and <title>, size in viewBox. */
function chartRoot({ chart, label, width, height, attributes }) {
  return svg("svg", {
    class: `chart chart-${chart}`,
    "data-chart": chart,
    role: "img",
    "aria-label": label,
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    preserveAspectRatio: "xMidYMid meet",
    ...attributes,
  }, [svg("title", {}, [label])]);
}

function round(value) {
  return Math.round(value * 100) / 100;
}

function text(x, y, content, attributes) {
  return svg("text", { x: round(x), y: round(y), "font-size": FONT_SIZE, fill: INK, ...attributes }, [content]);
}

// ---------------------------------------------------------------- geometry of polygons

function polygonArea(points) {
  let twiceArea = 0;
  points.forEach(([x, y], index) => {
    const [nextX, nextY] = points[(index + 1) % points.length];
    twiceArea += x * nextY - nextX * y;
  });
  return twiceArea / 2;
}

/** Area centroid (shoelace); the vertex mean for a degenerate polygon. */
function polygonCentroid(points) {
  const area = polygonArea(points);
  if (Math.abs(area) < 1e-9) {
    return points.reduce(([sumX, sumY], [x, y]) => [sumX + x / points.length, sumY + y / points.length], [0, 0]);
  }
  let centroidX = 0;
  let centroidY = 0;
  points.forEach(([x, y], index) => {
    const [nextX, nextY] = points[(index + 1) % points.length];
    const cross = x * nextY - nextX * y;
    centroidX += (x + nextX) * cross;
    centroidY += (y + nextY) * cross;
  });
  return [centroidX / (6 * area), centroidY / (6 * area)];
}

// ---------------------------------------------------------------- Duval triangles and pentagons

/**
 * A Duval triangle or pentagon: `spec` is one entry of zones.json ({gases, corners, zones});
 * `points` [{x, y, latest, zoned, attributes, title}] in the spec's coordinates (y up), oldest first —
 * older points fade, the latest is drawn last, larger and outlined; an older point with
 * `zoned: false` (its sample below typical values, so the method names no zone) is grey. Zones become
 * <polygon data-zone> (one per area) and <text data-zone-label>; points <circle data-point>,
 * all in one <g> and one coordinate system, so polygon.isPointInFill(circle centre) holds.
 * `zoneLabel(zone)` and `gasLabel(gas)` give the visible names.
 */
export function duvalPlot({ chart, label, spec, points, zoneLabel = (zone) => zone, gasLabel = (gas) => gas, size = 340 }) {
  const areas = Object.entries(spec.zones).flatMap(([zone, polygons]) => polygons.map((polygon) => ({ zone, polygon })));
  const vertices = areas.flatMap(({ polygon }) => polygon);
  const minX = Math.min(...vertices.map(([x]) => x));
  const maxX = Math.max(...vertices.map(([x]) => x));
  const minY = Math.min(...vertices.map(([, y]) => y));
  const maxY = Math.max(...vertices.map(([, y]) => y));
  const margin = 34; // room for the gas names at the corners and the outside labels
  const scale = (size - 2 * margin) / Math.max(maxX - minX, maxY - minY);
  const width = size;
  const height = Math.round((maxY - minY) * scale + 2 * margin);
  const project = ([x, y]) => [margin + (x - minX) * scale, margin + (maxY - y) * scale];
  const plotArea = areas.reduce((sum, { polygon }) => sum + Math.abs(polygonArea(polygon)), 0);

  const layer = svg("g", { class: "duval-plot" });
  for (const { zone, polygon } of areas) {
    layer.append(svg("polygon", {
      "data-zone": zone,
      class: "duval-zone",
      points: polygon.map((vertex) => project(vertex).map(round).join(",")).join(" "),
      fill: ZONE_FILLS[zone] ?? DEFAULT_ZONE_FILL,
      stroke: MUTED_INK,
      "stroke-width": 0.75,
    }, [svg("title", {}, [zoneLabel(zone)])]));
  }
  const centre = project([(minX + maxX) / 2, (minY + maxY) / 2]);
  layer.append(...gasLabels(spec, project, centre, gasLabel));
  const trail = points.map(({ x, y }) => project([x, y]).map(round).join(",")).join(" ");
  if (points.length > 1) {
    layer.append(svg("polyline", { class: "duval-trail", points: trail, fill: "none", stroke: POINT, "stroke-width": 0.75, opacity: 0.35 }));
  }
  const ordered = [...points.filter((point) => !point.latest), ...points.filter((point) => point.latest)];
  ordered.forEach((point, index) => {
    const [cx, cy] = project([point.x, point.y]);
    const age = ordered.length > 1 ? index / (ordered.length - 1) : 1; // 0 oldest … 1 newest
    const unzoned = !point.latest && point.zoned === false;
    layer.append(svg("circle", {
      "data-point": true,
      "data-latest": point.latest ? "true" : "false",
      class: ["duval-point", point.latest ? "latest" : null, unzoned ? "unzoned" : null].filter(Boolean).join(" "),
      cx: round(cx),
      cy: round(cy),
      r: point.latest ? 6 : 3.5,
      fill: point.latest ? LATEST : unzoned ? UNZONED : POINT,
      opacity: point.latest ? 1 : unzoned ? 0.6 : round(0.2 + 0.6 * age), // grey stays visible when old
      stroke: point.latest ? "#ffffff" : "none",
      "stroke-width": point.latest ? 2 : 0,
      ...point.attributes,
    }, point.title ? [svg("title", {}, [point.title])] : []));
  });
  // Zone names last, haloed, so that no point hides them.
  for (const [zone, polygons] of Object.entries(spec.zones)) {
    layer.append(zoneLabelNode(zone, zoneLabel(zone), polygons, project, plotArea, centre));
  }
  const root = chartRoot({ chart, label, width, height, attributes: {} });
  root.append(layer);
  return root;
}

/** The label of a zone at its largest area's centroid, or outside on a leader line when the zone is small. */
function zoneLabelNode(zone, content, polygons, project, plotArea, centre) {
  const largest = polygons.reduce((best, polygon) => (Math.abs(polygonArea(polygon)) > Math.abs(polygonArea(best)) ? polygon : best));
  const [x, y] = project(polygonCentroid(largest));
  const attributes = {
    "data-zone-label": zone, class: "duval-zone-label", "text-anchor": "middle", "dominant-baseline": "central", "font-weight": 600,
    stroke: "#ffffff", "stroke-width": 3, "stroke-linejoin": "round", "paint-order": "stroke",
  };
  if (Math.abs(polygonArea(largest)) >= SMALL_ZONE_SHARE * plotArea) return text(x, y, content, attributes);
  const side = x < centre[0] ? -1 : 1; // push it out to the side it already leans to
  const labelX = x + side * 26;
  return svg("g", { class: "duval-zone-callout" }, [
    svg("line", { x1: round(x), y1: round(y), x2: round(labelX - side * 8), y2: round(y), stroke: MUTED_INK, "stroke-width": 0.75 }),
    text(labelX, y, content, { ...attributes, "text-anchor": side < 0 ? "end" : "start" }),
  ]);
}

/** Each gas's name beyond its corner (triangles) or axis end (pentagons), away from the plot's centre. */
function gasLabels(spec, project, centre, gasLabel) {
  const reach = Math.max(...Object.values(spec.zones).flat().flat().map((vertex) => {
    const [x, y] = project(vertex);
    return Math.hypot(x - centre[0], y - centre[1]);
  }));
  return spec.gases.map((gas) => {
    const [cornerX, cornerY] = project(spec.corners[gas]);
    const distance = Math.hypot(cornerX - centre[0], cornerY - centre[1]) || 1;
    const along = Math.min(distance, reach) + 14;
    const x = centre[0] + ((cornerX - centre[0]) / distance) * along;
    const y = centre[1] + ((cornerY - centre[1]) / distance) * along;
    return text(x, y, gasLabel(gas), { class: "duval-gas", "data-gas": gas, "text-anchor": "middle", "dominant-baseline": "central", "font-weight": 600 });
  });
}

// ---------------------------------------------------------------- scales and axes

/** Round tick values covering [low, high], about `count` of them. */
function niceTicks(low, high, count = 4) {
  if (!(high > low)) return [low];
  const rawStep = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rawStep);
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) ticks.push(round(tick));
  return ticks;
}

function linearScale(domainLow, domainHigh, rangeLow, rangeHigh) {
  const span = domainHigh - domainLow || 1;
  return (value) => rangeLow + ((value - domainLow) / span) * (rangeHigh - rangeLow);
}

/** A value scale (linear from 0, or log10 with values below `floor` drawn at it) and its ticks. */
function valueScale({ values, log, top, bottom, fixed }) {
  if (fixed) return { scale: linearScale(fixed[0], fixed[1], bottom, top), ticks: niceTicks(fixed[0], fixed[1]), floor: fixed[0] };
  const positive = values.filter((value) => value > 0);
  if (log) {
    const floor = positive.length ? 10 ** Math.floor(Math.log10(Math.min(...positive))) : 0.1;
    const ceiling = 10 ** Math.ceil(Math.log10(Math.max(floor * 10, ...positive)));
    const toLog = linearScale(Math.log10(floor), Math.log10(ceiling), bottom, top);
    const ticks = [];
    for (let decade = floor; decade <= ceiling * 1.0001; decade *= 10) ticks.push(round(decade) || decade);
    return { scale: (value) => toLog(Math.log10(Math.max(value, floor))), ticks, floor };
  }
  const highest = Math.max(1, ...values) * 1.08;
  const ticks = niceTicks(0, highest);
  return { scale: linearScale(0, Math.max(highest, ticks.at(-1)), bottom, top), ticks, floor: 0 };
}

/** Year ticks across [start, end] (ms), at most `most` of them. */
function timeTicks(start, end, most = 6) {
  const first = new Date(start).getUTCFullYear() + 1;
  const last = new Date(end).getUTCFullYear();
  const years = [];
  for (let year = first; year <= last; year += 1) years.push(year);
  const stride = Math.max(1, Math.ceil(years.length / most));
  return years.filter((year, index) => index % stride === 0).map((year) => Date.UTC(year, 0, 1));
}

function defaultTimeLabel(time) {
  return String(new Date(time).getUTCFullYear());
}

/** The time domain [start, end] of `times`, widened to a day when there is only one. */
export function timeDomain(times) {
  const finite = times.filter(Number.isFinite);
  if (!finite.length) return [Date.now() - 86400000, Date.now()];
  const start = Math.min(...finite);
  const end = Math.max(...finite);
  const pad = Math.max((end - start) * 0.03, 86400000 * 15);
  return [start - pad, end + pad];
}

function timeAxis(layer, { domain, toX, bottom, top, formatTime }) {
  for (const tick of timeTicks(domain[0], domain[1])) {
    const x = toX(tick);
    layer.append(svg("line", { x1: round(x), x2: round(x), y1: top, y2: bottom, stroke: GRID, "stroke-width": 0.5 }));
    layer.append(text(x, bottom + 13, formatTime(tick), { "text-anchor": "middle", "font-size": SMALL_FONT_SIZE, fill: MUTED_INK }));
  }
}

/** Vertical markers (e.g. inspections): a dashed line and a triangle at the top with a <title>. */
function timeMarkers(layer, markers, { toX, top, bottom }) {
  for (const marker of markers) {
    const x = round(toX(marker.time));
    layer.append(svg("g", { class: "chart-marker", ...marker.attributes }, [
      svg("title", {}, [marker.label]),
      svg("line", { x1: x, x2: x, y1: top, y2: bottom, stroke: MARKER, "stroke-width": 1, "stroke-dasharray": "3 2" }),
      svg("path", { d: `M${x - 5},${top - 8} L${x + 5},${top - 8} L${x},${top - 1} Z`, fill: MARKER }),
    ]));
  }
}

// ---------------------------------------------------------------- time series

/**
 * A small time series: `points` [{time (ms), value, attributes, title}] as <circle data-point>
 * joined by a line; `limits` [{value, label, attributes}] as horizontal <line>s (e.g.
 * {"data-limit": "table_1"}) labelled at the right; `markers` [{time, label, attributes}] as
 * vertical dashed lines; `heading` is written at the top left. `log` draws log10 (values ≤ 0 at the lowest decade); `fixed` [low,
 * high] pins the value axis (e.g. a health index 0-100). `domain` [start, end] in ms keeps
 * several charts aligned; `formatValue` / `formatTime` label the axes.
 */
export function timeSeries({
  chart = "trend", label, heading = null, points, limits = [], markers = [], domain, log = false, fixed = null,
  formatValue = String, formatTime = defaultTimeLabel, attributes = {}, width = 340, height = 130,
}) {
  const left = 44;
  const right = width - 40;
  const top = heading ? 24 : 14;
  const bottom = height - 20;
  const span = domain ?? timeDomain(points.map((point) => point.time));
  const toX = linearScale(span[0], span[1], left, right);
  const { scale: toY, ticks } = valueScale({
    values: [...points.map((point) => point.value), ...limits.map((limit) => limit.value)], log, top, bottom, fixed,
  });
  const root = chartRoot({ chart, label, width, height, attributes });
  const layer = svg("g", { class: "chart-layer" });
  if (heading) layer.append(text(2, 10, heading, { class: "chart-heading", "font-weight": 600, "dominant-baseline": "central" }));
  for (const tick of ticks) {
    const y = round(toY(tick));
    layer.append(svg("line", { x1: left, x2: right, y1: y, y2: y, stroke: GRID, "stroke-width": 0.5 }));
    layer.append(text(left - 4, y, formatValue(tick), { "text-anchor": "end", "dominant-baseline": "central", "font-size": SMALL_FONT_SIZE, fill: MUTED_INK }));
  }
  timeAxis(layer, { domain: span, toX, top, bottom, formatTime });
  layer.append(svg("line", { x1: left, x2: right, y1: bottom, y2: bottom, stroke: MUTED_INK, "stroke-width": 0.75 }));
  for (const limit of limits) {
    const y = round(toY(limit.value));
    const colour = LIMIT_COLOURS[limit.kind] ?? LATEST;
    layer.append(svg("g", { class: "chart-limit" }, [
      svg("title", {}, [limit.label]),
      svg("line", { x1: left, x2: right, y1: y, y2: y, stroke: colour, "stroke-width": 1.25, "stroke-dasharray": "6 3", ...limit.attributes }),
      text(right + 3, y, limit.shortLabel ?? formatValue(limit.value), { "dominant-baseline": "central", "font-size": SMALL_FONT_SIZE, fill: colour }),
    ]));
  }
  timeMarkers(layer, markers, { toX, top, bottom });
  if (points.length > 1) {
    const path = points.map((point) => `${round(toX(point.time))},${round(toY(point.value))}`).join(" ");
    layer.append(svg("polyline", { points: path, fill: "none", stroke: POINT, "stroke-width": 1.25, opacity: 0.7 }));
  }
  points.forEach((point, index) => {
    const latest = index === points.length - 1;
    layer.append(svg("circle", {
      "data-point": true,
      cx: round(toX(point.time)),
      cy: round(toY(point.value)),
      r: latest ? 3.5 : 2.25,
      fill: latest ? LATEST : POINT,
      ...point.attributes,
    }, point.title ? [svg("title", {}, [point.title])] : []));
  });
  root.append(layer);
  return root;
}

// ---------------------------------------------------------------- a band chart of a status over time

/**
 * A status over time, one row per band (`bands` [{key, label, fill}], first row at the top):
 * each of `points` [{time, band, attributes, title}] (oldest first) holds its band from its
 * time until the next point's, drawn as a <rect>, with a <circle data-point> at its time.
 * `markers` as in timeSeries.
 */
export function bandHistory({
  chart = "status-history", label, points, bands, markers = [], domain, formatTime = defaultTimeLabel,
  attributes = {}, width = 1000, rowHeight = 18,
}) {
  const left = 8 + 7 * Math.max(...bands.map((band) => String(band.label).length)); // room for the longest row label
  const right = width - 12;
  const top = 12;
  const bottom = top + rowHeight * bands.length;
  const height = bottom + 20;
  const span = domain ?? timeDomain(points.map((point) => point.time));
  const toX = linearScale(span[0], span[1], left, right);
  const rowOf = new Map(bands.map((band, index) => [band.key, index]));
  const root = chartRoot({ chart, label, width, height, attributes });
  const layer = svg("g", { class: "chart-layer" });
  bands.forEach((band, index) => {
    const y = top + index * rowHeight;
    layer.append(svg("rect", { x: left, y, width: right - left, height: rowHeight, fill: index % 2 ? "#ffffff" : "#f5f7fa" }));
    layer.append(text(left - 6, y + rowHeight / 2, band.label, { "text-anchor": "end", "dominant-baseline": "central" }));
  });
  timeAxis(layer, { domain: span, toX, top, bottom, formatTime });
  points.forEach((point, index) => {
    const row = rowOf.get(point.band);
    if (row === undefined) return;
    const band = bands[row];
    const start = toX(point.time);
    const end = index + 1 < points.length ? toX(points[index + 1].time) : Math.min(right, start + 6);
    const y = top + row * rowHeight;
    layer.append(svg("rect", { x: round(start), y: y + 3, width: round(Math.max(end - start, 2)), height: rowHeight - 6, fill: band.fill, class: "band-span" }));
    layer.append(svg("circle", { "data-point": true, cx: round(start), cy: y + rowHeight / 2, r: 2.5, fill: INK, ...point.attributes },
      point.title ? [svg("title", {}, [point.title])] : []));
  });
  timeMarkers(layer, markers, { toX, top: top + 8, bottom });
  root.append(layer);
  return root;
}

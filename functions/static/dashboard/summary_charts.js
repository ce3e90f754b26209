// The two small charts of the shell's views, as plain SVG: the fleet's health-index histogram
// and a scorecard confusion matrix as a heat map. Text comes in from the caller (already
// translated); sizes are viewBox units, so the charts scale with their box.

import { svg } from "./dom.js";

const HISTOGRAM = { width: 320, height: 132, top: 16, bottom: 20, gap: 2 };
const HEAT = { cell: 30, left: 64, top: 72, caption: 16 };
const HEAT_RGB = [29, 78, 216]; // a cell's colour at full strength, over the white page
// Below this relative luminance a cell's count is white, above it black: both reach 4.5:1 (WCAG AA).
const INVERSE_BELOW = 0.18;

/** The relative luminance (WCAG) of the heat colour at `opacity` over white. */
function heatLuminance(opacity) {
  const [red, green, blue] = HEAT_RGB.map((channel) => {
    const value = (255 - opacity * (255 - channel)) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

/** A chart root: an <svg> with a viewBox, an accessible name and a <title>. */
function chart(name, width, height, label, children) {
  return svg("svg", { "data-chart": name, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label,
    class: `chart chart-${name}` }, [svg("title", {}, [label]), ...children]);
}

/**
 * Units per health-index band: one <rect data-band-from> per band ({from, to, units}), its count
 * above it and the band's bounds below. `describe(band)` is a band's tooltip, `count(n)` a number.
 */
export function healthHistogram(bands, { label, describe, count }) {
  const { width, height, top, bottom, gap } = HISTOGRAM;
  const plotHeight = height - top - bottom;
  const barWidth = width / bands.length;
  const most = Math.max(1, ...bands.map((band) => band.units));
  const parts = [];
  bands.forEach((band, index) => {
    const barHeight = band.units ? Math.max(2, (band.units / most) * plotHeight) : 0;
    const x = index * barWidth;
    parts.push(svg("rect", { x: x + gap / 2, y: top + plotHeight - barHeight, width: barWidth - gap, height: barHeight,
      class: `band band-${index}`, "data-band-from": band.from, "data-band-to": band.to, "data-units": band.units },
    [svg("title", {}, [describe(band)])]));
    parts.push(svg("text", { x: x + barWidth / 2, y: top + plotHeight - barHeight - 3, class: "band-count",
      "text-anchor": "middle" }, [count(band.units)]));
  });
  parts.push(svg("line", { x1: 0, x2: width, y1: top + plotHeight, y2: top + plotHeight, class: "axis" }));
  const edges = [bands[0].from, bands[Math.floor(bands.length / 2)].from, bands[bands.length - 1].to];
  edges.forEach((edge, index) => {
    const anchor = ["start", "middle", "end"][index];
    parts.push(svg("text", { x: (width * index) / 2, y: height - 4, class: "axis-label", "text-anchor": anchor },
      [count(edge)]));
  });
  return chart("health-index-distribution", width, height, label, parts);
}

/**
 * A confusion matrix ({actual: {predicted: count}}) as a heat map: a row per `actuals` entry, a
 * column per `predicted` entry, one <rect data-actual data-predicted data-count> per non-empty
 * cell, darker with more inspections. `code(name)` labels a class, `cellLabel(a, p, n)` a cell.
 */
export function confusionHeatMap(confusion, { method, actuals, predicted, label, rowsTitle, columnsTitle, code,
  cellLabel, count }) {
  const { cell, left, top, caption } = HEAT;
  const width = left + cell * predicted.length + 4;
  const height = top + cell * actuals.length + 4;
  const most = Math.max(1, ...actuals.flatMap((actual) => Object.values(confusion[actual] || {})));
  const parts = [
    svg("text", { x: left + (cell * predicted.length) / 2, y: caption - 4, class: "axis-title", "text-anchor": "middle" },
      [columnsTitle]),
    svg("text", { x: 4, y: caption - 4, class: "axis-title" }, [rowsTitle]),
  ];
  predicted.forEach((name, column) => {
    const x = left + column * cell + cell / 2;
    parts.push(svg("text", { x, y: top - 6, class: "axis-label", "text-anchor": "start",
      transform: `rotate(-50 ${x} ${top - 6})` }, [code(name)]));
  });
  actuals.forEach((actual, row) => {
    const y = top + row * cell;
    parts.push(svg("text", { x: left - 6, y: y + cell / 2 + 4, class: "axis-label", "text-anchor": "end" }, [code(actual)]));
    parts.push(svg("rect", { x: left, y, width: cell * predicted.length, height: cell, class: "heat-row" }));
    predicted.forEach((name, column) => {
      const cases = confusion[actual]?.[name] || 0;
      if (!cases) return;
      const opacity = 0.15 + 0.85 * (cases / most);
      const x = left + column * cell;
      parts.push(svg("rect", { x: x + 1, y: y + 1, width: cell - 2, height: cell - 2,
        class: `heat-cell${actual === name ? " heat-hit" : ""}`, fill: `rgb(${HEAT_RGB.join(",")})`,
        opacity: opacity.toFixed(3), "data-actual": actual, "data-predicted": name, "data-count": cases },
      [svg("title", {}, [cellLabel(actual, name, cases)])]));
      parts.push(svg("text", { x: x + cell / 2, y: y + cell / 2 + 4, "text-anchor": "middle", "aria-hidden": "true",
        class: heatLuminance(opacity) < INVERSE_BELOW ? "heat-count heat-count-inverse" : "heat-count" }, [count(cases)]));
    });
  });
  const root = chart("confusion", width, height, label, parts);
  // Drawn at its own size (a cell stays a cell's size), shrunk only when its box is narrower.
  for (const [name, value] of [["data-method", method], ["width", width], ["height", height]]) root.setAttribute(name, value);
  return root;
}

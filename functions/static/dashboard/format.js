// Numbers and dates in the page's locale (ko-KR or en-GB) through Intl; a missing value is a dash.

import { locale, t } from "./i18n.js";

const formatters = new Map();

/** One Intl formatter per (kind, locale, options), made on first use: building them is the slow part. */
function formatter(Kind, options) {
  const key = `${Kind.name}|${locale()}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) formatters.set(key, new Kind(locale(), options));
  return formatters.get(key);
}

function missing(value) {
  return value === null || value === undefined || Number.isNaN(value);
}

/** `value` with exactly `digits` decimals (0 when not given): 1,234.5 / 1,234.5 */
export function number(value, digits = 0) {
  if (missing(value)) return t("value.none");
  return formatter(Intl.NumberFormat, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/** A fraction 0..1 as a percentage with `digits` decimals. */
export function percent(value, digits = 0) {
  if (missing(value)) return t("value.none");
  return formatter(Intl.NumberFormat, { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

function parsed(iso) {
  if (!iso) return null;
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? null : moment;
}

/** The calendar date of an ISO 8601 timestamp, in UTC as the API records it: 2 Sept 2026 / 2026. 9. 2. */
export function date(iso) {
  const moment = parsed(iso);
  if (!moment) return t("value.none");
  return formatter(Intl.DateTimeFormat, { dateStyle: "medium", timeZone: "UTC" }).format(moment);
}

/** The time of day of a Date, to the second, in the browser's time zone (when to retry). */
export function time(moment) {
  return formatter(Intl.DateTimeFormat, { timeStyle: "medium" }).format(moment);
}

export const fmt = { number, percent, date, time };

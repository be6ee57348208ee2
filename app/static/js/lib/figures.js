/* KnownCaller: the supervisor's figures as people read them (SPEC §12) — a rate, a time, an NPS,
 * a count; "—" and why when there was nothing to count; today against an earlier range; the
 * service level against its target; the ranges the dashboard offers (UTC days, as the server
 * counts them). Pure: no DOM, so `node --test` covers it (tests/js/figures.test.mjs).
 */

const DAY_MS = 24 * 3600 * 1000;
const NBSP = "\u00a0";
const MINUS = "\u2212";
export const EMPTY = "—";

/**
 * The figures the dashboard shows, in the order it shows them: `kind` says how each reads,
 * `better` which way is good ("up", "down", or null when neither is), `empty` why one may be null.
 */
export const FIGURES = [
  { key: "service_level", label: "Service level", kind: "rate", better: "up",
    empty: "Nothing to count: no call was answered or abandoned in this range." },
  { key: "asa_seconds", label: "Average speed of answer", short: "ASA", kind: "seconds", better: "down",
    empty: "Nothing to count: no call was answered in this range." },
  { key: "abandonment_rate", label: "Abandonment rate", kind: "rate", better: "down",
    empty: "Nothing to count: no call arrived in this range." },
  { key: "aht_seconds", label: "Average handle time", short: "AHT", kind: "seconds", better: null,
    empty: "Nothing to count: no call was handled in this range." },
  { key: "nps", label: "NPS", kind: "nps", better: "up",
    empty: "Nothing to count: no survey was answered in this range." },
  { key: "calls", label: "Calls", kind: "count", better: null, empty: "Nothing to count." },
  { key: "answered", label: "Answered", kind: "count", better: null, empty: "Nothing to count." },
  { key: "abandoned", label: "Abandoned", kind: "count", better: "down", empty: "Nothing to count." },
  { key: "surveys", label: "Surveys answered", kind: "count", better: null, empty: "Nothing to count." },
  { key: "repeat_call_rate", label: "Repeat-call rate", kind: "rate", better: "down",
    empty: "Nothing to count: no call from a known customer in this range." },
  { key: "first_contact_resolution", label: "First-contact resolution", short: "FCR", kind: "rate", better: "up",
    empty: "Nothing to count: no answered call in this range is 7 days old yet." },
];

export function figure(key) {
  return FIGURES.find((f) => f.key === key) || null;
}

function isNumber(value) {
  return typeof value === "number" && isFinite(value);
}

/** "42 s", "4 min 5 s", "1 h 2 min": a length of time, as a big number reads it. */
export function seconds(value) {
  const total = Math.max(0, Math.round(value));
  if (total < 60) return total + NBSP + "s";
  if (total < 3600) {
    const m = Math.floor(total / 60), s = total % 60;
    return m + NBSP + "min" + (s ? " " + s + NBSP + "s" : "");
  }
  const h = Math.floor(total / 3600), m = Math.round((total % 3600) / 60);
  return h + NBSP + "h" + (m ? " " + m + NBSP + "min" : "");
}

/** "82 %" (a fraction 0..1); "<1 %" for a little above nothing. */
export function percent(value) {
  if (value > 0 && value < 0.005) return "<1" + NBSP + "%";
  return Math.round(value * 100) + NBSP + "%";
}

/** "+32", "−10", "0": an NPS is signed. */
export function nps(value) {
  const n = Math.round(value);
  if (n > 0) return "+" + n;
  if (n < 0) return MINUS + Math.abs(n);
  return "0";
}

/** A figure's value as text, by its kind; "—" when there was nothing to count (null). */
export function formatFigure(value, kind) {
  if (!isNumber(value)) return EMPTY;
  switch (kind) {
    case "rate": return percent(value);
    case "seconds": return seconds(value);
    case "nps": return nps(value);
    default: return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }
}

/** {text, title}: the value, and for "—" the sentence saying there was nothing to count. */
export function figureText(value, spec) {
  const text = formatFigure(value, spec.kind);
  return { text, title: text === EMPTY ? spec.empty : "" };
}

/** How many days the range [since, until) spans (at least 1). */
export function rangeDays(since, until) {
  const ms = Date.parse(until) - Date.parse(since);
  return isNaN(ms) ? 1 : Math.max(1, Math.round(ms / DAY_MS));
}

/**
 * An earlier range's value, made comparable with today's: a count over several days becomes a
 * count a day (today is one day); rates, times and NPS are already comparable.
 */
export function comparable(value, spec, days) {
  if (!isNumber(value)) return null;
  return spec.kind === "count" && days > 1 ? value / days : value;
}

/** The earlier range's value as it reads beside today's: "78 %", "12.4 a day", "—". */
export function earlierText(value, spec, days) {
  const same = comparable(value, spec, days);
  if (same === null) return EMPTY;
  if (spec.kind === "count" && days > 1) return (Math.round(same * 10) / 10).toString() + " a day";
  return formatFigure(same, spec.kind);
}

/**
 * Today against the earlier range: {direction: "up"|"down"|"same", verdict: "better"|"worse"|
 * "neutral", text ("+4 pts", "−12 s", "+3"), words (for a screen reader)}, or null when either
 * is missing. Rates differ in percentage points, times in seconds, NPS and counts in units.
 */
export function change(today, earlier, spec, days = 1) {
  const then = comparable(earlier, spec, days);
  if (!isNumber(today) || then === null) return null;
  let diff = today - then;
  let text;
  let unit;
  if (spec.kind === "rate") {
    diff = Math.round(diff * 100);
    unit = Math.abs(diff) === 1 ? "point" : "points";
    text = Math.abs(diff) + NBSP + (Math.abs(diff) === 1 ? "pt" : "pts");
  } else if (spec.kind === "seconds") {
    diff = Math.round(diff);
    unit = "";
    text = seconds(Math.abs(diff));
  } else if (spec.kind === "nps") {
    diff = Math.round(diff);
    unit = Math.abs(diff) === 1 ? "point" : "points";
    text = String(Math.abs(diff));
  } else {
    diff = Math.round(diff * 10) / 10;
    unit = "";
    text = String(Math.abs(diff));
  }
  const direction = diff > 0 ? "up" : diff < 0 ? "down" : "same";
  const verdict = direction === "same" || !spec.better ? "neutral" : direction === spec.better ? "better" : "worse";
  if (direction === "same") return { direction, verdict, text: "same", words: "the same as before" };
  const sign = direction === "up" ? "+" : MINUS;
  const amount = spec.kind === "seconds" ? text.replace(/\u00a0/g, " ") : Math.abs(diff) + (unit ? " " + unit : "");
  const words = amount + (direction === "up" ? " higher" : " lower") +
    (verdict === "neutral" ? "" : " (" + verdict + ")");
  return { direction, verdict, text: sign + text, words };
}

/**
 * The service level against its target: {met: true|false|null, text: "82 % · target 80 %",
 * label: "Met"|"Missed"|""}. Without a service level (nothing to count) there is no verdict.
 */
export function serviceLevelVerdict(value, target) {
  const goal = isNumber(target) ? target : 0.8;
  const targetText = "target " + percent(goal);
  if (!isNumber(value)) return { met: null, text: EMPTY + " · " + targetText, label: "" };
  // Judged as shown: 79.6 % reads "80 %", and "80 % · target 80 %" must not read missed.
  const met = Math.round(value * 100) >= Math.round(goal * 100);
  return { met, text: percent(value) + " · " + targetText, label: met ? "Met" : "Missed" };
}

function utcMidnight(ms) {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

function iso(ms) {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** Today as the server counts it: {since: today 00:00 UTC, until: tomorrow 00:00 UTC}. */
export function todayRange(now = Date.now()) {
  const start = utcMidnight(now);
  return { since: iso(start), until: iso(start + DAY_MS) };
}

/** The last `days` UTC days up to and including today (the NPS trend: 30). */
export function lastDaysRange(days, now = Date.now()) {
  const end = utcMidnight(now) + DAY_MS;
  return { since: iso(end - days * DAY_MS), until: iso(end) };
}

/** The earlier ranges the dashboard offers, as the select lists them. */
export const RANGES = [
  { value: "yesterday", label: "Yesterday", days: 1 },
  { value: "7d", label: "Last 7 days", days: 7 },
  { value: "30d", label: "Last 30 days", days: 30 },
  { value: "custom", label: "Custom…" },
];

function dateInput(value) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value || "")) return null;
  const [y, m, d] = value.split("-").map(Number);
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  return back.getUTCMonth() === m - 1 && back.getUTCDate() === d ? ms : null;
}

/**
 * The range a choice stands for, {since, until, label}, or {error} for a custom one that does not
 * hold. Offered ranges end where today begins (the days before today); a custom one runs from
 * the start of its first day to the end of its last (both dates inclusive, UTC).
 */
export function rangeFor(choice, now = Date.now(), custom = {}) {
  const today = utcMidnight(now);
  const offered = RANGES.find((r) => r.value === choice && r.days);
  if (offered) {
    return { since: iso(today - offered.days * DAY_MS), until: iso(today), label: offered.label.toLowerCase() };
  }
  if (choice !== "custom") return { error: "Choose a range." };
  const from = dateInput(custom.since), to = dateInput(custom.until);
  if (from === null) return { error: "Give the first day of the range." };
  if (to === null) return { error: "Give the last day of the range." };
  if (to < from) return { error: "The last day comes before the first." };
  const label = custom.since === custom.until ? custom.since : custom.since + " to " + custom.until;
  return { since: iso(from), until: iso(to + DAY_MS), label };
}

/** "07:00": the hour a bucket starts, in UTC (the server's buckets are UTC hours). */
export function hourLabel(isoText) {
  const d = new Date(isoText);
  return isNaN(d.getTime()) ? "" : String(d.getUTCHours()).padStart(2, "0") + ":00";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "3 Dec": the UTC day a bucket starts. */
export function dayLabel(isoText) {
  const d = new Date(isoText);
  return isNaN(d.getTime()) ? "" : d.getUTCDate() + " " + MONTHS[d.getUTCMonth()];
}

/** Percent of a fraction for a chart axis (null stays null: a gap, not a zero). */
export function chartPercent(value) {
  return isNumber(value) ? Math.round(value * 1000) / 10 : null;
}

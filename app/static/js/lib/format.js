/* KnownCaller: how times, durations and dates read on every page. Pure: no DOM, so `node --test`
 * covers it (tests/js/format.test.mjs). */

function parse(iso) {
  const date = iso ? new Date(iso) : null;
  return date && !isNaN(date.getTime()) ? date : null;
}

/** A call's length or elapsed time: "0:42", "12:05", "1:02:03"; "" when unknown. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  seconds = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
}

/** "07:05" in the browser's locale, or "". */
export function timeOfDay(iso) {
  const date = parse(iso);
  return date ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

/** "Nov 30, 2026, 07:05" in the browser's locale, or "". */
export function dateTime(iso) {
  const date = parse(iso);
  if (!date) return "";
  return date.toLocaleString([], { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** "3 Dec" in the browser's locale (a date without its time), or "". */
export function shortDate(iso) {
  const date = parse(iso);
  return date ? date.toLocaleDateString([], { day: "numeric", month: "short" }) : "";
}

/** `date` as ISO 8601 in the browser's local time, with its offset: "2026-12-03T23:59:59-05:00". */
export function localIso(date) {
  const pad = (n) => String(Math.abs(Math.trunc(n))).padStart(2, "0");
  const offset = -date.getTimezoneOffset();  // minutes east of UTC
  const sign = offset < 0 ? "-" : "+";
  return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
    "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
    sign + pad(offset / 60) + ":" + pad(offset % 60);
}

/** "2026-12-03" (a date input) → the last second of that day in the browser's local time, as ISO
 *  8601 with the local offset ("2026-12-03T23:59:59-05:00"), or null: "by 3 Dec" means all of it. */
export function endOfDay(value) {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const [year, month, day] = value.split("-").map(Number);
  const date = new Date(year, month - 1, day, 23, 59, 59);
  if (date.getMonth() !== month - 1 || date.getDate() !== day) return null;  // 2026-02-31
  return localIso(date);
}

/** "2026-11-30" (a date input) → the end of that local day as ISO 8601 UTC, or null. */
export function dateToDueAt(value) {
  if (!value) return null;
  const parts = value.split("-").map(Number);
  if (parts.length !== 3 || parts.some(isNaN)) return null;
  return new Date(parts[0], parts[1] - 1, parts[2], 23, 59, 0).toISOString();
}

/** An ISO time → "2026-11-30" in local time, for a date input. */
export function isoToDate(iso) {
  const date = parse(iso);
  if (!date) return "";
  return date.getFullYear() + "-" + String(date.getMonth() + 1).padStart(2, "0") + "-" +
    String(date.getDate()).padStart(2, "0");
}

function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

/** "due 2 days ago", "due today", "due in 3 days" (relative to `now`, a ms timestamp). */
export function dueText(iso, now = Date.now()) {
  const due = parse(iso);
  if (!due) return "";
  const hours = (due.getTime() - now) / 3600000;
  if (Math.abs(hours) < 24) {
    const h = Math.round(Math.abs(hours));
    if (h === 0) return hours < 0 ? "due just now" : "due within the hour";
    return hours < 0 ? "due " + plural(h, "hour") + " ago" : "due in " + plural(h, "hour");
  }
  const days = Math.round(hours / 24);
  return days < 0 ? "due " + plural(-days, "day") + " ago" : "due in " + plural(days, "day");
}

const TIER_LABELS = { vip: "VIP" };

/** "VIP", "Gold", …: a tier as people read it. */
export function tierLabel(tier) {
  return TIER_LABELS[tier] || (tier ? tier.charAt(0).toUpperCase() + tier.slice(1) : "");
}

/** A value as a select option label: "in-progress" → "In-progress". */
export function optionLabel(value) {
  return value.charAt(0).toUpperCase() + value.slice(1);
}


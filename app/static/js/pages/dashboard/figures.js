/* KnownCaller dashboard: how today is going, in big numbers (SPEC §12) — each figure of
 * GET /api/v1/metrics for today beside the same figure over the earlier range chosen above it
 * (counts a day at a time), and the service level against its target, marked met or missed in
 * words, not only in colour. A figure with nothing to count reads "—", its title saying why.
 */
import { el } from "../../lib/dom.js";
import { FIGURES, change, earlierText, figureText, rangeDays, serviceLevelVerdict } from "../../lib/figures.js";
import * as insight from "../../lib/insight_api.js";

/** One tile: its label, today's value, and the earlier range's beside it. */
function tile(spec) {
  const node = el("div", "figure figure-" + spec.kind);
  node.setAttribute("data-figure", spec.key);
  const label = el("dt", "figure-label");
  if (spec.short) {
    const abbr = el("abbr", null, spec.short);
    abbr.title = spec.label;
    label.appendChild(abbr);
  } else label.textContent = spec.label;
  node.appendChild(label);
  const value = el("dd", "figure-value", "…");
  value.setAttribute("data-role", "value");
  node.appendChild(value);
  if (spec.key === "service_level") {
    const target = el("dd", "figure-target");
    target.setAttribute("data-role", "target");
    node.appendChild(target);
  }
  const earlier = el("dd", "figure-earlier");
  earlier.setAttribute("data-role", "earlier");
  node.appendChild(earlier);
  return node;
}

/**
 * The figures in `host` (a <dl>): `status` says errors. Returns {show(today, earlier, range)},
 * `read(range)` (today against `range`, {since, until, label}) → a promise.
 */
export function createFigures(host, status) {
  const tiles = new Map();
  FIGURES.forEach((spec) => {
    const node = tile(spec);
    tiles.set(spec.key, node);
    host.appendChild(node);
  });

  function showValue(node, spec, value) {
    const cell = node.querySelector("[data-role=value]");
    const shown = figureText(value, spec);
    cell.textContent = shown.text;
    if (shown.title) cell.title = shown.title;
    else cell.removeAttribute("title");
    node.classList.toggle("figure-empty", !!shown.title);
  }

  function showTarget(node, today) {
    const verdict = serviceLevelVerdict(today.service_level, today.service_level_target);
    const cell = node.querySelector("[data-role=target]");
    cell.textContent = "";
    const goal = verdict.text.split(" · ")[1];
    cell.appendChild(el("span", "figure-target-text", verdict.met === null ? goal : "· " + goal));
    if (verdict.label) {
      const mark = el("span", "badge badge-target badge-target-" + (verdict.met ? "met" : "missed"),
        verdict.met ? "✓ Met" : "✗ Missed");
      mark.setAttribute("data-role", "verdict");
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(mark);
    }
    node.setAttribute("data-met", verdict.met === null ? "" : String(verdict.met));
    const seconds = today.service_level_seconds;
    if (seconds) node.title = "Answered within " + seconds + " s of arriving";
  }

  function showEarlier(node, spec, todayValue, earlier, range) {
    const cell = node.querySelector("[data-role=earlier]");
    cell.textContent = "";
    if (!earlier || !range) return;
    const days = rangeDays(earlier.since || range.since, earlier.until || range.until);
    const name = range.label.charAt(0).toUpperCase() + range.label.slice(1);
    cell.appendChild(el("span", "figure-earlier-text", name + ": " + earlierText(earlier[spec.key], spec, days)));
    // Counts get no arrow: today is not over, so it is always "down" on a whole day.
    const delta = spec.kind === "count" ? null : change(todayValue, earlier[spec.key], spec, days);
    if (delta && delta.direction !== "same") {
      const mark = el("span", "delta delta-" + delta.verdict, (delta.direction === "up" ? "▲ " : "▼ ") + delta.text);
      mark.setAttribute("data-role", "delta");
      mark.title = "Today is " + delta.words + " than " + range.label;
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(mark);
      cell.appendChild(el("span", "visually-hidden", " (" + delta.words + ")"));
    }
  }

  function show(today, earlier, range) {
    FIGURES.forEach((spec) => {
      const node = tiles.get(spec.key);
      showValue(node, spec, today[spec.key]);
      if (spec.key === "service_level") showTarget(node, today);
      showEarlier(node, spec, today[spec.key], earlier, range);
    });
    host.setAttribute("aria-busy", "false");
  }

  let earlierCache = { key: null, data: null, at: 0 };
  const EARLIER_TTL_MS = 10 * 60 * 1000;

  /** Today (the server's default range), and `range` (cached a while: it lies in the past). */
  function read(range) {
    const key = range ? range.since + "/" + range.until : "";
    const fresh = earlierCache.key === key && Date.now() - earlierCache.at < EARLIER_TTL_MS;
    const earlier = !range ? Promise.resolve(null) : fresh ? Promise.resolve(earlierCache.data)
      : insight.getMetrics(range).then((data) => {
        earlierCache = { key, data, at: Date.now() };
        return data;
      });
    return Promise.all([insight.getMetrics(), earlier]).then(([today, before]) => {
      show(today || {}, before, range);
      status.hidden = true;
      return today;
    }, (error) => {
      status.hidden = false;
      status.className = "status-line status-line-error";
      status.textContent = "Could not read today's figures: " + error.message;
      throw error;
    });
  }

  return { read, show };
}

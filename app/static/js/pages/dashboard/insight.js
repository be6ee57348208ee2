/* KnownCaller dashboard: what drives the supervisor's view (SPEC §12) — the earlier range chosen
 * above today's figures (yesterday, the last 7 or 30 days, or days of one's own), the CSV links
 * that follow it, and the minute's re-read of the figures, the charts and the care list. The
 * scorecards follow the range too; they are read again when it changes and every few minutes.
 */
import { rangeFor, todayRange } from "../../lib/figures.js";
import { insightPaths } from "../../lib/insight_api.js";

export const INSIGHT_REFRESH_MS = 60 * 1000;
const SCORECARDS_REFRESH_MS = 5 * 60 * 1000;

/** `figures`, `charts`, `scorecards`, `care`: the parts (see their modules). */
export function createInsight({ figures, charts, scorecards, care }) {
  const form = document.getElementById("range-picker");
  const select = document.getElementById("range-select");
  const custom = document.getElementById("range-custom");
  const since = document.getElementById("range-since");
  const until = document.getElementById("range-until");
  const error = document.getElementById("range-error");
  let range = rangeFor(select.value);
  let scorecardsAt = 0;

  function links() {
    document.getElementById("export-metrics").href = insightPaths.metricsCsv(range, "day");
    document.getElementById("export-metrics-hourly").href = insightPaths.metricsCsv(todayRange(), "hour");
    document.getElementById("export-scorecards").href = insightPaths.scorecardsCsv(range);
  }

  function sayError(text) {
    error.textContent = text || "";
    error.hidden = !text;
  }

  /** Today's figures (against the range), then the charts with today's target; the care list. */
  function refresh() {
    const target = figures.read(range).then((today) => today && today.service_level_target, () => undefined);
    const reads = [target.then((goal) => charts.refresh(goal)), care.refresh()];
    if (Date.now() - scorecardsAt > SCORECARDS_REFRESH_MS) {
      scorecardsAt = Date.now();
      reads.push(scorecards.read(range));
    }
    links();
    return Promise.all(reads);
  }

  /** A new range: the figures compare with it, the scorecards and the CSV cover it. */
  function choose() {
    const value = select.value;
    custom.hidden = value !== "custom";
    if (value === "custom") {
      // Start from the range shown, so "Custom…" reads as an edit of it.
      // UTC days, as the range counts them.
      if (!since.value) since.value = range.since.slice(0, 10);
      if (!until.value) until.value = new Date(Date.parse(range.until) - 1000).toISOString().slice(0, 10);
    }
    const next = rangeFor(value, Date.now(), { since: since.value, until: until.value });
    if (next.error) {
      sayError(next.error);
      return;
    }
    sayError("");
    range = next;
    scorecardsAt = 0;
    refresh();
  }

  select.addEventListener("change", () => {
    if (select.value === "custom") {
      custom.hidden = false;
      choose();
      since.focus();
    } else choose();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    choose();
  });

  refresh();
  setInterval(() => { if (document.visibilityState === "visible") refresh(); }, INSIGHT_REFRESH_MS);
  return { refresh, range: () => range };
}

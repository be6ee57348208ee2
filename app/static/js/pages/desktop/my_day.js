/* KnownCaller desktop: "My day" — my own figures for today (calls I took, my NPS, follow-ups due
 * today and overdue: GET /api/v1/me/figures) and my part of the care list (mine and nobody's:
 * "Take it" makes one mine, "Call back" rings my phone, then the customer; components/care_list.js).
 *
 * Small on purpose: the pops are what this page is for. The care list shows its first few
 * items, the rest a click away. Read when the desktop opens, shortly after a call ends or a pop
 * arrives (a survey, a voicemail, a callback asked for), and every minute.
 */
import { setStatusLine } from "../../lib/dom.js";
import { figureText } from "../../lib/figures.js";
import * as insight from "../../lib/insight_api.js";
import { createCareList } from "../../components/care_list.js";

export const MY_DAY_REFRESH_MS = 60 * 1000;
const SETTLE_MS = 1000;
const SHOWN_ITEMS = 3;

const MY_FIGURES = [
  { key: "calls", kind: "count", empty: "No calls yet today." },
  { key: "nps", kind: "nps", empty: "Nothing to count: no survey on your calls was answered today." },
  { key: "follow_ups_due", kind: "count", empty: "" },
  { key: "follow_ups_overdue", kind: "count", empty: "", alert: true },
];

/** The panel `panel` (#my-day); `me` {id, role}; `customerUrl` leads a name to its record. Returns {refresh, soon}. */
export function createMyDay(panel, { me, customerUrl }) {
  const status = panel.querySelector("[data-role=my-day-status]");
  const care = createCareList(panel.querySelector("#my-care"), { me, customerUrl, newTab: true, mine: true, limit: SHOWN_ITEMS });
  let timer = null;

  function show(figures) {
    MY_FIGURES.forEach((spec) => {
      const node = panel.querySelector('[data-figure="' + spec.key + '"]');
      if (!node) return;
      const cell = node.querySelector("dd");
      const shown = figureText(figures[spec.key], spec);
      cell.textContent = shown.text;
      if (shown.title) cell.title = shown.title;
      else cell.removeAttribute("title");
      if (spec.alert) node.classList.toggle("my-figure-alert", Number(figures[spec.key]) > 0);
    });
    // Their handle time, for whoever wants it, without another tile.
    const calls = panel.querySelector('[data-figure="calls"]');
    if (calls) calls.title = figures.aht_seconds ? "Average handle time " + figureText(figures.aht_seconds, { kind: "seconds" }).text : "";
  }

  function readFigures() {
    return insight.myFigures().then((figures) => {
      show(figures || {});
      setStatusLine(status, "");
    }, (error) => {
      setStatusLine(status, "Could not read your figures: " + error.message, "error");
    });
  }

  function refresh() {
    return Promise.all([readFigures(), care.refresh()]);
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, SETTLE_MS);
  }

  const heading = panel.querySelector("h2");
  if (heading && !heading.hasAttribute("tabindex")) heading.tabIndex = -1;
  refresh();
  setInterval(() => { if (document.visibilityState === "visible") refresh(); }, MY_DAY_REFRESH_MS);
  return { refresh, soon };
}

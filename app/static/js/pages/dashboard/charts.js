/* KnownCaller dashboard: the day hour by hour and the month day by day (SPEC §12), drawn with
 * Chart.js (window.Chart: its UMD build from npm, /vendor/chart.umd.min.js) — calls per hour
 * today (answered and abandoned, stacked), the service level per hour against its target, and
 * the NPS of each of the last 30 days.
 *
 * Every chart has a text alternative: its canvas is an image whose name sums it up, and a table
 * of the same numbers sits beside it for screen readers (shown to everyone when Chart.js did not
 * load). Hours and days are UTC, as the server counts them.
 */
import { el } from "../../lib/dom.js";
import { chartPercent, dayLabel, formatFigure, hourLabel, lastDaysRange, percent, todayRange } from "../../lib/figures.js";
import * as insight from "../../lib/insight_api.js";

const TREND_TTL_MS = 10 * 60 * 1000;

function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name, fallback) => (style.getPropertyValue(name) || fallback).trim();
  return {
    ok: read("--ok", "#0d6e4f"), danger: read("--danger", "#c62828"), primary: read("--primary", "#1f5fd6"),
    muted: read("--muted", "#5b6677"), line: read("--line", "#dde2ea"), ink: read("--ink-soft", "#4a5668"),
    warn: read("--warn", "#a15c00"),
  };
}

/** The table beside a chart: a caption, a header row, one row per bucket. */
function fillTable(table, caption, head, rows) {
  table.textContent = "";
  table.appendChild(el("caption", null, caption));
  const thead = el("thead");
  const tr = el("tr");
  head.forEach((text) => {
    const th = el("th", null, text);
    th.scope = "col";
    tr.appendChild(th);
  });
  thead.appendChild(tr);
  table.appendChild(thead);
  const tbody = el("tbody");
  rows.forEach((cells) => {
    const row = el("tr");
    cells.forEach((text, i) => {
      const cell = el(i === 0 ? "th" : "td", null, text);
      if (i === 0) cell.scope = "row";
      row.appendChild(cell);
    });
    tbody.appendChild(row);
  });
  table.appendChild(tbody);
}

function sum(items, key) {
  return items.reduce((total, item) => total + (Number(item[key]) || 0), 0);
}

/**
 * The three charts in `root` (#charts: figures [data-chart=calls|service-level|nps], each with a
 * canvas and a table.chart-table); `status` says errors. Returns {refresh(target)}: `target` is
 * the service-level target (a fraction) from today's figures.
 */
export function createCharts(root, status) {
  const Chart = window.Chart;
  const figures = {};
  root.querySelectorAll("[data-chart]").forEach((node) => {
    figures[node.getAttribute("data-chart")] = {
      node, canvas: node.querySelector("canvas"), table: node.querySelector("table"), chart: null,
    };
  });
  if (typeof Chart !== "function") {
    // The numbers are still there, as tables everyone can see.
    root.classList.add("charts-missing");
    Object.values(figures).forEach((f) => { f.canvas.hidden = true; });
    const note = root.querySelector("[data-role=charts-missing]");
    if (note) note.hidden = false;
  } else {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = colours().ink;
  }
  const c = colours();

  function draw(name, config) {
    const f = figures[name];
    if (typeof Chart !== "function" || !f) return;
    if (!f.chart) {
      f.chart = new Chart(f.canvas, {
        ...config,
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
          ...config.options,
        },
      });
      return;
    }
    f.chart.data = config.data;
    f.chart.update("none");
  }

  function callsChart(items) {
    const labels = items.map((i) => hourLabel(i.start));
    const other = items.map((i) => Math.max(0, (i.calls || 0) - (i.answered || 0) - (i.abandoned || 0)));
    const datasets = [
      { label: "Answered", data: items.map((i) => i.answered || 0), backgroundColor: c.ok, stack: "calls" },
      { label: "Abandoned", data: items.map((i) => i.abandoned || 0), backgroundColor: c.danger, stack: "calls" },
    ];
    if (other.some((n) => n > 0)) {
      datasets.push({ label: "Voicemail, callback or live", data: other, backgroundColor: c.muted, stack: "calls" });
    }
    draw("calls", {
      type: "bar", data: { labels, datasets },
      options: { scales: { x: { stacked: true, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Calls" } } } },
    });
    const f = figures.calls;
    const total = sum(items, "calls");
    const busiest = items.reduce((best, i) => (!best || (i.calls || 0) > (best.calls || 0) ? i : best), null);
    f.canvas.setAttribute("aria-label", "Calls per hour today (UTC): " + total + " calls, " + sum(items, "answered") +
      " answered, " + sum(items, "abandoned") + " abandoned" +
      (busiest && busiest.calls ? "; busiest hour " + hourLabel(busiest.start) + " with " + busiest.calls : "") + ".");
    fillTable(f.table, "Calls per hour today (UTC)", ["Hour", "Calls", "Answered", "Abandoned"],
      items.map((i) => [hourLabel(i.start), String(i.calls || 0), String(i.answered || 0), String(i.abandoned || 0)]));
  }

  function serviceLevelChart(items, target) {
    const goal = typeof target === "number" ? target : 0.8;
    const labels = items.map((i) => hourLabel(i.start));
    draw("service-level", {
      type: "line",
      data: { labels, datasets: [
        { label: "Service level", data: items.map((i) => chartPercent(i.service_level)), borderColor: c.primary,
          backgroundColor: c.primary, spanGaps: true, cubicInterpolationMode: "monotone", pointRadius: 3 },
        { label: "Target " + percent(goal).replace(/\u00a0/g, " "), data: items.map(() => chartPercent(goal)),
          borderColor: c.warn, borderDash: [6, 4], pointRadius: 0, borderWidth: 2, fill: false },
      ] },
      options: { scales: { x: { grid: { display: false } },
        y: { min: 0, max: 100, ticks: { callback: (v) => v + " %" }, title: { display: true, text: "Answered in time" } } } },
    });
    const f = figures["service-level"];
    const judged = items.filter((i) => typeof i.service_level === "number");
    const missed = judged.filter((i) => Math.round(i.service_level * 100) < Math.round(goal * 100));
    f.canvas.setAttribute("aria-label", "Service level per hour today (UTC) against a target of " +
      percent(goal).replace(/\u00a0/g, " ") + ": " + (judged.length ? judged.length + " hours with calls, " + missed.length +
        " below target" + (missed.length ? " (" + missed.map((i) => hourLabel(i.start)).join(", ") + ")" : "")
        : "no call was answered or abandoned yet") + ".");
    fillTable(f.table, "Service level per hour today (UTC), target " + percent(goal).replace(/\u00a0/g, " "),
      ["Hour", "Service level"], items.map((i) => [hourLabel(i.start), formatFigure(i.service_level, "rate")]));
  }

  function npsChart(items) {
    draw("nps", {
      type: "line",
      data: { labels: items.map((i) => dayLabel(i.start)), datasets: [
        { label: "NPS", data: items.map((i) => (typeof i.nps === "number" ? i.nps : null)), borderColor: c.ok,
          backgroundColor: c.ok, spanGaps: true, cubicInterpolationMode: "monotone", pointRadius: 3 },
      ] },
      options: { plugins: { legend: { display: false } },
        scales: { x: { grid: { display: false }, ticks: { maxTicksLimit: 10 } },
          y: { min: -100, max: 100, title: { display: true, text: "NPS" } } } },
    });
    const f = figures.nps;
    const scored = items.filter((i) => typeof i.nps === "number");
    const last = scored[scored.length - 1];
    f.canvas.setAttribute("aria-label", "NPS by day over the last 30 days (UTC): " + (scored.length
      ? scored.length + " days with answered surveys, lowest " + formatFigure(Math.min(...scored.map((i) => i.nps)), "nps") +
        ", highest " + formatFigure(Math.max(...scored.map((i) => i.nps)), "nps") + ", latest " +
        formatFigure(last.nps, "nps") + " on " + dayLabel(last.start)
      : "no survey was answered") + ".");
    fillTable(f.table, "NPS by day, last 30 days (UTC)", ["Day", "NPS", "Surveys"],
      items.map((i) => [dayLabel(i.start), formatFigure(i.nps, "nps"), String(i.surveys || 0)]));
  }

  let trendAt = 0;

  function fail(error) {
    status.hidden = false;
    status.className = "status-line status-line-error";
    status.textContent = "Could not read the charts' figures: " + error.message;
  }

  /** Today's hours every time; the 30-day trend when it is older than TREND_TTL_MS. */
  function refresh(target) {
    const reads = [insight.getSeries(todayRange(), "hour").then((data) => {
      const items = (data && data.items) || [];
      callsChart(items);
      serviceLevelChart(items, target);
    })];
    if (Date.now() - trendAt > TREND_TTL_MS) {
      reads.push(insight.getSeries(lastDaysRange(30), "day").then((data) => {
        npsChart((data && data.items) || []);
        trendAt = Date.now();
      }));
    }
    return Promise.all(reads).then(() => { status.hidden = true; }, fail);
  }

  return { refresh };
}

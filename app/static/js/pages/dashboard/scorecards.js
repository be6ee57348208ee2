/* KnownCaller dashboard: the agents' scorecards over the chosen range (SPEC §12) — judged by what
 * customers said and what was kept. A click on a column's header sorts by it (again: the other
 * way; aria-sort says which); an agent's name opens their calls in that range and the surveys
 * on them, in a dialog. A click anywhere on the row opens it too; the name is the keyboard's way.
 */
import { el, setStatusLine } from "../../lib/dom.js";
import { surveyChannelLabel, surveyStatusLabel } from "../../lib/care.js";
import { dateTime, duration } from "../../lib/format.js";
import { formatFigure } from "../../lib/figures.js";
import * as insight from "../../lib/insight_api.js";
import { nextDirection, ratio, sortRows } from "../../lib/sorting.js";

/** The columns: what each shows, what it sorts by, and which way it starts (figures: highest first). */
const COLUMNS = [
  { key: "agent", label: "Agent", value: (r) => r.agent.name, first: "ascending" },
  { key: "calls", label: "Calls", value: (r) => r.calls, text: (r) => String(r.calls) },
  { key: "aht_seconds", label: "AHT", title: "Average handle time", value: (r) => r.aht_seconds,
    text: (r) => formatFigure(r.aht_seconds, "seconds"), first: "ascending" },
  { key: "nps", label: "NPS", value: (r) => r.nps, text: (r) => formatFigure(r.nps, "nps") },
  { key: "surveys", label: "Surveys", value: (r) => r.surveys, text: (r) => String(r.surveys) },
  { key: "promises_kept", label: "Promises kept", value: (r) => r.promises_kept, text: (r) => String(r.promises_kept) },
  { key: "promises_broken", label: "Promises broken", value: (r) => r.promises_broken,
    text: (r) => String(r.promises_broken), first: "ascending" },
  { key: "follow_ups", label: "Follow-ups on time", value: (r) => ratio(r.follow_ups_done_on_time, r.follow_ups_done),
    text: (r) => of(r.follow_ups_done_on_time, r.follow_ups_done) },
  { key: "complaints", label: "Complaints in SLA", value: (r) => ratio(r.complaints_resolved_in_sla, r.complaints_resolved),
    text: (r) => of(r.complaints_resolved_in_sla, r.complaints_resolved) },
];

function of(done, total) {
  if (typeof total !== "number") return typeof done === "number" ? String(done) : "—";
  return total ? done + " of " + total : "—";
}

/**
 * The scorecards in `panel` (#scorecards-panel: table#scorecards-table, [data-role=scorecards-empty],
 * [data-role=scorecards-status], [data-role=scorecards-range]) and the agent's dialog `dialog`
 * (#agent-dialog). Returns {read(range)}.
 */
export function createScorecards(panel, dialog, { customerUrl = "/customers/" } = {}) {
  const table = panel.querySelector("#scorecards-table");
  const empty = panel.querySelector("[data-role=scorecards-empty]");
  const status = panel.querySelector("[data-role=scorecards-status]");
  const rangeText = panel.querySelector("[data-role=scorecards-range]");
  let rows = [];
  let range = null;
  let sort = { key: "calls", direction: "descending" };
  let seq = 0;

  // The header: one button per column, so the keyboard sorts too.
  const head = table.querySelector("thead tr");
  head.textContent = "";
  COLUMNS.forEach((column) => {
    const th = el("th");
    th.scope = "col";
    th.setAttribute("data-sort-key", column.key);
    const sortButton = el("button", "sort-button", column.label);
    sortButton.type = "button";
    sortButton.setAttribute("data-sort", column.key);
    if (column.title) sortButton.title = column.title;
    sortButton.appendChild(el("span", "sort-mark"));
    sortButton.querySelector(".sort-mark").setAttribute("aria-hidden", "true");
    th.appendChild(sortButton);
    head.appendChild(th);
  });

  function render() {
    const column = COLUMNS.find((col) => col.key === sort.key) || COLUMNS[0];
    const sorted = sortRows(rows, column.value, sort.direction);
    head.querySelectorAll("th").forEach((th) => {
      const key = th.getAttribute("data-sort-key");
      const mark = th.querySelector(".sort-mark");
      if (key === sort.key) {
        th.setAttribute("aria-sort", sort.direction);
        mark.textContent = sort.direction === "ascending" ? " ▲" : " ▼";
      } else {
        th.removeAttribute("aria-sort");
        mark.textContent = "";
      }
    });
    const tbody = table.querySelector("tbody");
    const focusedAgent = document.activeElement && tbody.contains(document.activeElement)
      ? document.activeElement.closest("tr").getAttribute("data-agent-id") : null;
    tbody.textContent = "";
    sorted.forEach((row) => {
      const tr = el("tr", "scorecard-row");
      tr.setAttribute("data-agent-id", String(row.agent.id));
      COLUMNS.forEach((col, i) => {
        if (i === 0) {
          const th = el("th");
          th.scope = "row";
          const open = el("button", "link-button", row.agent.name);
          open.type = "button";
          open.setAttribute("data-role", "open-agent");
          open.setAttribute("aria-haspopup", "dialog");
          open.title = "Calls and surveys of " + row.agent.name + ", " + (range ? range.label : "");
          th.appendChild(open);
          tr.appendChild(th);
        } else {
          const td = el("td", "num", col.text(row));
          if (td.textContent === "—") td.title = "Nothing to count in this range";
          tr.appendChild(td);
        }
      });
      tbody.appendChild(tr);
    });
    table.hidden = !rows.length;
    empty.hidden = !!rows.length;
    if (focusedAgent) {
      const again = tbody.querySelector('tr[data-agent-id="' + CSS.escape(focusedAgent) + '"] [data-role=open-agent]');
      if (again) again.focus();
    }
  }

  head.addEventListener("click", (event) => {
    const target = event.target.closest("[data-sort]");
    if (!target) return;
    const key = target.getAttribute("data-sort");
    const column = COLUMNS.find((col) => col.key === key);
    sort = { key, direction: nextDirection(sort, key, (column && column.first) || "descending") };
    render();
    const again = head.querySelector('[data-sort="' + CSS.escape(key) + '"]');
    if (again) again.focus();
  });

  table.querySelector("tbody").addEventListener("click", (event) => {
    const tr = event.target.closest("tr[data-agent-id]");
    if (!tr || event.target.closest("a")) return;
    const row = rows.find((r) => String(r.agent.id) === tr.getAttribute("data-agent-id"));
    if (row) openAgent(row.agent);
  });

  // ---------------------------------------------------------------- the agent's calls and surveys

  const dialogTitle = dialog.querySelector("#agent-dialog-heading");
  const dialogRange = dialog.querySelector("[data-role=agent-range]");
  const dialogStatus = dialog.querySelector("[data-role=agent-status]");
  const callsTable = dialog.querySelector("#agent-calls");
  const callsEmpty = dialog.querySelector("[data-role=agent-calls-empty]");
  const callsCount = dialog.querySelector("[data-role=agent-calls-count]");
  const surveysList = dialog.querySelector("#agent-surveys");
  const surveysEmpty = dialog.querySelector("[data-role=agent-surveys-empty]");
  const surveysCount = dialog.querySelector("[data-role=agent-surveys-count]");
  let opener = null;

  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (opener && opener.isConnected) opener.focus();
  });

  function callerCell(call) {
    const pop = call.pop || {};
    if (pop.customer) {
      const a = el("a", null, pop.customer.name);
      a.href = customerUrl + encodeURIComponent(pop.customer.id);
      return a;
    }
    if (call.customer_id) {
      const a = el("a", null, "Customer #" + call.customer_id);
      a.href = customerUrl + encodeURIComponent(call.customer_id);
      return a;
    }
    return document.createTextNode(pop.from_display || call.from || (call.match === "withheld" ? "Number withheld" : "Unknown caller"));
  }

  function showCalls(items) {
    const tbody = callsTable.querySelector("tbody");
    tbody.textContent = "";
    items.forEach((call) => {
      const tr = el("tr");
      tr.setAttribute("data-call-row", call.call_sid);
      tr.appendChild(el("td", null, dateTime(call.started_at)));
      const who = el("td");
      who.appendChild(callerCell(call));
      if (call.direction === "outbound") who.appendChild(el("span", "badge badge-outbound", "Outbound"));
      tr.appendChild(who);
      tr.appendChild(el("td", null, call.status));
      tr.appendChild(el("td", "num", duration(call.duration)));
      tr.appendChild(el("td", null, call.disposition || ""));
      const score = call.survey && typeof call.survey.score === "number" ? call.survey.score + "/10" : "";
      tr.appendChild(el("td", "num", score));
      tbody.appendChild(tr);
    });
    callsTable.hidden = !items.length;
    callsEmpty.hidden = !!items.length;
    callsCount.textContent = "(" + items.length + ")";
  }

  function showSurveys(items) {
    surveysList.textContent = "";
    items.forEach((survey) => {
      const li = el("li", "survey");
      li.setAttribute("data-survey-id", String(survey.id));
      li.appendChild(el("span", "survey-score", typeof survey.score === "number" ? survey.score + "/10" : "No score"));
      li.appendChild(el("span", "survey-meta", [surveyStatusLabel(survey.status), surveyChannelLabel(survey.channel),
        dateTime(survey.answered_at || survey.sent_at)].filter(Boolean).join(" · ")));
      if (survey.comment) li.appendChild(el("p", "survey-comment", survey.comment));
      surveysList.appendChild(li);
    });
    surveysList.hidden = !items.length;
    surveysEmpty.hidden = !!items.length;
    surveysCount.textContent = "(" + items.length + ")";
  }

  function openAgent(agent) {
    opener = document.activeElement && document.activeElement !== document.body ? document.activeElement
      : table.querySelector('tr[data-agent-id="' + CSS.escape(String(agent.id)) + '"] [data-role=open-agent]');
    dialogTitle.textContent = agent.name;
    dialogRange.textContent = "Calls and surveys, " + (range ? range.label : "") + " (UTC days)";
    showCalls([]);
    showSurveys([]);
    setStatusLine(dialogStatus, "Reading…");
    if (!dialog.open) dialog.showModal();
    const mine = ++seq;
    Promise.all([insight.agentCalls(agent.id, range), insight.agentSurveys(agent.id, range)]).then(([calls, surveys]) => {
      if (mine !== seq) return;
      showCalls((calls && calls.items) || []);
      showSurveys((surveys && surveys.items) || []);
      setStatusLine(dialogStatus, "");
    }, (error) => {
      if (mine !== seq) return;
      setStatusLine(dialogStatus, "Could not read " + agent.name + "'s calls: " + error.message, "error");
    });
  }

  /** The scorecards over `r` ({since, until, label}). */
  function read(r) {
    range = r;
    if (rangeText) rangeText.textContent = r.label;
    panel.setAttribute("aria-busy", "true");
    return insight.getScorecards(r).then((data) => {
      rows = (data && data.items) || [];
      render();
      setStatusLine(status, "");
    }, (error) => {
      setStatusLine(status, "Could not read the scorecards: " + error.message, "error");
    }).finally(() => panel.setAttribute("aria-busy", "false"));
  }

  return { read };
}

/* KnownCaller: /dashboard (supervisors, admins) — live calls and who took them, complaint counts,
 * what we owe customers and is late (follow-ups, promises), recent calls. Polled every few seconds over HTTP: a supervisor watching is not an agent online,
 * so this page does not open the desktop's socket (presence drives routing).
 *
 * A ghost call (no news, and the provider cannot say what became of it: SPEC §3) reads "No news
 * since HH:MM" instead of a running timer, with "Close this call" beside it. */
import * as api from "../lib/api.js";
import { isRinging, ringingState } from "../lib/calls.js";
import { button, el, onAction } from "../lib/dom.js";
import { dateTime, duration } from "../lib/format.js";

const root = document.getElementById("dashboard");

function start() {
  const POLL_MS = 5000;

  function callerName(call) {
    const pop = call.pop || {};
    if (pop.customer) return pop.customer.name;
    if (pop.match === "multiple") return (pop.candidates || []).map(function (c) { return c.name; }).join(" / ") || "Shared number";
    if (pop.match === "withheld") return "Number withheld";
    return "Unknown caller";
  }

  function number(call) {
    const pop = call.pop || {};
    return pop.from_display || call.from || call.from_raw || "";
  }

  function since(iso) {
    const t = Date.parse(iso || "");
    return isNaN(t) ? "" : duration((Date.now() - t) / 1000);
  }

  function fill(tableId, emptyId, rows) {
    const table = document.getElementById(tableId);
    const tbody = table.querySelector("tbody");
    tbody.textContent = "";
    rows.forEach(function (cells) {
      const tr = el("tr");
      cells.forEach(function (cell) {
        const td = el("td", cell && cell.className);
        if (cell && cell.node) td.appendChild(cell.node);
        else td.textContent = cell && cell.text !== undefined ? cell.text : (cell || "");
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.hidden = !rows.length;
    document.getElementById(emptyId).hidden = !!rows.length;
  }

  function customerLink(call) {
    const pop = call.pop || {};
    if (!pop.customer) return { text: callerName(call) };
    const a = el("a", null, pop.customer.name);
    a.href = "/customers/" + encodeURIComponent(pop.customer.id);
    return { node: a };
  }

  function isGhost(call) { return !!call.unsettled && isRinging(call.status); }

  /** The status, or for a ghost since when there is no news and the button that closes it. */
  function statusCell(call) {
    if (!isGhost(call)) return { text: call.status };
    const cell = el("span", "ghost-status");
    cell.setAttribute("data-call-sid", call.call_sid);
    cell.appendChild(el("span", "pill pill-unsettled", ringingState({ unsettled: true, newsAt: call.news_at }).text));
    cell.appendChild(document.createTextNode(" "));
    const close = button("Close this call", "button-small button-danger", "close-call");
    // The name starts with the visible label (WCAG 2.5.3), and says which row it is for.
    close.setAttribute("aria-label", "Close this call from " + callerName(call));
    cell.appendChild(close);
    return { node: cell };
  }

  function agentCell(call) {
    if (!call.agent) return { node: el("span", "badge badge-overdue", "Not taken") };
    return { text: call.agent.name };
  }

  const REASONS = { detractor: "Call back: low score", voicemail: "Call back: voicemail",
    callback_requested: "Call back: requested", complaint_reopened: "Complaint reopened", manual: "Follow-up" };

  /** One thing we owe a customer and is late: a follow-up (why, and its note) or a promise (what). */
  function owedRow(item) {
    let who = { text: "—" };
    if (item.customer) {
      const a = el("a", null, item.customer.name);
      a.href = "/customers/" + encodeURIComponent(item.customer.id);
      who = { node: a };
    }
    const what = item.kind === "promise" ? "Promise: " + item.text
      : (REASONS[item.reason] || "Follow-up") + (item.text && item.text !== item.reason ? " — " + item.text : "");
    return [who, what, item.owner ? item.owner.name : "Nobody yet",
      { node: el("span", "badge badge-overdue", "Overdue since " + dateTime(item.due_at)) }];
  }

  function refresh() {
    const live = api.activeCalls().then(function (data) {
      const items = data.items || [];
      document.getElementById("stat-live").textContent = String(items.length);
      document.getElementById("stat-unclaimed").textContent = String(items.filter(function (c) { return !c.agent; }).length);
      fill("live-table", "live-empty", items.map(function (c) {
        return [customerLink(c), { text: number(c), className: "num" }, statusCell(c), agentCell(c),
          isGhost(c) ? "" : since(c.started_at)];
      }));
    });
    const recent = api.listCalls({ page: 1, per_page: 20 }).then(function (data) {
      fill("recent-table", "recent-empty", (data.items || []).map(function (c) {
        return [dateTime(c.started_at), customerLink(c), { text: number(c), className: "num" }, c.status,
          duration(c.duration), c.agent ? c.agent.name : "—", c.disposition || ""];
      }));
    });
    const counts = api.getPageData(root.getAttribute("data-counts-url")).then(function (c) {
        document.getElementById("stat-open").textContent = String(c.open);
        document.getElementById("stat-overdue").textContent = String(c.overdue);
        document.getElementById("stat-overdue-box").classList.toggle("stat-danger", c.overdue > 0);
        document.getElementById("stat-follow-ups").textContent = String(c.follow_ups_overdue);
        document.getElementById("stat-follow-ups-box").classList.toggle("stat-danger", c.follow_ups_overdue > 0);
        document.getElementById("stat-promises").textContent = String(c.promises_overdue);
        document.getElementById("stat-promises-box").classList.toggle("stat-danger", c.promises_overdue > 0);
        fill("owed-table", "owed-empty", (c.overdue_items || []).map(owedRow));
      });
    const updated = document.getElementById("dashboard-updated");
    return Promise.all([live, recent, counts]).then(function () {
      updated.textContent = "Updated " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    }, function (error) {
      updated.textContent = "Could not refresh: " + (error && error.message ? error.message : error);
    });
  }

  onAction(root, {
    "close-call": function (target) {
      const sid = target.closest("[data-call-sid]").getAttribute("data-call-sid");
      const updated = document.getElementById("dashboard-updated");
      target.disabled = true;
      api.closeCall(sid).then(function () {
        return refresh().then(function () { updated.textContent = "Call closed · " + updated.textContent; });
      }, function (error) {
        target.disabled = false;
        updated.textContent = "Could not close the call: " + error.message;
      });
    },
  });

  refresh();
  setInterval(function () { if (document.visibilityState === "visible") refresh(); }, POLL_MS);
}

if (root) start();

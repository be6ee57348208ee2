/* KnownCaller dashboard: the live calls table, kept by the socket — a `screen_pop` adds or refreshes
 * a call, a `call_update` moves it on (who took it, a ghost's news) and takes it off once it has
 * ended; the API's active list (on connect and the slow poll) settles what the socket missed.
 *
 * A ghost call (no news, and the provider cannot say what became of it: SPEC §3) reads "No news
 * since HH:MM" instead of a running timer, with "Close this call" beside it.
 */
import { advance, isEnded, isRinging, ringingState, startedAt, takeAgent, takeNews } from "../../lib/calls.js";
import { button, el } from "../../lib/dom.js";
import { duration } from "../../lib/format.js";

export function callerName(call) {
  const pop = call.pop || {};
  if (pop.customer) return pop.customer.name;
  if (pop.match === "multiple") return (pop.candidates || []).map((c) => c.name).join(" / ") || "Shared number";
  if (pop.match === "withheld") return "Number withheld";
  return "Unknown caller";
}

export function callerNumber(call) {
  const pop = call.pop || {};
  return pop.from_display || call.from || call.from_raw || "";
}

/** The caller's name, linked to their record when there is one. */
export function customerLink(call) {
  const pop = call.pop || {};
  if (!pop.customer) return { text: callerName(call) };
  const a = el("a", null, pop.customer.name);
  a.href = "/customers/" + encodeURIComponent(pop.customer.id);
  return { node: a };
}

/** Rows into `tableId`'s body (each a list of cells: text, or {text|node, className}); the table
 *  shows only with rows, `emptyId` only without. */
export function fill(tableId, emptyId, rows) {
  const table = document.getElementById(tableId);
  const tbody = table.querySelector("tbody");
  tbody.textContent = "";
  rows.forEach((cells) => {
    const tr = el("tr");
    if (cells.key) tr.setAttribute("data-live-call", cells.key);  // data-call-sid names desktop cards (SPEC §8)
    cells.forEach((cell) => {
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

function isGhost(call) { return !!call.unsettled && isRinging(call.status); }

/** The status, or for a ghost since when there is no news and the button that closes it. */
function statusCell(call) {
  if (!isGhost(call)) return { text: call.status };
  const cell = el("span", "ghost-status");
  cell.setAttribute("data-call-sid", call.call_sid);
  cell.appendChild(el("span", "pill pill-unsettled", ringingState({ unsettled: true, newsAt: call.newsAt }).text));
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

function sinceCell(call) {
  if (isGhost(call)) return "";  // no "35:04" counting up: nobody may still be there
  const node = el("span", "since", duration((Date.now() - call.since) / 1000));
  node.setAttribute("data-since", String(call.since));
  return { node };
}

/**
 * The live calls: `onChange(calls)` hears after every change (the stats, the agents' calls).
 * Returns {receivePop, receiveUpdate, replace(items), get(sid), all()}.
 */
export function createLiveCalls({ onChange }) {
  /** call_sid -> {call_sid, status, agent, since, unsettled, newsAt, from, from_raw, pop} */
  const calls = new Map();

  function render() {
    const rows = Array.from(calls.values()).sort((a, b) => a.since - b.since).map((call) => {
      const row = [customerLink(call), { text: callerNumber(call), className: "num" }, statusCell(call),
        agentCell(call), sinceCell(call)];
      row.key = call.call_sid;
      return row;
    });
    fill("live-table", "live-empty", rows);
    onChange(Array.from(calls.values()));
  }

  function entry(pop, source) {
    let call = calls.get(pop.call_sid);
    if (!call) {
      call = { call_sid: pop.call_sid, status: pop.status || "ringing", agent: null, unsettled: false, newsAt: null,
        since: startedAt({ received_at: (source && source.started_at) || pop.received_at }), pop, heardAt: 0 };
      calls.set(pop.call_sid, call);
    }
    call.pop = pop;
    return call;
  }

  /** A pop from the socket: a new call, or one shown again (a replay, a customer linked). */
  function receivePop(pop) {
    if (!pop || !pop.call_sid) return;
    if (isEnded(pop.status)) { if (calls.delete(pop.call_sid)) render(); return; }
    const call = entry(pop);
    call.heardAt = Date.now();
    advance(call, pop.status, null, null);
    if ("agent" in pop) takeAgent(call, pop.agent);
    takeNews(call, pop);
    render();
  }

  /** A call_update: who took it, how far it got; an ended call leaves. Returns whether it ended. */
  function receiveUpdate(update) {
    if (!update || !update.call_sid) return false;
    const call = calls.get(update.call_sid);
    if (isEnded(update.status)) {
      if (call) { calls.delete(update.call_sid); render(); }
      return true;
    }
    if (!call) return false;  // its pop comes (or the next read brings it)
    call.heardAt = Date.now();
    advance(call, update.status, null, null);
    if ("agent" in update) takeAgent(call, update.agent);
    takeNews(call, update);
    render();
    return false;
  }

  /** The API's active calls (each with its pop), asked for at `requestedAt` (ms): the list as it
   *  stood then. What the socket said since is newer, so it stays. */
  function replace(items, requestedAt) {
    const seen = new Set();
    (items || []).forEach((item) => {
      const pop = item.pop || { call_sid: item.call_sid, status: item.status, match: item.match };
      if (!pop.call_sid) return;
      seen.add(pop.call_sid);
      const call = entry(pop, item);
      call.from = item.from;
      call.from_raw = item.from_raw;
      advance(call, item.status, null, null);
      if (call.heardAt <= requestedAt) {
        takeAgent(call, item.agent || null);
        takeNews(call, item);
      }
    });
    calls.forEach((call, sid) => { if (!seen.has(sid) && call.heardAt <= requestedAt) calls.delete(sid); });
    render();
  }

  return { receivePop, receiveUpdate, replace, get: (sid) => calls.get(sid), all: () => Array.from(calls.values()) };
}

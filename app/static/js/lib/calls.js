/* KnownCaller desktop: a call's state as the cards need it — status ranks, ringing or ended, moving
 * only forward, where a card goes in its list, and when a pop has changed. Pure: no DOM, so
 * `node --test` covers it (tests/js/calls.test.mjs). The ranks come from the server (constants.js).
 *
 * "ended" is the desktop's own status for a call that vanished from the active list while this
 * page was away; it ranks with the terminal statuses.
 */
import { constants } from "./constants.js";

/** How far along a status is (-1 for one the server never sends). */
export function rank(status, c = constants()) {
  const ranks = c.call_status_rank;
  if (status in ranks) return ranks[status];
  return status === "ended" ? Math.max(...Object.values(ranks)) : -1;
}

export function isEnded(status, c = constants()) {
  return status === "ended" || c.terminal_statuses.includes(status);
}

/** Still being offered: every known status below "in-progress" (queued, initiated, ringing). */
export function isRinging(status, c = constants()) {
  const ranks = c.call_status_rank;
  return status in ranks && ranks[status] < ranks["in-progress"];
}

/**
 * Move `call` forward only: a late or replayed event never brings back an earlier state.
 * Returns whether anything changed.
 */
export function advance(call, status, agent, duration, c = constants()) {
  let changed = false;
  if (status && rank(status, c) > rank(call.status, c)) {
    call.status = status;
    changed = true;
  }
  if (agent && (!call.agent || call.agent.id !== agent.id)) {
    call.agent = agent;
    changed = true;
  }
  if (duration !== null && duration !== undefined && call.duration !== duration) {
    call.duration = duration;
    changed = true;
  }
  return changed;
}

/**
 * Where a card with `order` goes among cards whose orders are `orders` (newest first, ties: the
 * latest arrival first): the index of the first card not newer than it.
 */
export function insertionIndex(orders, order) {
  const index = orders.findIndex((other) => other <= order);
  return index === -1 ? orders.length : index;
}

/** When the call started, as the card counts it: never in the future (a browser clock behind). */
export function startedAt(pop, now = Date.now()) {
  const t = Date.parse(pop.received_at || "");
  return isNaN(t) ? now : Math.min(t, now);
}

/** JSON with object keys sorted: the API sorts them, the socket keeps the server's order. */
export function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value && typeof value === "object") {
    return "{" + Object.keys(value).sort().map((key) => JSON.stringify(key) + ":" + canonical(value[key])).join(",") + "}";
  }
  return JSON.stringify(value === undefined ? null : value);
}

/** What the pop shows beyond the call's state: when it changes, the card body is rebuilt. */
export function popShape(pop) {
  return canonical([pop.match, pop.from, pop.customer, pop.candidates, pop.lookup]);
}

/** Overdue complaints of the pop's customer, first: those are the ones to apologise for first. */
export function overdueFirst(complaints) {
  return complaints.slice().sort((a, b) => (b.overdue ? 1 : 0) - (a.overdue ? 1 : 0));
}

export function overdueCount(pop) {
  if (!pop.customer) return 0;
  return (pop.customer.open_complaints || []).filter((c) => c.overdue).length;
}

/** The heading of a pop: the customer's name, or what kind of caller this is. */
export function titleFor(pop) {
  switch (pop.match) {
    case "single": return pop.customer ? pop.customer.name : "Known caller";
    case "multiple": return "Shared number";
    case "withheld": return "Number withheld";
    default: return "Unknown caller";
  }
}

/** The number an agent reads out: the national format when we could parse it, else as sent. */
export function callerNumber(pop) {
  return pop.from_display || pop.from_raw || "";
}

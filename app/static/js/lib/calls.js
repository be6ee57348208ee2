/* KnownCaller desktop: a call's state as the cards need it — status ranks, ringing or ended, moving
 * only forward, who holds it, what its pill says, where a card goes in its list (and where it may
 * not, while the agent works in another), which call the keys act on, and when a pop has changed.
 * Pure: no DOM, so `node --test` covers it (tests/js/calls.test.mjs). The ranks come from the
 * server (constants.js).
 *
 * "ended" is the desktop's own status for a call that vanished from the active list while this
 * page was away; it ranks with the terminal statuses.
 */
import { constants } from "./constants.js";
import { timeOfDay } from "./format.js";

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
 * Who holds the call now, as an authoritative source says (a call_update, a pop, the API): `agent`
 * null means nobody (the call was given back), unlike `advance`, which only ever adds an agent.
 * Returns whether it changed.
 */
export function takeAgent(call, agent) {
  const next = agent || null;
  if ((call.agent ? call.agent.id : null) === (next ? next.id : null)) return false;
  call.agent = next;
  return true;
}

/**
 * What the provider last said of the call (`news_at`) and whether it is a ghost nobody could
 * settle (`unsettled`, SPEC §3), from a pop, a call_update or the API. Returns whether it changed.
 */
export function takeNews(call, source) {
  let changed = false;
  if (source && "unsettled" in source && !!source.unsettled !== !!call.unsettled) {
    call.unsettled = !!source.unsettled;
    changed = true;
  }
  if (source && source.news_at && source.news_at !== call.newsAt) {
    call.newsAt = source.news_at;
    changed = true;
  }
  return changed;
}

/**
 * The pill of a call not answered yet, {kind, text}: a ghost says since when there is no news
 * (not a running timer), a taken call says who has it, else "Ringing". `meId`: the user's id.
 */
export function ringingState(call, meId) {
  if (call.unsettled) {
    const at = timeOfDay(call.newsAt);
    return { kind: "unsettled", text: at ? "No news since " + at : "No news" };
  }
  if (call.agent) {
    return { kind: "taken", text: meId && call.agent.id === meId ? "Taken by you" : "With " + call.agent.name };
  }
  return { kind: "ringing", text: "Ringing" };
}

/**
 * Where a new card goes in the live list, oldest call first (the longest wait leads). `slots` is
 * the list as it stands, each {since, pinned} for a card or {hole: true} for the place of one
 * that left. Its place in time order, unless that would move a card the agent is working in
 * (`pinned`): then at the end, where it moves nothing.
 */
export function liveInsertIndex(slots, since) {
  let index = slots.findIndex((slot) => !slot.hole && slot.since > since);
  if (index === -1) index = slots.length;
  return slots.slice(index).some((slot) => slot.pinned) ? slots.length : index;
}

/**
 * Whether the card at `index` leaving the live list must leave a hole in its place: it must when a
 * card after it is being worked in, which would move otherwise.
 */
export function leavesHole(slots, index) {
  return slots.slice(index + 1).some((slot) => slot.pinned);
}

/** The indices of holes no longer holding anything in place (no card being worked after them). */
export function holesToDrop(slots) {
  const drop = [];
  let pinnedAfter = false;
  for (let i = slots.length - 1; i >= 0; i -= 1) {
    if (slots[i].hole && !pinnedAfter) drop.push(i);
    if (slots[i].pinned) pinnedAfter = true;
  }
  return drop.reverse();
}

/** The call that has waited longest among `calls` (each {since}), or null. Ties: the first. */
export function longestWaiting(calls) {
  return calls.reduce((best, call) => (best === null || call.since < best.since ? call : best), null);
}

/**
 * Where a card with `order` goes among cards whose orders are `orders` (newest first, ties: the
 * latest arrival first): the index of the first card not newer than it. Recent calls use it.
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

/**
 * The caller's number as shown masked, "(415) •••-••00", when the server has it but keeps it
 * from me (MASK_NUMBERS, SPEC §13: `from` and `from_raw` null, `from_display` masked); "" when
 * the pop gives the number whole, the caller withheld it, or it could not be read. Creating a
 * customer from such a call sends the call's `call_sid`, and the server adds the number itself.
 */
export function hiddenNumber(pop) {
  if (!pop || pop.from || pop.from_raw || pop.match === "withheld" || pop.direction === "outbound") return "";
  return pop.from_display || "";
}

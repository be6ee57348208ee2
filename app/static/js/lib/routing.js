/* KnownCaller: routing as people read it (SPEC §11) — an agent's status, why a call came to this
 * agent (the agent who knows the caller), and the callers waiting in the queue. Pure: no DOM, so
 * `node --test` covers it (tests/js/routing.test.mjs). */
import { duration, shortDate } from "./format.js";

/** What a user chooses: the switch's two positions. */
export const CHOSEN = ["available", "away"];

const STATE_LABELS = {
  available: "Available", away: "Away", on_call: "On a call", wrap_up: "Wrap-up", offline: "Offline",
};

/** "On a call": a status or state as people read it (an unknown one as sent). */
export function stateLabel(state) {
  return STATE_LABELS[state] || (state ? String(state) : "");
}

/** What the desktop says beside the switch: the derived state when it is not simply the chosen
 *  status ("On a call", "Wrap-up", "Offline"), else "". */
export function derivedNote(status, state) {
  if (!state || state === status) return "";
  return stateLabel(state);
}

/** The chosen status from an answer or event that carries one, else `fallback`. */
export function chosenStatus(value, fallback) {
  return CHOSEN.includes(value) ? value : fallback;
}

function possessive(name) { return name + "'s"; }

/**
 * The line a card shows about where the call was routed, {kind, text}, or null when there is
 * nothing to say (the floor, the fallback). `pop` carries `routing` (SPEC §11); `me` is {id};
 * `ringing`: whether the call is still waiting for an agent (only then is "waiting in the queue"
 * true). `date` formats the known agent's last call (default: the browser's short date, "28 Nov").
 *
 *   the agent who knows them:  "You helped Alice Wong on 28 Nov", "You own Alice Wong's follow-up",
 *                              "You own Alice Wong's complaint";
 *   anyone else (a supervisor): "Routed to Ann Lee, who helped them on 28 Nov", "…, who owns their
 *                              follow-up", "…, who owns their complaint";
 *   queued:                    "The caller is waiting in the queue: nobody was free to take it."
 */
export function routingLine(pop, me, { ringing = true, date = shortDate } = {}) {
  const routing = pop && pop.routing;
  if (!routing) return null;
  if (routing.reason === "queued") {
    return ringing ? { kind: "queued", text: "The caller is waiting in the queue: nobody was free to take it." } : null;
  }
  if (routing.reason !== "known_agent") return null;
  const known = routing.known;
  const mine = (agent) => !!(agent && me && me.id && agent.id === me.id);
  if (!known || !known.agent) {
    // The contract promises `known`; without it, still say who was rung first, and why.
    const agents = routing.agents || [];
    if (!agents.length) return null;
    if (agents.some(mine)) return { kind: "known", text: "Routed to you first: you know this caller." };
    return { kind: "known", text: "Routed to " + agents.map((a) => a.name).join(", ") + " first: they know this caller." };
  }
  const name = pop.customer && pop.customer.name ? pop.customer.name : "";
  const when = known.at ? date(known.at) : "";
  if (mine(known.agent)) {
    const who = name || "this caller";
    if (known.because === "follow_up") return { kind: "known", text: "You own " + (name ? possessive(name) : "this caller's") + " follow-up" };
    if (known.because === "complaint") return { kind: "known", text: "You own " + (name ? possessive(name) : "this caller's") + " complaint" };
    return { kind: "known", text: "You helped " + who + (when ? " on " + when : " last time") };
  }
  const to = "Routed to " + known.agent.name + ", who ";
  if (known.because === "follow_up") return { kind: "known", text: to + "owns their follow-up" };
  if (known.because === "complaint") return { kind: "known", text: to + "owns their complaint" };
  return { kind: "known", text: to + "helped them" + (when ? " on " + when : " last time") };
}

/** "1st", "2nd", "3rd", "11th", "22nd". */
export function ordinal(n) {
  const tens = n % 100, ones = n % 10;
  if (tens >= 11 && tens <= 13) return n + "th";
  return n + (ones === 1 ? "st" : ones === 2 ? "nd" : ones === 3 ? "rd" : "th");
}

/** Who is waiting, as the queue shows them: the customer's name, else the number, else "Number withheld". */
export function queueCaller(item) {
  if (item.customer && item.customer.name) return item.customer.name;
  return item.from_display || "Number withheld";
}

/** When a waiting caller joined the line, as a ms timestamp, from the `waiting_seconds` the
 *  server counted when it sent the list at `receivedAt` (ms): the wait then ticks up here. */
export function waitingSince(item, receivedAt) {
  const seconds = Number(item.waiting_seconds);
  return receivedAt - (isFinite(seconds) && seconds > 0 ? seconds : 0) * 1000;
}

/** How long a caller has waited, "1:05", from `since` (ms) to `now` (ms). */
export function waitingText(since, now) {
  return duration((now - since) / 1000);
}

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  chosenStatus, derivedNote, ordinal, queueCaller, routingLine, stateLabel, waitingSince, waitingText,
} from "../../app/static/js/lib/routing.js";

const ANN = { id: 7, name: "Ann Lee" };
const date = (iso) => "day of " + iso;

function pop(because, at = "2026-11-28T15:00:00Z", reason = "known_agent") {
  return {
    call_sid: "CA1", match: "single", customer: { id: 42, name: "Alice Wong" },
    routing: { reason, agents: [ANN], known: { agent: ANN, because, at } },
  };
}

test("a status reads in words; the derived state shows only when it is not the chosen one", () => {
  assert.equal(stateLabel("on_call"), "On a call");
  assert.equal(stateLabel("wrap_up"), "Wrap-up");
  assert.equal(derivedNote("available", "available"), "");
  assert.equal(derivedNote("away", "away"), "");
  assert.equal(derivedNote("available", "on_call"), "On a call");
  assert.equal(derivedNote("away", "offline"), "Offline");
  assert.equal(chosenStatus("away", "available"), "away");
  assert.equal(chosenStatus("on_call", "available"), "available");  // an event's derived state is no choice
});

test("the agent who knows the caller reads why the call came to them", () => {
  const me = { id: 7 };
  assert.deepEqual(routingLine(pop("last_call"), me, { date }),
    { kind: "known", text: "You helped Alice Wong on day of 2026-11-28T15:00:00Z" });
  assert.equal(routingLine(pop("follow_up", null), me, { date }).text, "You own Alice Wong's follow-up");
  assert.equal(routingLine(pop("complaint", null), me, { date }).text, "You own Alice Wong's complaint");
  assert.equal(routingLine(pop("last_call", null), me, { date }).text, "You helped Alice Wong last time");
});

test("anyone else (a supervisor) reads who the call went to, and why", () => {
  const sam = { id: 9 };
  assert.equal(routingLine(pop("last_call"), sam, { date }).text,
    "Routed to Ann Lee, who helped them on day of 2026-11-28T15:00:00Z");
  assert.equal(routingLine(pop("follow_up"), sam, { date }).text, "Routed to Ann Lee, who owns their follow-up");
  assert.equal(routingLine(pop("complaint"), sam, { date }).text, "Routed to Ann Lee, who owns their complaint");
});

test("the date is the browser's short date by default", () => {
  const line = routingLine(pop("last_call", "2026-11-28T15:00:00Z"), { id: 7 });
  const expected = new Date("2026-11-28T15:00:00Z").toLocaleDateString([], { day: "numeric", month: "short" });
  assert.equal(line.text, "You helped Alice Wong on " + expected);
});

test("a queued call says the caller waits, only while it rings; the floor says nothing", () => {
  const queued = { routing: { reason: "queued", agents: [], known: null } };
  assert.equal(routingLine(queued, { id: 7 }).kind, "queued");
  assert.match(routingLine(queued, { id: 7 }).text, /waiting in the queue/);
  assert.equal(routingLine(queued, { id: 7 }, { ringing: false }), null);
  assert.equal(routingLine({ routing: { reason: "floor", agents: [ANN], known: null } }, { id: 7 }), null);
  assert.equal(routingLine({ routing: { reason: "fallback", agents: [], known: null } }, { id: 7 }), null);
  assert.equal(routingLine({ call_sid: "CA1" }, { id: 7 }), null);  // a pop from before routing
});

test("a known-agent pop without `known` still says who was rung first", () => {
  const bare = { routing: { reason: "known_agent", agents: [ANN], known: null } };
  assert.match(routingLine(bare, { id: 7 }).text, /^Routed to you first/);
  assert.match(routingLine(bare, { id: 9 }).text, /^Routed to Ann Lee first/);
});

test("customer names are passed through as text, not interpreted", () => {
  const p = pop("follow_up");
  p.customer.name = "<img src=x onerror=alert(1)>";
  assert.equal(routingLine(p, { id: 7 }).text, "You own <img src=x onerror=alert(1)>'s follow-up");
});

test("the queue: who waits, since when, ordinals", () => {
  assert.equal(queueCaller({ customer: { id: 1, name: "Alice Wong", tier: "vip" }, from_display: "(415) 555-0100" }), "Alice Wong");
  assert.equal(queueCaller({ customer: null, from_display: "(415) 555-0100" }), "(415) 555-0100");
  assert.equal(queueCaller({ customer: null, from_display: "" }), "Number withheld");
  assert.equal(waitingSince({ waiting_seconds: 65 }, 100000), 35000);
  assert.equal(waitingSince({ waiting_seconds: null }, 100000), 100000);
  assert.equal(waitingText(35000, 100000), "1:05");
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal),
    ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]);
});

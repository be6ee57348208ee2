import assert from "node:assert/strict";
import { test } from "node:test";

import {
  advance, canonical, hiddenNumber, holesToDrop, insertionIndex, isEnded, isRinging, leavesHole, liveInsertIndex,
  longestWaiting, overdueCount, overdueFirst, popShape, rank, ringingState, startedAt, takeAgent, takeNews,
  titleFor,
} from "../../app/static/js/lib/calls.js";
import { parseConstants } from "../../app/static/js/lib/constants.js";
import { CONSTANTS_JSON } from "./constants_fixture.mjs";

const c = parseConstants(CONSTANTS_JSON);

test("statuses rank as the server says; the desktop's own 'ended' ranks with the terminal ones", () => {
  assert.equal(rank("ringing", c), 2);
  assert.equal(rank("completed", c), 4);
  assert.equal(rank("ended", c), 4);
  assert.equal(rank("bogus", c), -1);
});

test("ringing is every status before in-progress; ended is a terminal status or 'ended'", () => {
  assert.deepEqual(["queued", "initiated", "ringing", "in-progress", "completed"].map((s) => isRinging(s, c)),
    [true, true, true, false, false]);
  assert.deepEqual(["in-progress", "no-answer", "canceled", "ended", "bogus"].map((s) => isEnded(s, c)),
    [false, true, true, true, false]);
});

test("a call only moves forward: a late ringing never undoes an answer, an end never changes", () => {
  const call = { status: "ringing", agent: null, duration: null };
  assert.ok(advance(call, "in-progress", null, null, c));
  assert.ok(!advance(call, "ringing", null, null, c));
  assert.equal(call.status, "in-progress");
  assert.ok(advance(call, "completed", { id: 1, name: "Dana" }, 42, c));
  assert.ok(!advance(call, "failed", { id: 1, name: "Dana" }, 42, c));
  assert.deepEqual(call, { status: "completed", agent: { id: 1, name: "Dana" }, duration: 42 });
});

test("a card goes before the first card not newer than it, so ties put the latest arrival first", () => {
  assert.equal(insertionIndex([], 5), 0);
  assert.equal(insertionIndex([9, 7, 3], 8), 1);
  assert.equal(insertionIndex([9, 7, 3], 7), 1);
  assert.equal(insertionIndex([9, 7, 3], 1), 3);
  assert.equal(insertionIndex([9, 7, 3], 10), 0);
});

test("a call never started in the future, whatever the browser clock says", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  assert.equal(startedAt({ received_at: "2026-11-30T11:59:00Z" }, now), now - 60000);
  assert.equal(startedAt({ received_at: "2026-11-30T12:05:00Z" }, now), now);
  assert.equal(startedAt({}, now), now);
});

test("the pop's shape ignores key order (socket vs API) and call state", () => {
  assert.equal(canonical({ b: 1, a: [{ y: null, x: undefined }] }), '{"a":[{"x":null,"y":null}],"b":1}');
  const pop = { match: "single", from: "+1", customer: { id: 1, name: "A" }, candidates: [], status: "ringing" };
  const same = { status: "completed", candidates: [], customer: { name: "A", id: 1 }, from: "+1", match: "single" };
  assert.equal(popShape(pop), popShape(same));
  assert.notEqual(popShape(pop), popShape({ ...pop, customer: { id: 1, name: "B" } }));
});

test("overdue complaints come first and are counted; the title says who or what is calling", () => {
  const complaints = [{ id: 1 }, { id: 2, overdue: true }, { id: 3 }, { id: 4, overdue: true }];
  assert.deepEqual(overdueFirst(complaints).map((x) => x.id), [2, 4, 1, 3]);
  assert.equal(overdueCount({ customer: { open_complaints: complaints } }), 2);
  assert.equal(overdueCount({ customer: null }), 0);
  assert.equal(titleFor({ match: "single", customer: { name: "Alice" } }), "Alice");
  assert.equal(titleFor({ match: "multiple" }), "Shared number");
  assert.equal(titleFor({ match: "withheld" }), "Number withheld");
  assert.equal(titleFor({ match: "none" }), "Unknown caller");
});

test("who holds a call follows the server, including nobody once it is given back", () => {
  const call = { agent: null };
  assert.ok(takeAgent(call, { id: 1, name: "Dana" }));
  assert.ok(!takeAgent(call, { id: 1, name: "Dana" }));
  assert.ok(takeAgent(call, null));
  assert.equal(call.agent, null);
  assert.ok(!takeAgent(call, undefined));
});

test("a ghost's pill says since when there is no news; a taken call says who has it", () => {
  const news = "2026-11-30T07:05:00Z";
  const call = { status: "ringing", agent: null };
  assert.ok(takeNews(call, { news_at: news, unsettled: true }));
  assert.ok(!takeNews(call, { news_at: news, unsettled: true }));
  const ghost = ringingState(call, 1);
  assert.equal(ghost.kind, "unsettled");
  assert.match(ghost.text, /^No news since \d\d:\d\d/);
  assert.ok(takeNews(call, { unsettled: false }));
  assert.deepEqual(ringingState(call, 1), { kind: "ringing", text: "Ringing" });
  call.agent = { id: 1, name: "Dana Scully" };
  assert.deepEqual(ringingState(call, 1), { kind: "taken", text: "Taken by you" });
  assert.deepEqual(ringingState(call, 2), { kind: "taken", text: "With Dana Scully" });
});

test("a new call goes in time order, oldest first, unless that moves a card being worked in", () => {
  const slots = [{ since: 10 }, { since: 30 }];
  assert.equal(liveInsertIndex([], 5), 0);
  assert.equal(liveInsertIndex(slots, 40), 2);
  assert.equal(liveInsertIndex(slots, 20), 1);
  assert.equal(liveInsertIndex(slots, 30), 2, "ties: after the earlier arrival");
  assert.equal(liveInsertIndex([{ since: 10 }, { since: 30, pinned: true }], 20), 2);
  assert.equal(liveInsertIndex([{ since: 10, pinned: true }, { since: 30 }], 20), 1);
  assert.equal(liveInsertIndex([{ hole: true }, { since: 30, pinned: true }], 5), 2);
});

test("a card leaving before one being worked in leaves a hole, dropped once nothing is held", () => {
  const slots = [{ since: 1 }, { since: 2 }, { since: 3, pinned: true }, { since: 4 }];
  assert.ok(leavesHole(slots, 0));
  assert.ok(!leavesHole(slots, 2));
  assert.ok(!leavesHole(slots, 3));
  assert.deepEqual(holesToDrop([{ hole: true }, { since: 2, pinned: true }, { hole: true }, { since: 4 }]), [2]);
  assert.deepEqual(holesToDrop([{ hole: true }, { since: 2 }, { hole: true }]), [0, 2]);
});

test("the longest-waiting call is the one received first", () => {
  assert.equal(longestWaiting([]), null);
  const calls = [{ sid: "b", since: 20 }, { sid: "a", since: 10 }, { sid: "c", since: 10 }];
  assert.equal(longestWaiting(calls).sid, "a");
});

test("a number the server keeps from me (MASK_NUMBERS) is its masked display; a whole, withheld or unreadable one is not", () => {
  const masked = { match: "none", from: null, from_raw: null, from_display: "(415) •••-••77", call_sid: "CA1" };
  assert.equal(hiddenNumber(masked), "(415) •••-••77");
  assert.equal(hiddenNumber({ ...masked, from: "+14155550177", from_raw: "+14155550177", from_display: "(415) 555-0177" }), "");
  assert.equal(hiddenNumber({ ...masked, match: "withheld", from_display: "Number withheld" }), "");
  assert.equal(hiddenNumber({ ...masked, from_display: null }), "");
  // Not masked, but unreadable: the provider's text is there, and there is nothing to add.
  assert.equal(hiddenNumber({ ...masked, from_raw: "12", from_display: null }), "");
  assert.equal(hiddenNumber({ ...masked, direction: "outbound" }), "");
  assert.equal(hiddenNumber(null), "");
});

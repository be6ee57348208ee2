import assert from "node:assert/strict";
import { test } from "node:test";

import {
  flagLead, flagLevel, followUpReasonLabel, isOverdue, promiseStatusLabel, scoreKind, shownFlags, soonestDue,
  stageLabel, surveyChannelLabel, surveyStatusLabel,
} from "../../app/static/js/lib/care.js";

test("every stage reads as people say it", () => {
  assert.deepEqual(["at_risk", "advocate", "loyal", "new", "customer"].map(stageLabel),
    ["At risk", "Advocate", "Loyal", "New", "Customer"]);
  assert.equal(stageLabel(null), "");
  assert.equal(stageLabel("win_back"), "Win back");  // a stage the server adds later still reads
});

test("follow-up reasons, survey and promise states read as words", () => {
  assert.deepEqual(["detractor", "voicemail", "callback_requested", "complaint_reopened", "manual"].map(followUpReasonLabel),
    ["Low survey score", "Voicemail", "Callback requested", "Complaint reopened", "Follow-up"]);
  assert.equal(followUpReasonLabel(undefined), "Follow-up");
  assert.equal(surveyStatusLabel("sent"), "Sent, no answer yet");
  assert.equal(surveyStatusLabel("expired"), "Expired unanswered");
  assert.equal(surveyChannelLabel("ivr"), "by phone");
  assert.equal(surveyChannelLabel("sms"), "by SMS");
  assert.deepEqual(["open", "kept", "broken"].map(promiseStatusLabel), ["Open", "Kept", "Broken"]);
});

test("a score is a detractor up to 6, passive at 7 and 8, a promoter at 9 and 10", () => {
  assert.deepEqual([0, 6, 7, 8, 9, 10].map(scoreKind), ["detractor", "detractor", "passive", "passive", "promoter", "promoter"]);
  assert.equal(scoreKind(null), "");
  assert.equal(scoreKind(undefined), "");
});

test("flags keep the server's order; an urgent one says so in words; unknown levels are info", () => {
  const flags = [
    { kind: "overdue_promise", text: "Promised “refund” by 3 Dec — overdue", level: "alert" },
    { kind: "repeat_caller", text: "3rd call in 24 h", level: "warn" },
    { kind: "first_call", text: "", level: "info" },
    { kind: "odd", text: "Something new", level: "shout" },
  ];
  assert.deepEqual(shownFlags(flags).map((f) => f.kind), ["overdue_promise", "repeat_caller", "odd"]);
  assert.deepEqual(flags.map(flagLevel), ["alert", "warn", "info", "info"]);
  assert.equal(flagLead(flags[0]), "Urgent");
  assert.equal(flagLead(flags[1]), "");
  assert.deepEqual(shownFlags(undefined), []);
});

test("soonest due first, undated last, ties in their own order; the input is left alone", () => {
  const items = [
    { id: 1, due_at: "2026-12-05T10:00:00Z" },
    { id: 2, due_at: null },
    { id: 3, due_at: "2026-12-01T10:00:00Z" },
    { id: 4, due_at: "2026-12-05T10:00:00Z" },
  ];
  assert.deepEqual(soonestDue(items).map((i) => i.id), [3, 1, 4, 2]);
  assert.deepEqual(items.map((i) => i.id), [1, 2, 3, 4]);
  assert.deepEqual(soonestDue(null), []);
});

test("overdue is the server's word, else an open item past its due date", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  assert.equal(isOverdue({ overdue: false, due_at: "2026-11-01T00:00:00Z" }, now), false);
  assert.equal(isOverdue({ overdue: true }, now), true);
  assert.equal(isOverdue({ status: "open", due_at: "2026-12-01T00:00:00Z" }, now), true);
  assert.equal(isOverdue({ status: "kept", due_at: "2026-12-01T00:00:00Z" }, now), false);
  assert.equal(isOverdue({ due_at: "2026-12-03T00:00:00Z" }, now), false);
});

import assert from "node:assert/strict";
import { test } from "node:test";

import { describe } from "../../app/static/js/lib/timeline.js";

test("a survey reads its score, how it was asked and who took the call", () => {
  const said = describe({ kind: "survey", score: 3, channel: "sms", status: "answered", comment: "Too slow",
    agent: { id: 1, name: "Ann Lee" } });
  assert.equal(said.title, "Survey: scored 3/10 by SMS");
  assert.equal(said.detail, "“Too slow” · call taken by Ann Lee");
  assert.equal(describe({ kind: "survey", score: null, channel: "ivr", status: "expired" }).title,
    "Survey expired unanswered by phone");
  assert.equal(describe({ kind: "survey", score: 0, channel: "ivr", status: "answered" }).title, "Survey: scored 0/10 by phone");
});

test("a follow-up reads its reason, state, note, owner and outcome", () => {
  const done = describe({ kind: "follow_up", reason: "detractor", status: "done", note: "Scored 3",
    owner: { id: 2, name: "Ann Lee" }, outcome: "Refunded", due_at: "2026-12-01T00:00:00Z" });
  assert.equal(done.title, "Follow-up: Low survey score · done");
  assert.equal(done.detail, "Scored 3 · owner Ann Lee · outcome: Refunded");
  const open = describe({ kind: "follow_up", reason: "voicemail", status: "open", owner: null, due_at: null });
  assert.equal(open.title, "Follow-up: Voicemail · open");
  assert.equal(open.detail, "");
  assert.equal(describe({ kind: "follow_up", reason: "manual", status: "open", note: "Ask about the charger" }).title,
    "Follow-up · open");
});

test("a promise reads what was promised, its state and who made it", () => {
  const said = describe({ kind: "promise", text: "Refund the fee", status: "kept", due_at: "2026-12-03T23:59:59Z",
    made_by: { id: 1, name: "Dana Scully" } });
  assert.equal(said.title, "Promise: Refund the fee · kept");
  assert.match(said.detail, /^by .+ · made by Dana Scully$/);
  assert.equal(describe({ kind: "promise", text: "Call back", status: "open" }).title, "Promise: Call back · open");
});

test("the older kinds read as before, an unknown kind by its name", () => {
  assert.equal(describe({ kind: "call", status: "completed", duration: 95, agent: { name: "Ann" } }).title, "Call · completed · 1:35");
  assert.equal(describe({ kind: "note", text: "hi", agent: null }).detail, "hi");
  assert.deepEqual(describe({ kind: "mystery" }), { title: "mystery", detail: "" });
});

import assert from "node:assert/strict";
import { test } from "node:test";

import { isMe, popConcernsMe, showsMine, updateConcernsMe } from "../../app/static/js/pages/desktop/concerns.js";

const me = { id: 7 };

test("a pop or an update of a call I hold concerns me; one offered to me and nobody's does not", () => {
  assert.equal(popConcernsMe({ agent: { id: 7, name: "Ann" }, customer: null }, me), true);
  assert.equal(popConcernsMe({ agent: { id: "7" } }, me), true);  // ids compare as written
  assert.equal(popConcernsMe({ agent: null, routing: { agents: [{ id: 7 }] }, customer: { id: 1 } }, me), false);
  assert.equal(popConcernsMe({ agent: { id: 8 }, customer: { id: 1, follow_ups: [] } }, me), false);
  assert.equal(updateConcernsMe({ agent: { id: 7 }, status: "completed" }, me), true);
  assert.equal(updateConcernsMe({ agent: { id: 8 }, status: "completed" }, me), false);
  assert.equal(updateConcernsMe({ agent: null, status: "completed" }, me), false);
  assert.equal(popConcernsMe(null, me), false);
  assert.equal(updateConcernsMe(undefined, me), false);
});

test("a customer with a follow-up I own, a promise I made or a complaint I was given concerns me", () => {
  assert.equal(showsMine({ follow_ups: [{ owner: { id: 8 } }, { owner: { id: 7 } }] }, me), true);
  assert.equal(showsMine({ promises: [{ made_by: { id: 7 } }] }, me), true);
  assert.equal(showsMine({ complaints: [{ assigned_to_id: 7 }] }, me), true);
  assert.equal(showsMine({ complaints: [{ assigned_to: { id: 7 } }] }, me), true);
  assert.equal(showsMine({ follow_ups: [{ owner: null }], promises: [{ made_by: { id: 8 } }],
    complaints: [{ assigned_to_id: null }] }, me), false);
  assert.equal(showsMine(null, me), false);
  assert.equal(popConcernsMe({ agent: null, customer: { id: 3, follow_ups: [{ owner: { id: 7 } }] } }, me), true);
});

test("a customer my follow-ups list concerns me, as the pop's customer or one of its candidates", () => {
  const listed = (id) => id === 3;
  assert.equal(popConcernsMe({ agent: null, customer: { id: 3, follow_ups: [] } }, me, listed), true);
  assert.equal(popConcernsMe({ agent: null, customer: null, candidates: [{ id: 2 }, { id: 3 }] }, me, listed), true);
  assert.equal(popConcernsMe({ agent: null, customer: { id: 4 } }, me, listed), false);
});

test("nobody logged in is nobody's", () => {
  assert.equal(isMe({ id: 7 }, null), false);
  assert.equal(isMe(null, me), false);
  assert.equal(isMe({ id: null }, { id: null }), false);
});

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  calleeName, callbackBody, callbackError, callbackState, canAssign, canTake, careReasonLabel, careTotal, ownerText,
  reasonOptions,
} from "../../app/static/js/lib/care_list.js";

const item = { id: "follow_up:12", customer: { id: 4, name: "Alice Wong", tier: "vip" }, owner: null, follow_up_id: 12 };

test("reasons read as words, the filter counts them in urgency order", () => {
  assert.equal(careReasonLabel("detractor"), "Low survey score");
  assert.equal(careReasonLabel("something_new"), "Something new");
  const options = reasonOptions({ voicemail: 2, detractor: 1 });
  assert.deepEqual(options[0], ["", "All reasons (3)"]);
  assert.deepEqual(options[1], ["detractor", "Low survey score (1)"]);
  assert.deepEqual(options.find(([value]) => value === "voicemail"), ["voicemail", "Voicemail (2)"]);
});

test("who has it, and who may take or give it", () => {
  const me = { id: 3, role: "agent" };
  assert.equal(ownerText(item, me), "Nobody yet");
  assert.equal(ownerText({ ...item, owner: { id: 3, name: "Dana" } }, me), "You");
  assert.equal(ownerText({ ...item, owner: { id: 5, name: "Frank" } }, me), "Frank");
  assert.equal(canTake(item, me), true);
  assert.equal(canTake({ ...item, owner: { id: 5, name: "Frank" } }, me), false);
  assert.equal(canAssign(me), false);
  assert.equal(canAssign({ id: 1, role: "supervisor" }), true);
});

test("call back is off, with the server's reason, when it is not set up", () => {
  const reason = "Calling back is not set up: TWILIO_CALLER_ID is not set";
  assert.deepEqual(callbackState(item, { available: false, reason }), { enabled: false, reason });
  assert.deepEqual(callbackState(item, { available: true, reason: null }), { enabled: true, reason: "" });
  assert.equal(callbackState({ ...item, customer: null, follow_up_id: null }, { available: true }).enabled, false);
});

test("the callback names the customer and the follow-up it settles", () => {
  assert.deepEqual(callbackBody(item), { customer_id: 4, follow_up_id: 12 });
  assert.deepEqual(callbackBody({ customer: null, follow_up_id: 7 }), { follow_up_id: 7 });
  assert.equal(calleeName(item), "Alice Wong");
  assert.equal(calleeName({ customer: null }), "the caller");
});

test("a refused callback says why", () => {
  assert.equal(callbackError({ status: 502, message: "Invalid 'To' number" }), "The provider refused the call: Invalid 'To' number");
  assert.equal(callbackError({ status: 502, message: "the provider refused the call: 21215 geo permissions" }),
    "The provider refused the call: 21215 geo permissions");  // the server's own words are not said twice
  assert.equal(callbackError({ status: 503, message: "Calling back is not set up" }), "Calling back is not set up");
  assert.match(callbackError({ status: 409, message: "" }), /on a call/);
  assert.match(callbackError({ status: 0 }), /could not be reached/);
});

test("the list's total comes from its counts, of one reason when one is chosen", () => {
  const counts = { detractor: 2, overdue_complaint: 5, not_contacted: 0 };
  assert.equal(careTotal(counts), 7);
  assert.equal(careTotal(counts, "overdue_complaint"), 5);
  assert.equal(careTotal(counts, "voicemail"), 0);
  assert.equal(careTotal(undefined), 0);
  assert.equal(careTotal({ detractor: "3", odd: null }), 3);
});

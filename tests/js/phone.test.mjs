import assert from "node:assert/strict";
import test from "node:test";

import {
  cardForIncoming, deviceReason, microphoneRefusal, parentCallSid, phoneMark, phoneShort, phoneText, tokenRefusal,
} from "../../app/static/js/lib/phone.js";

const PARENT = "CA" + "a".repeat(32);
const CHILD = "CA" + "b".repeat(32);

test("a 503 from the token route is 'not set up', naming what the server says is missing", () => {
  const refusal = tokenRefusal({ status: 503, message: "The browser phone is not set up: TWILIO_API_KEY is not set" });
  assert.equal(refusal.state, "not-set-up");
  assert.equal(phoneText(refusal.state, refusal.detail), "Phone not set up: TWILIO_API_KEY is not set");
  assert.equal(tokenRefusal({ status: 503, message: "" }).detail, "the voice settings are missing");
});

test("a 404 (no token route on this server) is 'not set up' too", () => {
  const refusal = tokenRefusal({ status: 404, message: "Not Found" });
  assert.equal(refusal.state, "not-set-up");
  assert.match(phoneText(refusal.state, refusal.detail), /no browser phone/);
});

test("a 409 is a user reached by phone, who needs no softphone", () => {
  const refusal = tokenRefusal({ status: 409, message: "reached by phone" });
  assert.equal(refusal.state, "by-phone");
  assert.match(phoneText("by-phone"), /^Reached by phone/);
});

test("the network down or a 5xx is offline because the server can't be reached; a 401 is a login ended", () => {
  assert.deepEqual(tokenRefusal({ status: 0, message: "" }), { state: "offline", detail: "server" });
  assert.deepEqual(tokenRefusal({ status: 500 }), { state: "offline", detail: "server" });
  assert.deepEqual(tokenRefusal({ status: 401 }), { state: "offline", detail: "logged-out" });
  assert.deepEqual(tokenRefusal(null), { state: "offline", detail: "server" });
});

test("a refused microphone says where to allow it", () => {
  const reason = microphoneRefusal({ name: "NotAllowedError" });
  assert.equal(reason, "microphone");
  assert.match(phoneText("offline", reason), /site settings/);
  assert.equal(microphoneRefusal({ name: "NotFoundError" }), "no-microphone");
  assert.equal(microphoneRefusal({ name: "NotReadableError" }), "microphone-failed");
  assert.equal(microphoneRefusal(undefined), "microphone-failed");
});

test("Twilio's error codes read as what the agent can do about them", () => {
  assert.equal(deviceReason({ code: 53000 }), "unreachable");
  assert.equal(deviceReason({ code: 31005 }), "unreachable");
  assert.match(phoneText("offline", "unreachable"), /Twilio can't be reached/);
  assert.equal(deviceReason({ code: 20101 }), "token");
  assert.equal(deviceReason({ code: 20104 }), "expired");
  assert.equal(deviceReason({ code: 31401 }), "microphone");
  assert.equal(deviceReason({ code: 12345, message: "Something odd" }), "Something odd (12345)");
  assert.equal(phoneText("offline", "Something odd (12345)"), "Phone offline: Something odd (12345)");
  assert.equal(deviceReason(undefined), "error");
});

test("the parent CallSid comes from the custom parameters, never from the child leg's own CallSid", () => {
  assert.equal(parentCallSid({ customParameters: new Map([["call_sid", PARENT]]), parameters: { CallSid: CHILD } }), PARENT);
  assert.equal(parentCallSid({ customParameters: new Map([["ParentCallSid", PARENT]]), parameters: { CallSid: CHILD } }), PARENT);
  assert.equal(parentCallSid({ customParameters: new Map(), parameters: { CallSid: CHILD, ParentCallSid: PARENT } }), PARENT);
  assert.equal(parentCallSid({ customParameters: new Map(), parameters: { CallSid: CHILD } }), null);
  assert.equal(parentCallSid({ customParameters: new Map([["call_sid", "<img onerror=x>"]]), parameters: {} }), null);
  assert.equal(parentCallSid(null), null);
});

function card(sid, since, extra = {}) {
  return { call_sid: sid, ringing: true, outbound: false, since, agentId: null, offeredTo: null, phoneBusy: false, ...extra };
}

test("a named parent call rings on its own card, and on no other until its pop arrives", () => {
  const cards = [card("CA1", 10), card("CA2", 20)];
  assert.equal(cardForIncoming("CA1", cards, { id: 7 }), "CA1");
  assert.equal(cardForIncoming("CA9", cards, { id: 7 }), null);
});

test("otherwise the most recent ringing card offered to me that nobody else holds", () => {
  const me = { id: 7 };
  const cards = [
    card("CAold", 10),
    card("CAnewest-not-mine", 50, { offeredTo: [8] }),
    card("CAtaken", 40, { agentId: 8 }),
    card("CAcallback", 45, { outbound: true }),
    card("CAanswered", 48, { ringing: false }),
    card("CAbusy", 47, { phoneBusy: true }),
    card("CAmine", 30, { offeredTo: [7, 8] }),
  ];
  assert.equal(cardForIncoming(null, cards, me), "CAmine");
  assert.equal(cardForIncoming(null, cards.filter((c) => c.call_sid !== "CAmine"), me), "CAold");
  assert.equal(cardForIncoming(null, [], me), null);
  assert.equal(cardForIncoming(null, [card("CAheld-by-me", 5, { agentId: 7 })], me), "CAheld-by-me");
  // Two calls in the same second: the one this desk saw last.
  assert.equal(cardForIncoming(null, [card("CAb", 5, { seen: 2 }), card("CAa", 5, { seen: 1 })], me), "CAb");
});

test("the narrow top bar's mark says the state by a sign, not only by colour", () => {
  assert.equal(phoneMark("registered"), "☎✓");
  assert.equal(phoneMark("offline", "away"), "☎–");
  assert.equal(phoneMark("offline", "unreachable"), "☎!");
  assert.equal(phoneMark("not-set-up"), "☎!");
  assert.equal(phoneShort("not-set-up"), "Phone not set up");
});

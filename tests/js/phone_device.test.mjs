import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import test from "node:test";

import { createPhoneController } from "../../app/static/js/lib/phone_device.js";

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A stand-in for Twilio.Device: registers when asked, records what was done to it. */
function fakeSdk({ failRegister } = {}) {
  const made = [];
  class Device extends EventEmitter {
    constructor(token, options) {
      super();
      this.token = token;
      this.options = options;
      this.state = "unregistered";
      this.done = [];
      made.push(this);
    }
    register() {
      this.done.push("register");
      if (failRegister) return Promise.reject(Object.assign(new Error("gone"), { code: 53000 }));
      this.state = "registering";
      this.emit("registering");
      this.state = "registered";
      this.emit("registered");
      return Promise.resolve();
    }
    unregister() {
      this.done.push("unregister");
      this.state = "unregistered";
      this.emit("unregistered");
      return Promise.resolve();
    }
    updateToken(token) { this.done.push("updateToken:" + token); this.token = token; }
    destroy() { this.done.push("destroy"); this.state = "destroyed"; }
  }
  return { Device, made };
}

function fakeCall(sid, custom = {}) {
  const call = new EventEmitter();
  call.parameters = { CallSid: sid };
  call.customParameters = new Map(Object.entries(custom));
  call.done = [];
  call.accept = () => { call.done.push("accept"); call.emit("accept", call); };
  call.reject = () => { call.done.push("reject"); };
  call.mute = (muted) => { call.done.push("mute:" + muted); call.emit("mute", muted, call); };
  call.disconnect = () => { call.done.push("disconnect"); call.emit("disconnect", call); };
  return call;
}

function phone({ token = () => Promise.resolve({ token: "t1" }), microphone = () => Promise.resolve(), sdk = fakeSdk(), ...rest } = {}) {
  const seen = [];
  const counts = { token: 0, microphone: 0 };
  const controller = createPhoneController({
    getToken: () => { counts.token += 1; return token(); },
    askMicrophone: () => { counts.microphone += 1; return microphone(); },
    loadDevice: () => sdk.Device,
    onChange: (snap) => seen.push(snap),
    setTimer: () => 0, clearTimer: () => {},
    ...rest,
  });
  return { controller, seen, counts, sdk, last: () => controller.snapshot() };
}

test("available: token, microphone once, a Device with that token, registered", async () => {
  const p = phone();
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.last().state, "registered");
  assert.equal(p.last().text, "Phone registered");
  assert.equal(p.sdk.made.length, 1);
  assert.equal(p.sdk.made[0].token, "t1");
  assert.equal(p.counts.microphone, 1);
  assert.ok(p.seen.some((snap) => snap.state === "connecting"));
});

test("away unregisters, available again registers the same Device with a fresh token, without asking the microphone again", async () => {
  let n = 0;
  const p = phone({ token: () => Promise.resolve({ token: "t" + (++n) }) });
  p.controller.setAvailable(true);
  await flush();
  p.controller.setAvailable(false);
  await flush();
  assert.equal(p.last().state, "offline");
  assert.equal(p.last().detail, "away");
  assert.deepEqual(p.sdk.made[0].done, ["register", "unregister"]);
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.last().state, "registered");
  assert.deepEqual(p.sdk.made[0].done, ["register", "unregister", "updateToken:t2", "register"]);
  assert.equal(p.sdk.made.length, 1);
  assert.equal(p.counts.microphone, 1);
});

test("not set up (503) asks for no microphone and builds no Device, even when available", async () => {
  const p = phone({ token: () => Promise.reject({ status: 503, message: "TWILIO_TWIML_APP_SID is missing" }) });
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.last().state, "not-set-up");
  assert.match(p.last().text, /TWILIO_TWIML_APP_SID/);
  assert.equal(p.counts.microphone, 0);
  assert.equal(p.sdk.made.length, 0);
  p.controller.setAvailable(false);
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.counts.token, 1);  // settled until the page is loaded again
});

test("an agent away at load still learns they are reached by phone", async () => {
  const p = phone({ token: () => Promise.reject({ status: 409, message: "reached by phone" }) });
  p.controller.setAvailable(false);
  await flush();
  assert.equal(p.last().state, "by-phone");
  assert.equal(p.counts.microphone, 0);
});

test("away at load with a working token: offline because away, no microphone asked yet", async () => {
  const p = phone();
  p.controller.setAvailable(false);
  await flush();
  assert.deepEqual([p.last().state, p.last().detail], ["offline", "away"]);
  assert.equal(p.counts.microphone, 0);
  assert.equal(p.sdk.made.length, 0);
});

test("a refused microphone is offline with what to do, and asked again on the next try", async () => {
  let allowed = false;
  const p = phone({ microphone: () => (allowed ? Promise.resolve() : Promise.reject({ name: "NotAllowedError" })) });
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.last().state, "offline");
  assert.match(p.last().text, /Allow the microphone for this site in the browser's site settings/);
  assert.equal(p.sdk.made.length, 0);
  allowed = true;
  p.controller.setAvailable(false);
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.last().state, "registered");
});

test("Twilio unreachable at register: offline with that reason, never a throw", async () => {
  const p = phone({ sdk: fakeSdk({ failRegister: true }) });
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.last().state, "offline");
  assert.match(p.last().text, /Twilio can't be reached/);
});

test("a signalling error after registering moves to offline when the Device says it is unregistered", async () => {
  const p = phone();
  p.controller.setAvailable(true);
  await flush();
  const device = p.sdk.made[0];
  device.emit("error", { code: 53000, message: "signalling" });
  assert.equal(p.last().state, "registered");  // still registered: nothing to say yet
  device.state = "unregistered";
  device.emit("unregistered");
  assert.equal(p.last().state, "offline");
  assert.equal(p.last().detail, "unreachable");
  device.emit("registered");  // the SDK reconnected by itself
  assert.equal(p.last().state, "registered");
});

test("no SDK (the script did not load): offline, the SDK named; a constructor that throws: offline too", async () => {
  const none = phone({ sdk: { Device: null } });
  none.controller.setAvailable(true);
  await flush();
  assert.deepEqual([none.last().state, none.last().detail], ["offline", "sdk"]);
  const throwing = phone({ sdk: { Device: function () { throw new Error("no WebRTC"); } } });
  throwing.controller.setAvailable(true);
  await flush();
  assert.deepEqual([throwing.last().state, throwing.last().detail], ["offline", "unsupported"]);
});

test("the server down for the token: offline, and tried again later", async () => {
  const timers = [];
  const p = phone({ token: () => Promise.reject({ status: 0 }), setTimer: (fn) => { timers.push(fn); return 1; } });
  p.controller.setAvailable(true);
  await flush();
  assert.deepEqual([p.last().state, p.last().detail], ["offline", "server"]);
  assert.equal(timers.length, 1);
});

test("tokenWillExpire renews the token on the Device", async () => {
  let n = 0;
  const p = phone({ token: () => Promise.resolve({ token: "t" + (++n) }) });
  p.controller.setAvailable(true);
  await flush();
  p.sdk.made[0].emit("tokenWillExpire");
  await flush();
  assert.deepEqual(p.sdk.made[0].done, ["register", "updateToken:t2"]);
});

test("an incoming call rings, is answered, muted, unmuted and hung up", async () => {
  const p = phone();
  p.controller.setAvailable(true);
  await flush();
  const call = fakeCall("CAchild", { call_sid: "CA" + "a".repeat(32) });
  p.sdk.made[0].emit("incoming", call);
  assert.deepEqual(p.last().calls, [{ id: "CAchild", parentSid: "CA" + "a".repeat(32), status: "ringing", muted: false }]);
  assert.equal(p.controller.toggleMute("CAchild"), false);  // not before it is answered
  assert.equal(p.controller.answer("CAchild"), true);
  await flush();
  assert.equal(p.last().calls[0].status, "open");
  p.controller.toggleMute("CAchild");
  assert.equal(p.last().calls[0].muted, true);
  p.controller.toggleMute("CAchild");
  assert.equal(p.last().calls[0].muted, false);
  p.controller.hangUp("CAchild");
  assert.deepEqual(call.done, ["accept", "mute:true", "mute:false", "disconnect"]);
  assert.deepEqual(p.last().calls, []);
});

test("declining rejects the call; a caller hanging up first (cancel) takes it away", async () => {
  const p = phone();
  p.controller.setAvailable(true);
  await flush();
  const first = fakeCall("CA1");
  const second = fakeCall("CA2");
  p.sdk.made[0].emit("incoming", first);
  p.sdk.made[0].emit("incoming", second);
  assert.equal(p.controller.decline("CA1"), true);
  assert.deepEqual(first.done, ["reject"]);
  second.emit("cancel");
  assert.deepEqual(p.last().calls, []);
  assert.equal(p.controller.answer("CA2"), false);
});

test("an SDK that throws on accept leaves the desk working: the call is dropped, nothing thrown", async () => {
  const p = phone();
  p.controller.setAvailable(true);
  await flush();
  const call = fakeCall("CA1");
  call.accept = () => { throw new Error("boom"); };
  p.sdk.made[0].emit("incoming", call);
  assert.equal(p.controller.answer("CA1"), true);
  await flush();
  assert.deepEqual(p.last().calls, []);
});

test("stop() (logout) destroys the Device and stays stopped", async () => {
  const p = phone();
  p.controller.setAvailable(true);
  await flush();
  p.controller.stop();
  assert.deepEqual(p.sdk.made[0].done, ["register", "destroy"]);
  assert.deepEqual([p.last().state, p.last().detail], ["offline", "logged-out"]);
  p.controller.setAvailable(false);
  p.controller.setAvailable(true);
  await flush();
  assert.equal(p.sdk.made.length, 1);
  assert.equal(p.last().state, "offline");
});

test("an answer that comes after the agent went away builds nothing", async () => {
  let release;
  const p = phone({ token: () => new Promise((resolve) => { release = () => resolve({ token: "late" }); }) });
  p.controller.setAvailable(true);
  p.controller.setAvailable(false);
  release();
  await flush();
  await flush();
  assert.equal(p.sdk.made.length, 0);
  assert.equal(p.counts.microphone, 0);
});

/* KnownCaller desktop: the browser phone's controller (SPEC §13) — when to ask for a token, the
 * microphone and Twilio, and what state the phone is in. No DOM and no SDK of its own: the page
 * hands it the Device constructor (window.Twilio.Device), the token request and getUserMedia, so
 * `node --test` drives it with fakes (tests/js/phone_device.test.mjs).
 *
 *   page load        GET /api/v1/voice/token: 503/404 → not-set-up, 409 → by-phone (and nothing
 *                    else happens: no microphone prompt, no SDK, nothing leaves the machine)
 *   available        token → microphone (asked until once allowed) → new Device(token) →
 *                    register() → registered
 *   away             unregister() (a call in progress goes on) → offline, "you are away"
 *   tokenWillExpire  a fresh token → device.updateToken()
 *   stop()           logout or leaving the page: destroy() the Device
 *
 * Nothing here throws: every SDK call is wrapped, and a failure becomes the offline state with a
 * reason (lib/phone.js), so pops, cards and follow-ups never notice the phone failing.
 */
import { deviceReason, microphoneRefusal, parentCallSid, phoneText, tokenRefusal } from "./phone.js";

export const RETRY_MS = 30000;

/**
 * `getToken()` resolves {token, identity, expires_at} or rejects an ApiError (status, message);
 * `askMicrophone()` resolves once the browser allows the microphone; `loadDevice()` returns the
 * Device constructor or null; `deviceOptions` go to it. `onChange(snapshot)` hears every change:
 * {state, detail, text, calls: [{id, parentSid, status: "ringing" | "answering" | "open", muted}]}.
 * `unreachableReason()` may say better why Twilio can't be reached (the page's policy blocked it).
 */
export function createPhoneController({
  getToken, askMicrophone, loadDevice, deviceOptions = {}, onChange = () => {}, log = () => {},
  retryMs = RETRY_MS, setTimer = setTimeout, clearTimer = clearTimeout, unreachableReason = () => "unreachable",
}) {
  let state = "checking";
  let detail = "";
  let available = false;
  let stopped = false;
  let started = false;
  let device = null;
  let generation = 0;  // a newer bring-up or take-down makes an older one's answers moot
  let leaving = false;  // we asked the Device to unregister (away): its "unregistered" is expected
  let retryTimer = null;
  let lastError = null;
  let nextId = 0;
  /** id → {id, call, parentSid, status, muted} */
  const calls = new Map();

  /** An SDK error as an offline reason (lib/phone.js), "unreachable" told more precisely if we can. */
  function reasonOf(error) {
    const reason = deviceReason(error);
    return reason === "unreachable" ? safe("reason", unreachableReason) || reason : reason;
  }

  function snapshot() {
    return {
      state, detail, text: phoneText(state, detail),
      calls: Array.from(calls.values()).map(({ id, parentSid, status, muted }) => ({ id, parentSid, status, muted })),
    };
  }

  function emit() {
    try { onChange(snapshot()); } catch (error) { log("phone: listener failed", error); }
  }

  function set(next, why) {
    const reason = why || "";
    if (next === state && reason === detail) return;
    state = next;
    detail = reason;
    emit();
  }

  function safe(what, fn) {
    try { return fn(); } catch (error) { log("phone: " + what + " failed", error); return undefined; }
  }

  /** A promise-returning SDK call that may also throw at once: both become a rejection. */
  function attempt(fn) {
    try { return Promise.resolve(fn()); } catch (error) { return Promise.reject(error); }
  }

  function retryLater() {
    clearTimer(retryTimer);
    retryTimer = setTimer(() => { retryTimer = null; bringUp(); }, retryMs);
  }

  // ---------------------------------------------------------------- calls ringing in the browser

  function forgetCall(id) {
    if (calls.delete(id)) emit();
  }

  function takeIncoming(call) {
    const id = safe("reading the call", () => call.parameters && call.parameters.CallSid) || "call-" + (++nextId);
    const entry = { id, call, parentSid: safe("reading the call", () => parentCallSid(call)) || null, status: "ringing", muted: false };
    calls.set(id, entry);
    safe("listening to the call", () => {
      call.on("accept", () => { entry.status = "open"; emit(); });
      call.on("mute", (muted) => { entry.muted = !!muted; emit(); });
      ["disconnect", "cancel", "reject"].forEach((event) => call.on(event, () => forgetCall(id)));
      call.on("error", (error) => {
        log("phone: call error", error);
        // A call that never connected is gone; one in progress may go on.
        if (entry.status !== "open") forgetCall(id);
      });
    });
    emit();
  }

  /** Pick up a ringing call; false when there is none by that id. */
  function answer(id) {
    const entry = calls.get(id);
    if (!entry || entry.status !== "ringing") return false;
    entry.status = "answering";
    emit();
    attempt(() => entry.call.accept()).catch((error) => {
      log("phone: accept failed", error);
      forgetCall(id);
    });
    return true;
  }

  function decline(id) {
    const entry = calls.get(id);
    if (!entry || entry.status !== "ringing") return false;
    safe("reject", () => entry.call.reject());
    forgetCall(id);
    return true;
  }

  function toggleMute(id) {
    const entry = calls.get(id);
    if (!entry || entry.status !== "open") return false;
    const muted = !entry.muted;
    safe("mute", () => entry.call.mute(muted));
    // The SDK says "mute" back; if it does not, the button still says what was asked for.
    entry.muted = muted;
    emit();
    return true;
  }

  function hangUp(id) {
    const entry = calls.get(id);
    if (!entry) return false;
    safe("disconnect", () => entry.call.disconnect());
    forgetCall(id);
    return true;
  }

  // ---------------------------------------------------------------- the Device

  function refreshToken() {
    getToken().then((answer) => {
      if (!device || stopped) return;
      safe("updateToken", () => device.updateToken(answer.token));
    }, (error) => {
      log("phone: token not renewed", error && error.message);
      if (!stopped) setTimer(refreshToken, Math.min(retryMs, 60000));
    });
  }

  function wire(made) {
    made.on("registering", () => { if (made === device && available) set("connecting"); });
    made.on("registered", () => {
      lastError = null;
      if (made === device && available && !stopped) set("registered");
    });
    made.on("unregistered", () => {
      if (made !== device || stopped) return;
      if (leaving || !available) set("offline", "away");
      else set("offline", lastError ? reasonOf(lastError) : reasonOf({ code: 53000 }));
    });
    made.on("error", (error, call) => {
      log("phone: device error", error && error.code, error && error.message);
      if (call || made !== device) return;  // a call's own trouble; its events say what became of it
      lastError = error;
      if (state !== "registered" || [20104, 31205].includes(Number(error && error.code))) {
        if (available && !stopped) set("offline", reasonOf(error));
      }
    });
    made.on("incoming", (call) => takeIncoming(call));
    made.on("tokenWillExpire", refreshToken);
  }

  function register(mine) {
    leaving = false;
    set("connecting");
    attempt(() => device.register()).catch((error) => {
      if (mine !== generation || stopped) return;
      lastError = error;
      set("offline", reasonOf(error));
    });
  }

  async function bringUp() {
    const mine = ++generation;
    clearTimer(retryTimer);
    retryTimer = null;
    if (stopped) return;
    if (!available && device) { takeDown(); return; }
    if (available && device && ["registered", "registering"].includes(safe("state", () => device.state))) return;
    let answer;
    try {
      answer = await getToken();
    } catch (error) {
      if (mine !== generation || stopped) return;
      const refusal = tokenRefusal(error);
      set(refusal.state, refusal.detail);
      if (refusal.state === "offline" && refusal.detail === "server") retryLater();
      return;
    }
    if (mine !== generation || stopped) return;
    if (!available) { set("offline", "away"); return; }
    if (!answer || typeof answer.token !== "string") { set("offline", "server"); retryLater(); return; }
    if (device) {
      safe("updateToken", () => device.updateToken(answer.token));
      register(mine);
      return;
    }
    try {
      await askMicrophone();
    } catch (error) {
      if (mine === generation && !stopped) set("offline", microphoneRefusal(error));
      return;
    }
    if (mine !== generation || stopped || !available) return;
    const Device = safe("loading the SDK", loadDevice);
    if (typeof Device !== "function") { set("offline", "sdk"); return; }
    let made;
    try {
      made = new Device(answer.token, deviceOptions);
    } catch (error) {
      log("phone: Device refused", error);
      set("offline", error && error.code ? reasonOf(error) : "unsupported");
      return;
    }
    device = made;
    const wired = safe("listening to the Device", () => { wire(made); return true; });
    if (!wired) { set("offline", "sdk"); return; }
    register(mine);
  }

  /** Away: nobody should ring this browser. A call in progress goes on. */
  function takeDown() {
    set("offline", "away");
    if (!device || safe("state", () => device.state) === "unregistered") return;
    leaving = true;
    attempt(() => device.unregister()).catch((error) => log("phone: unregister failed", error));
  }

  /** The agent's chosen status: available registers, anything else unregisters. */
  function setAvailable(isAvailable) {
    const wanted = !!isAvailable;
    if (started && wanted === available) return;
    started = true;
    available = wanted;
    if (["not-set-up", "by-phone"].includes(state)) return;  // settled until the page is loaded again
    bringUp();
  }

  /** Logout, a login that ended, or leaving the page: let go of Twilio for good. */
  function stop(reason) {
    if (stopped) return;
    stopped = true;
    generation += 1;
    clearTimer(retryTimer);
    if (device) safe("destroy", () => device.destroy());
    device = null;
    calls.clear();
    if (!["not-set-up", "by-phone"].includes(state)) set("offline", reason || "logged-out");
    else emit();
  }

  return {
    setAvailable, stop, answer, decline, toggleMute, hangUp, snapshot,
    /** Which entry is ringing, answering or open, by id (the page's buttons carry it). */
    call: (id) => { const entry = calls.get(id); return entry ? { ...entry } : null; },
  };
}

/* KnownCaller desktop: the browser phone (SPEC §13) — the phone status in the top bar (#phone),
 * the Twilio Device registered while I am available, and the Answer / Decline / Mute / Hang up
 * buttons on the card of the call ringing in this browser.
 *
 * The SDK (@twilio/voice-sdk, a classic script served at /vendor/twilio.min.js) sets
 * window.Twilio.Device; lib/phone_device.js decides when to use it, and lib/phone.js says what the
 * states mean and which card a browser call belongs to (cardForIncoming). Every use of the SDK is
 * wrapped there: if it fails to load, the token route fails, or Twilio can't be reached, the
 * phone says "offline" with the reason and the rest of the desktop goes on as before.
 *
 * Which card rings: the one whose call_sid the SDK call names as its parent (custom parameter
 * `call_sid`, `parent_call_sid`, `ParentCallSid` or `CallSid`; Twilio's own `ParentCallSid`),
 * else the most recent ringing inbound card offered to me that nobody else holds. A call with no
 * such card yet waits for one (its pop may come a moment later); meanwhile the top bar's phone
 * panel offers Answer and Decline.
 */
import * as api from "../../lib/api.js";
import { isRinging } from "../../lib/calls.js";
import { button, el } from "../../lib/dom.js";
import { isOutbound } from "../../lib/outbound.js";
import { cardForIncoming, phoneMark, phoneShort } from "../../lib/phone.js";
import { createPhoneController } from "../../lib/phone_device.js";

/**
 * The SDK plays its ringtone and tones from sdk.twilio.com, a CDN this app never loads from (and
 * its CSP blocks). This stand-in, given as the Device's Sound, plays nothing: the card pops and
 * the desktop's own alerts ring (desktop/alerts.js).
 */
class QuietSound {
  constructor(name, url) { this.name = name; this.url = url; this.isPlaying = false; }
  play() { return Promise.resolve(); }
  stop() {}
  setSinkIds() {}
}

/** The microphone, asked for once per bring-up; the stream is let go at once (the SDK opens its
 *  own when a call is answered). */
function askMicrophone() {
  if (!window.isSecureContext) return Promise.reject({ name: "InsecureContextError" });
  const media = navigator.mediaDevices;
  if (!media || typeof media.getUserMedia !== "function") return Promise.reject({ name: "NotSupportedError" });
  return media.getUserMedia({ audio: true }).then((stream) => {
    stream.getTracks().forEach((track) => track.stop());
  });
}

/**
 * `widget` is #phone in the top bar, `desk` the board (desktop/board.js). Returns {actions (the
 * card buttons, for work.js), attach(work), setAvailable(bool), stop(), answerWaiting()}.
 */
export function createPhone(widget, { desk, log }) {
  const short = widget.querySelector("[data-role=phone-short]");
  const mark = widget.querySelector("[data-role=phone-mark]");
  const text = widget.querySelector("[data-role=phone-text]");
  const toggle = widget.querySelector("[data-role=phone-toggle]");
  const detail = widget.querySelector("[data-role=phone-detail]");
  /** SDK call id → the call_sid of the card it rings on. */
  const bindings = new Map();
  let work = null;
  let blockedByPolicy = false;
  let latest = null;
  let openedForCall = false;

  // The CSP (connect-src 'self') stops the SDK reaching Twilio: say that, not "the network".
  document.addEventListener("securitypolicyviolation", (event) => {
    if (/twilio\.com/.test(String(event.blockedURI || ""))) blockedByPolicy = true;
  });

  const controller = createPhoneController({
    getToken: api.voiceToken,
    askMicrophone,
    loadDevice: () => (window.Twilio && typeof window.Twilio.Device === "function" ? window.Twilio.Device : null),
    // closeProtection: leaving or reloading mid-call asks first (it would hang up on the caller).
    deviceOptions: { closeProtection: true, codecPreferences: ["opus", "pcmu"], logLevel: "warn", Sound: QuietSound },
    onChange: render,
    log: (...args) => log(...args),
    unreachableReason: () => (blockedByPolicy ? "blocked" : "unreachable"),
  });

  /** The live calls as cardForIncoming reads them. */
  function cards() {
    const busy = new Set(bindings.values());
    const list = [];
    desk.calls.forEach((call, sid) => {
      if (!call.el || call.el.parentNode !== desk.liveList) return;
      const agents = call.pop.routing && Array.isArray(call.pop.routing.agents) ? call.pop.routing.agents : null;
      list.push({
        call_sid: sid, ringing: isRinging(call.status), outbound: isOutbound(call.pop), since: call.since, seen: call.seenAt,
        agentId: call.agent ? call.agent.id : null, offeredTo: agents ? agents.map((agent) => agent.id) : null,
        phoneBusy: busy.has(sid),
      });
    });
    return list;
  }

  /** Put each browser call on its card (call.phone on the board's call, which call_card renders). */
  function bind(snapshot) {
    const live = new Map(snapshot.calls.map((entry) => [entry.id, entry]));
    bindings.forEach((sid, id) => { if (!live.has(id)) bindings.delete(id); });
    snapshot.calls.forEach((entry) => {
      if (bindings.has(entry.id)) return;
      const sid = cardForIncoming(entry.parentSid, cards(), desk.me);
      if (sid) bindings.set(entry.id, sid);
    });
    const wanted = new Map();
    bindings.forEach((sid, id) => wanted.set(sid, live.get(id)));
    desk.calls.forEach((call, sid) => {
      const entry = wanted.get(sid);
      const next = entry ? { id: entry.id, status: entry.status, muted: entry.muted } : undefined;
      const before = call.phone;
      const same = (!before && !next) || (before && next && before.id === next.id &&
        before.status === next.status && before.muted === next.muted);
      if (same) return;
      call.phone = next;
      desk.place(call, false);
    });
  }

  /** Calls ringing with no card yet: Answer and Decline in the phone panel. */
  function waiting(snapshot) {
    const bound = new Set(bindings.keys());
    return snapshot.calls.filter((entry) => !bound.has(entry.id));
  }

  function renderDetail(snapshot, unbound) {
    detail.textContent = "";
    detail.appendChild(el("p", "phone-detail-text", snapshot.text));
    unbound.forEach((entry) => {
      const row = el("div", "phone-waiting");
      row.setAttribute("data-phone-call", entry.id);
      row.appendChild(el("span", null, entry.status === "ringing" ? "A call is ringing in your browser."
        : "On a call in your browser."));
      if (entry.status === "ringing") {
        row.appendChild(button("Answer", "button-small button-primary", "phone-answer"));
        row.appendChild(button("Decline", "button-small button-ghost", "phone-decline"));
      } else if (entry.status === "open") {
        const mute = button(entry.muted ? "Unmute" : "Mute", "button-small button-ghost", "phone-mute");
        mute.setAttribute("aria-pressed", entry.muted ? "true" : "false");
        row.appendChild(mute);
        row.appendChild(button("Hang up", "button-small button-danger", "phone-hangup"));
      }
      detail.appendChild(row);
    });
  }

  function render(snapshot) {
    latest = snapshot;
    try {
      widget.setAttribute("data-state", snapshot.state);
      if (snapshot.state === "offline") widget.setAttribute("data-reason", snapshot.detail);
      else widget.removeAttribute("data-reason");
      if (text.textContent !== snapshot.text) text.textContent = snapshot.text;
      short.textContent = phoneShort(snapshot.state);
      if (mark) mark.textContent = phoneMark(snapshot.state, snapshot.detail);
      toggle.title = snapshot.text;
      bind(snapshot);
      const unbound = waiting(snapshot);
      renderDetail(snapshot, unbound);
      // A call with no card opens the panel (its Answer is there); once it has one, the panel
      // it opened closes again.
      if (unbound.some((entry) => entry.status === "ringing")) { if (detail.hidden) { setOpen(true); openedForCall = true; } }
      else if (openedForCall) { openedForCall = false; setOpen(false); }
    } catch (error) {
      log("phone: status not shown", error);
    }
  }

  function setOpen(open) {
    detail.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  toggle.addEventListener("click", () => { openedForCall = false; setOpen(detail.hidden); });
  widget.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !detail.hidden) { setOpen(false); toggle.focus(); event.stopPropagation(); }
  });
  // The panel's own buttons, for a call with no card.
  detail.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    const row = target && target.closest("[data-phone-call]");
    if (!row) return;
    act(target.getAttribute("data-action"), row.getAttribute("data-phone-call"), null);
  });

  // A pop arriving after its browser call: the call moves onto its card.
  let rebinding = false;
  desk.onChange(() => {
    if (rebinding || !latest || !latest.calls.length) return;
    rebinding = true;
    setTimeout(() => { rebinding = false; render(controller.snapshot()); }, 0);
  });

  function act(action, id, card) {
    try {
      if (action === "phone-answer") {
        if (!controller.answer(id)) return;
        // Hold the call the way "I'm taking this" does: every desktop hears it is mine.
        if (card && work && card.querySelector('[data-action="claim"]')) work.run("claim", card);
      } else if (action === "phone-decline") controller.decline(id);
      else if (action === "phone-mute") controller.toggleMute(id);
      else if (action === "phone-hangup") controller.hangUp(id);
    } catch (error) {
      log("phone: " + action + " failed", error);
    }
  }

  /** The card buttons (data-action), run by work.js's one listener and by keys.js. */
  function cardAction(action) {
    return (card) => {
      const call = desk.calls.get(card.getAttribute("data-call-sid"));
      if (call && call.phone) act(action, call.phone.id, card);
    };
  }
  const actions = {};
  ["phone-answer", "phone-decline", "phone-mute", "phone-hangup"].forEach((name) => { actions[name] = cardAction(name); });

  /** `a` with no card ringing in the browser: answer the call whose card has not come yet. */
  function answerWaiting() {
    const entry = latest && waiting(latest).find((call) => call.status === "ringing");
    if (!entry) return false;
    act("phone-answer", entry.id, null);
    return true;
  }

  window.addEventListener("pagehide", () => controller.stop("logged-out"));

  render(controller.snapshot());
  return {
    actions,
    attach(created) { work = created; },
    setAvailable: (available) => controller.setAvailable(available),
    stop: (reason) => controller.stop(reason),
    answerWaiting,
  };
}

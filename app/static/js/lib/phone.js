/* KnownCaller desktop: the browser phone (SPEC §13) as people read it, and which card a call
 * ringing in the browser belongs to. Pure: no DOM, no SDK, so `node --test` covers it
 * (tests/js/phone.test.mjs). The controller is lib/phone_device.js, the page glue
 * pages/desktop/phone.js.
 *
 * States (`data-state` on #phone):
 *   checking    the token is being asked for (page load)
 *   not-set-up  GET /api/v1/voice/token answered 503 (its message names the missing setting), or
 *               404 (this server has no browser phone)
 *   by-phone    409: calls reach this user on a phone or SIP address; no softphone is needed
 *   connecting  a token came, the microphone was allowed, the Device is registering
 *   registered  Twilio will ring this browser
 *   offline     anything else, always with a reason (`data-reason`): away, the microphone
 *               refused, Twilio can't be reached, the SDK did not load, the token refused…
 */

export const STATES = ["checking", "not-set-up", "by-phone", "connecting", "registered", "offline"];

/** Why the phone is offline: a short code (data-reason) and the words shown after "Phone offline: ". */
export const REASONS = {
  away: "you are away. It registers when you are available.",
  microphone: "the microphone is blocked. Allow the microphone for this site in the browser's site " +
    "settings (the icon left of the address), then choose Available again.",
  "no-microphone": "no microphone was found. Plug in a headset, then choose Available again.",
  "microphone-failed": "the microphone could not be opened (is another program using it?).",
  unreachable: "Twilio can't be reached (network or firewall). It keeps trying.",
  blocked: "this page's security policy blocks the connection to Twilio (connect-src).",
  token: "Twilio refused the phone's access token (check TWILIO_API_KEY and TWILIO_API_SECRET).",
  expired: "the phone's access token expired and could not be renewed.",
  server: "the server could not be reached for a phone token. It tries again shortly.",
  sdk: "the phone software did not load (run npm ci on the server).",
  unsupported: "this browser cannot run the phone (no WebRTC).",
  insecure: "the browser opens the microphone only on an https:// address (or localhost).",
  "logged-out": "your login has ended.",
  error: "the phone stopped working.",
};

/** The words for a state (and an offline reason, or a server message for not-set-up). */
export function phoneText(state, detail) {
  switch (state) {
    case "checking": return "Phone: checking…";
    case "not-set-up": return "Phone not set up" + (detail ? ": " + detail : "");
    case "by-phone": return "Reached by phone: calls ring your phone, no browser phone needed";
    case "connecting": return "Phone connecting…";
    case "registered": return "Phone registered";
    case "offline": return "Phone offline: " + (REASONS[detail] || detail || REASONS.error);
    default: return "Phone";
  }
}

/** A short label for a narrow top bar (the full text stays the accessible name). */
export function phoneShort(state) {
  return {
    checking: "Phone…", "not-set-up": "Phone not set up", "by-phone": "By phone", connecting: "Phone…",
    registered: "Phone ready", offline: "Phone offline",
  }[state] || "Phone";
}

/** The top bar's mark at narrow widths: ☎ and a sign of the state, so colour is not the only cue. */
export function phoneMark(state, detail) {
  if (state === "registered") return "☎✓";
  if (state === "checking" || state === "connecting") return "☎…";
  if (state === "by-phone" || (state === "offline" && detail === "away")) return "☎–";
  return "☎!";
}

/**
 * What the token route's refusal means for the phone: {state, detail}. `error` is an ApiError
 * (lib/api.js: status, message). 503 → not set up, naming what is missing (the server's
 * message); 404 → not set up (no such route on this server); 409 → reached by phone; a 401/403 →
 * the login ended; anything else (network, 5xx) → offline, the server unreachable.
 */
export function tokenRefusal(error) {
  const status = error && typeof error.status === "number" ? error.status : 0;
  const message = error && error.message ? String(error.message) : "";
  // The server says "The browser phone is not set up: TWILIO_API_KEY is not set"; the status
  // already says the first half.
  if (status === 503) {
    return { state: "not-set-up", detail: message.replace(/^the browser phone is not set up:\s*/i, "") || "the voice settings are missing" };
  }
  if (status === 404) return { state: "not-set-up", detail: "this server has no browser phone" };
  if (status === 409) return { state: "by-phone", detail: message };
  if (status === 401 || status === 403) return { state: "offline", detail: "logged-out" };
  return { state: "offline", detail: "server" };
}

/** Why getUserMedia refused (a DOMException's name) as an offline reason code. */
export function microphoneRefusal(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") return "microphone";
  if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") return "no-microphone";
  if (name === "NotSupportedError" || name === "TypeError") return "unsupported";
  if (name === "InsecureContextError") return "insecure";
  return "microphone-failed";
}

// Twilio Voice SDK error codes (TwilioError.code), grouped by what the agent can do about them.
const UNREACHABLE = new Set([31000, 31003, 31005, 31009, 53000, 53001, 53405]);
const TOKEN = new Set([20101, 20102, 20103, 20105, 20106, 20151, 20157, 31202, 31204, 31207]);
const EXPIRED = new Set([20104, 31205]);
const MICROPHONE = new Set([31208, 31401]);

/** A Device or Call error (TwilioError: code, message) as an offline reason code, or its own words. */
export function deviceReason(error) {
  const code = error && Number(error.code);
  if (UNREACHABLE.has(code)) return "unreachable";
  if (TOKEN.has(code)) return "token";
  if (EXPIRED.has(code)) return "expired";
  if (MICROPHONE.has(code)) return "microphone";
  if (code === 31402) return "microphone-failed";
  if (code === 31201) return "no-microphone";
  const text = error && (error.description || error.message);
  return text ? String(text) + (code ? " (" + code + ")" : "") : "error";
}

// ---------------------------------------------------------------- which card rings

/** The keys a ringing browser call may carry the parent call's CallSid under: custom parameters
 *  (`<Client><Parameter name="call_sid" …/>`) first, then Twilio's own. */
export const PARENT_KEYS = ["call_sid", "parent_call_sid", "ParentCallSid", "parentCallSid", "CallSid"];
const OWN_PARAMETER_KEYS = ["ParentCallSid", "parent_call_sid"];

function read(bag, key) {
  if (!bag) return undefined;
  if (typeof bag.get === "function") return bag.get(key);  // the SDK gives customParameters as a Map
  return bag[key];
}

const CALL_SID = /^CA[0-9a-fA-F]{32}$|^CA[\w-]+$/;

/**
 * The parent CallSid (the one the pop and the card carry) a ringing SDK Call names, or null.
 * `call.parameters.CallSid` is the child leg, the browser's own, so it is never taken from there.
 */
export function parentCallSid(call) {
  if (!call) return null;
  for (const key of PARENT_KEYS) {
    const value = read(call.customParameters, key);
    if (typeof value === "string" && CALL_SID.test(value)) return value;
  }
  for (const key of OWN_PARAMETER_KEYS) {
    const value = read(call.parameters, key);
    if (typeof value === "string" && CALL_SID.test(value)) return value;
  }
  return null;
}

/**
 * The card a call ringing in this browser belongs to. `cards` are the live calls as
 * {call_sid, ringing, outbound, since, seen, agentId, offeredTo: [ids] | null, phoneBusy}; `me` is {id}
 * (`since`: when the call came in; `seen`: when this desk first had it).
 *
 * The rule: when the SDK call names its parent CallSid (parentCallSid), the card with that
 * call_sid, and none other (null until its pop arrives). Otherwise the most recent (latest `since`, then `seen`) ringing inbound card that was
 * offered to me (its routing lists me, or lists nobody), that nobody else holds and that no other
 * browser call rings on already. Null when none fits yet (the pop may arrive after the call).
 */
export function cardForIncoming(parentSid, cards, me) {
  const list = cards || [];
  if (parentSid) {
    const named = list.find((card) => card.call_sid === parentSid);
    return named ? named.call_sid : null;
  }
  const myId = me && me.id;
  const fits = list.filter((card) => card.ringing && !card.outbound && !card.phoneBusy &&
    (!card.agentId || card.agentId === myId) &&
    (!card.offeredTo || !card.offeredTo.length || card.offeredTo.includes(myId)));
  if (!fits.length) return null;
  // Newest by when the call came in; calls of the same second by when this desk first saw them.
  const newer = (a, b) => (a.since || 0) - (b.since || 0) || (a.seen || 0) - (b.seen || 0);
  return fits.reduce((best, card) => (newer(card, best) > 0 ? card : best)).call_sid;
}

/* KnownCaller: the care list as people read it (SPEC §12, the proactive-care worklist) — why each
 * customer is on it, who has it, whether I may take it, whether "Call back" can work, and what a
 * refused callback means. Pure: no DOM, so `node --test` covers it (tests/js/care_list.test.mjs).
 */

/** Most urgent first, as the server orders them too (the filter lists reasons in this order). */
export const CARE_REASONS = [
  "detractor", "overdue_promise", "overdue_follow_up", "overdue_complaint", "callback_requested", "voicemail",
  "not_contacted",
];

const REASON_LABELS = {
  detractor: "Low survey score",
  overdue_promise: "Promise overdue",
  overdue_follow_up: "Follow-up overdue",
  overdue_complaint: "Complaint overdue",
  callback_requested: "Callback requested",
  voicemail: "Voicemail",
  not_contacted: "Not contacted lately",
};

/** "Low survey score", "Voicemail", …: why a customer is on the list. */
export function careReasonLabel(reason) {
  if (!reason) return "";
  return REASON_LABELS[reason] || reason.charAt(0).toUpperCase() + reason.slice(1).replace(/_/g, " ");
}

/** How many items the list holds in all, by its `counts` (every item, not only those sent): of
 *  `reason` when one is chosen, else of every reason. */
export function careTotal(counts, reason = "") {
  const given = counts || {};
  if (reason) return Number(given[reason]) || 0;
  return Object.values(given).reduce((sum, n) => sum + (Number(n) || 0), 0);
}

/** The reason filter's options, [value, label], with how many of each there are: the known
 *  reasons in urgency order, then any the server adds; "" is every reason. */
export function reasonOptions(counts) {
  const given = counts || {};
  const all = careTotal(given);
  const reasons = CARE_REASONS.concat(Object.keys(given).filter((r) => !CARE_REASONS.includes(r)));
  return [["", "All reasons (" + all + ")"]].concat(
    reasons.map((r) => [r, careReasonLabel(r) + " (" + (Number(given[r]) || 0) + ")"]));
}

/** Who has it: "You", their name, or "Nobody yet". `me`: {id}. */
export function ownerText(item, me) {
  if (!item || !item.owner) return "Nobody yet";
  return me && item.owner.id === me.id ? "You" : item.owner.name;
}

/** Whether `me` ({id, role}) may take it for themselves: nobody has it yet. */
export function canTake(item, me) {
  return !!(item && !item.owner && me && me.id);
}

/** Whether `me` may give it to anyone (supervisors and admins). */
export function canAssign(me) {
  return !!(me && (me.role === "supervisor" || me.role === "admin"));
}

/**
 * Whether "Call back" can work for `item`, {enabled, reason}: not when calling back is not set up
 * (the server's `callbacks` says why), and not when there is nobody to call (no customer and no
 * follow-up: the server finds the number through one of them).
 */
export function callbackState(item, callbacks) {
  if (callbacks && callbacks.available === false) {
    return { enabled: false, reason: callbacks.reason || "Calling back is not set up." };
  }
  if (!item || (!item.customer && !item.follow_up_id)) {
    return { enabled: false, reason: "No customer or follow-up to call back." };
  }
  return { enabled: true, reason: "" };
}

/** The body of POST /api/v1/callbacks for `item`. */
export function callbackBody(item) {
  const body = {};
  if (item.customer) body.customer_id = item.customer.id;
  if (item.follow_up_id) body.follow_up_id = item.follow_up_id;
  return body;
}

function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

/** What a refused callback means, as the person who clicked reads it. `error`: an ApiError. */
export function callbackError(error) {
  const message = error && error.message ? error.message : "";
  switch (error && error.status) {
    case 409: return message || "You are on a call: finish it before calling back.";
    case 502: return /^the provider refused/i.test(message) ? capital(message)
      : "The provider refused the call: " + (message || "no reason given.");
    case 503: return message || "Calling back is not set up.";
    case 0: return "The server could not be reached: nothing was dialled.";
    default: return "Could not call back: " + (message || "the server answered " + (error && error.status) + ".");
  }
}

/** Who is being called: the customer's name, else "the caller" (a voicemail from an unknown number). */
export function calleeName(item) {
  return item && item.customer && item.customer.name ? item.customer.name : "the caller";
}

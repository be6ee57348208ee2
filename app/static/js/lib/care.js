/* KnownCaller: the service loop as people read it (SPEC §10) — a customer's stage, the flags on a
 * pop, promises, follow-ups and surveys: their labels, their order and how urgent they look. Pure:
 * no DOM, so `node --test` covers it (tests/js/care.test.mjs). The words live here, not on the
 * server: they are wording, not data (docs/frontend.md, "Constants come from the server").
 */

const STAGE_LABELS = {
  at_risk: "At risk", advocate: "Advocate", loyal: "Loyal", new: "New", customer: "Customer",
};

/** "At risk", "Advocate", …: a customer's stage as people read it ("" for none). */
export function stageLabel(stage) {
  if (!stage) return "";
  return STAGE_LABELS[stage] || stage.charAt(0).toUpperCase() + stage.slice(1).replace(/_/g, " ");
}

const REASON_LABELS = {
  detractor: "Low survey score",
  voicemail: "Voicemail",
  callback_requested: "Callback requested",
  complaint_reopened: "Complaint reopened",
  manual: "Follow-up",  // opened by hand: its note says what it is about
};

/** Why a follow-up is owed: "Low survey score", "Voicemail", … */
export function followUpReasonLabel(reason) {
  if (!reason) return "Follow-up";
  return REASON_LABELS[reason] || reason.charAt(0).toUpperCase() + reason.slice(1).replace(/_/g, " ");
}

const SURVEY_STATUS_LABELS = {
  pending: "Waiting to be sent",
  sent: "Sent, no answer yet",
  answered: "Answered",
  expired: "Expired unanswered",
  failed: "Could not be sent",
};

export function surveyStatusLabel(status) {
  return SURVEY_STATUS_LABELS[status] || (status ? status.charAt(0).toUpperCase() + status.slice(1) : "");
}

const CHANNEL_LABELS = { ivr: "by phone", sms: "by SMS" };

/** "by phone", "by SMS": how a survey was asked. */
export function surveyChannelLabel(channel) {
  return CHANNEL_LABELS[channel] || (channel ? "by " + channel : "");
}

/** A 0–10 score's kind (NPS): "detractor" 0–6, "passive" 7–8, "promoter" 9–10; "" for none. */
export function scoreKind(score) {
  if (score === null || score === undefined || score === "" || isNaN(Number(score))) return "";
  const n = Number(score);
  if (n <= 6) return "detractor";
  return n <= 8 ? "passive" : "promoter";
}

const PROMISE_STATUS_LABELS = { open: "Open", kept: "Kept", broken: "Broken" };

export function promiseStatusLabel(status) {
  return PROMISE_STATUS_LABELS[status] || (status ? status.charAt(0).toUpperCase() + status.slice(1) : "");
}

const FLAG_LEVELS = ["alert", "warn", "info"];

/** A flag's level as the card draws it: "alert" (red), "warn" or "info"; anything else is "info". */
export function flagLevel(flag) {
  return flag && FLAG_LEVELS.includes(flag.level) ? flag.level : "info";
}

/** The word an urgent flag says first, so its urgency is read and not only seen in red. */
export function flagLead(flag) {
  return flagLevel(flag) === "alert" ? "Urgent" : "";
}

/** The server's flags as the card shows them: in the server's own order (most urgent first),
 *  keeping only those with something to say. */
export function shownFlags(flags) {
  return (flags || []).filter((flag) => flag && typeof flag.text === "string" && flag.text.trim());
}

function dueTime(item) {
  const t = item && item.due_at ? Date.parse(item.due_at) : NaN;
  return isNaN(t) ? Infinity : t;
}

/** Soonest due first (no due date last); equal ones keep their order. A new array. */
export function soonestDue(items) {
  return (items || []).map((item, i) => [item, i])
    .sort((a, b) => (dueTime(a[0]) - dueTime(b[0])) || (a[1] - b[1]))
    .map(([item]) => item);
}

/** Whether an open promise or follow-up is overdue: the server says so; lacking that, its due date. */
export function isOverdue(item, now = Date.now()) {
  if (!item) return false;
  if (typeof item.overdue === "boolean") return item.overdue;
  const status = item.status || "open";
  return status === "open" && dueTime(item) < now;
}

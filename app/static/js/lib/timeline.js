/* KnownCaller: how a customer's timeline reads (GET /api/v1/customers/<id>/timeline): each item,
 * whatever its kind (call, note, complaint, preference, survey, follow_up, promise), as a title and
 * a line of detail. Pure: no DOM, so `node --test` covers it (tests/js/timeline.test.mjs).
 */
import {
  followUpReasonLabel, promiseStatusLabel, surveyChannelLabel, surveyStatusLabel,
} from "./care.js";
import { dueText, duration, shortDate } from "./format.js";

function person(p) { return p && p.name ? p.name : null; }

/** What one timeline item says: {title, detail} (detail "" when there is nothing more). */
export function describe(item) {
  switch (item.kind) {
    case "call":
      return {
        title: "Call" + (item.status ? " · " + item.status : "") +
          (item.duration !== null && item.duration !== undefined ? " · " + duration(item.duration) : ""),
        detail: [person(item.agent) ? "taken by " + person(item.agent) : "not taken",
          item.disposition ? "disposition: " + item.disposition : null].filter(Boolean).join(" · "),
      };
    case "note":
      return { title: "Note" + (person(item.agent) ? " by " + person(item.agent) : ""), detail: item.text };
    case "complaint":
      return {
        title: "Complaint " + (item.event || "opened") + ": " + item.subject,
        detail: [item.severity, item.event === "resolved" && item.resolution ? "resolution: " + item.resolution : null]
          .filter(Boolean).join(" · "),
      };
    case "survey": {
      const answered = item.score !== null && item.score !== undefined;
      return {
        title: (answered ? "Survey: scored " + item.score + "/10" : "Survey " + surveyStatusLabel(item.status).toLowerCase()) +
          (item.channel ? " " + surveyChannelLabel(item.channel) : ""),
        detail: [item.comment ? "“" + item.comment + "”" : null,
          person(item.agent) ? "call taken by " + person(item.agent) : null].filter(Boolean).join(" · "),
      };
    }
    case "follow_up":
      return {
        title: (item.reason && item.reason !== "manual" ? "Follow-up: " + followUpReasonLabel(item.reason) : "Follow-up") +
          (item.status === "done" ? " · done" : " · open"),
        detail: [item.note, person(item.owner) ? "owner " + person(item.owner) : null,
          item.status !== "done" && item.due_at ? dueText(item.due_at) : null,
          item.outcome ? "outcome: " + item.outcome : null].filter(Boolean).join(" · "),
      };
    case "promise":
      return {
        title: "Promise: " + item.text + " · " + promiseStatusLabel(item.status || "open").toLowerCase(),
        detail: [item.due_at ? "by " + shortDate(item.due_at) : null,
          person(item.made_by) ? "made by " + person(item.made_by) : null].filter(Boolean).join(" · "),
      };
    case "preference":
      return {
        title: "Preference recorded: " + item.key,
        detail: item.value + (person(item.recorded_by) ? " (by " + person(item.recorded_by) + ")" : ""),
      };
    default:
      return { title: item.kind, detail: "" };
  }
}

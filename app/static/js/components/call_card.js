/* KnownCaller desktop: builds one pop card from a call's state.
 *
 * Customer text (names, preferences, complaint subjects, raw numbers) only ever reaches the page
 * through textContent and attributes set one by one, never through innerHTML, so a customer named
 * "<img onerror=…>" is shown as those characters and nothing runs.
 *
 * A card is made of parts (data-part): flags (what to know before saying hello, when there is
 * any), head, claim, phone (the call ringing in or connected to this browser: Answer, Decline,
 * Mute, Hang up; desktop/phone.js sets `call.phone`), routing (why the call came here, when there
 * is a reason to say), message, body, wrapup, foot. The desktop
 * replaces the parts that depend on the call's state on every update, the body only when the pop
 * itself changed (and then the forms open in it move to the new body, typing, focus and cursor
 * included), and never the message and wrap-up parts, so whatever an agent is typing survives a
 * call_update or a fresh pop arriving. Buttons only carry data-action names;
 * pages/desktop/work.js does the work.
 */
import { callerNumber, hiddenNumber, isEnded, isRinging, overdueCount, ringingState, titleFor } from "../lib/calls.js";
import { button, el, link } from "../lib/dom.js";
import { flagLead, flagLevel, scoreKind, shownFlags, stageLabel } from "../lib/care.js";
import { duration, shortDate, timeOfDay, tierLabel } from "../lib/format.js";
import { isOutbound, outboundPill, outboundTitle } from "../lib/outbound.js";
import { routingLine } from "../lib/routing.js";
import { openComplaintsBlock } from "./complaints.js";
import { followUpsBlock } from "./follow_ups.js";
import { carryForms } from "./inline_form.js";
import { preferencesBlock } from "./preferences.js";
import { promisesBlock } from "./promises.js";

const ENDED_LABELS = {
  completed: "Ended", busy: "Busy", "no-answer": "Missed", canceled: "Caller hung up",
  failed: "Failed", ended: "Ended",
};

function badge(text, kind) { return el("span", "badge badge-" + kind, text); }

function part(tag, className, name) {
  const node = el(tag, className);
  node.setAttribute("data-part", name);
  return node;
}

function header(call, me) {
  const pop = call.pop;
  const head = part("header", "card-head", "head");
  const who = el("div", "who");
  const titleRow = el("div", "title-row");
  titleRow.appendChild(el("h3", "caller-name", titleFor(pop)));
  if (isOutbound(pop)) {
    // We placed this call (a callback from the care list): nobody is ringing us.
    const direction = badge("Outbound · callback", "direction");
    direction.setAttribute("data-role", "direction");
    titleRow.appendChild(direction);
  }
  if (pop.match === "single" && pop.customer && pop.customer.tier) {
    const tier = pop.customer.tier;
    titleRow.appendChild(badge(tierLabel(tier), "tier badge-tier-" + tier));
  }
  if (pop.match === "single" && pop.customer && pop.customer.stage) {
    const stage = badge(stageLabel(pop.customer.stage), "stage badge-stage-" + pop.customer.stage);
    stage.setAttribute("data-role", "stage");
    titleRow.appendChild(stage);
  }
  const survey = pop.match === "single" && pop.customer ? pop.customer.last_survey : null;
  if (survey && survey.score !== null && survey.score !== undefined) {
    const scored = badge("Survey " + survey.score + "/10", "survey badge-score-" + scoreKind(survey.score));
    scored.setAttribute("data-role", "last-survey");
    if (survey.at) scored.title = "Last survey, " + shortDate(survey.at);
    titleRow.appendChild(scored);
  }
  const overdue = overdueCount(pop);
  if (overdue) titleRow.appendChild(badge(overdue + " overdue", "overdue"));
  who.appendChild(titleRow);
  if (pop.match !== "withheld") {
    const line = el("div", "caller-number");
    line.appendChild(el("span", "number", callerNumber(pop) || "No number"));
    who.appendChild(line);
  } else {
    who.appendChild(el("div", "caller-number muted", "No caller ID"));
  }
  head.appendChild(who);
  head.appendChild(stateBlock(call, me));
  return head;
}

function stateBlock(call, me) {
  const block = el("div", "call-state");
  const status = call.status;
  let pill;
  const callback = isOutbound(call.pop) ? outboundPill(status) : null;
  if (callback) {
    pill = el("span", "pill pill-" + callback.kind, callback.text);
  } else if (isRinging(status)) {
    const state = ringingState(call, me && me.id);
    pill = el("span", "pill pill-" + state.kind, state.text);
  } else if (status === "in-progress") {
    pill = el("span", "pill pill-answered", call.agent ? "Answered by " + call.agent.name : "Answered");
  } else {
    pill = el("span", "pill pill-ended pill-" + status, ENDED_LABELS[status] || status);
  }
  pill.setAttribute("data-role", "status");
  block.appendChild(pill);

  const timing = el("div", "timing");
  if (isEnded(status)) {
    if (call.duration !== null && call.duration !== undefined) {
      timing.appendChild(el("span", "duration", "Duration " + duration(call.duration)));
    }
  } else if (!(isRinging(status) && call.unsettled)) {
    // A ghost gets no running timer: "Ringing 35:04" would say someone is still waiting.
    const elapsed = el("span", "elapsed");
    elapsed.setAttribute("data-since", String(call.since));
    elapsed.textContent = duration((Date.now() - call.since) / 1000);
    timing.appendChild(elapsed);
  }
  const at = timeOfDay(call.pop.received_at);
  if (at) timing.appendChild(el("span", "received-at", at));
  block.appendChild(timing);
  if (isEnded(status) && call.agent) block.appendChild(el("div", "handled-by", "Taken by " + call.agent.name));
  return block;
}

function keyHint(key) {
  const hint = el("span", "key-hint", "or press ");
  hint.setAttribute("data-key-hint", key);
  hint.appendChild(el("kbd", null, key));
  return hint;
}

const OVERSEERS = ["supervisor", "admin"];

/**
 * What the agent must know before saying hello (SPEC §10 flags): one line each, in the server's
 * order (most urgent first), at the very top of the card. An urgent one says so in words, not
 * only in red. Null when there is nothing to say.
 */
function flagsPart(pop) {
  const flags = pop.match === "single" && pop.customer ? shownFlags(pop.customer.flags) : [];
  if (!flags.length) return null;
  const list = part("ul", "card-flags", "flags");
  list.setAttribute("aria-label", "Before you answer");
  flags.forEach((flag) => {
    const level = flagLevel(flag);
    const line = el("li", "flag flag-" + level);
    line.setAttribute("data-flag", flag.kind || "");
    line.setAttribute("data-level", level);
    const lead = flagLead(flag);
    if (lead) line.appendChild(el("strong", "flag-lead", lead));
    line.appendChild(el("span", "flag-text", flag.text));
    list.appendChild(line);
  });
  return list;
}

/** Who has the call (and the button to give it back), or the button to take it. */
function claimBar(call, me) {
  const bar = part("div", "card-claim", "claim");
  if (isRinging(call.status) && call.unsettled) bar.appendChild(ghostNotice(call, me));
  if (call.agent) {
    const mine = me && call.agent.id === me.id;
    const outbound = isOutbound(call.pop);
    const who = el("span", "claimed-by" + (mine ? " claimed-by-me" : ""), outbound
      ? (mine ? "Your callback" : "Callback by " + call.agent.name)
      : (mine ? "You took this" : "Taken by " + call.agent.name));
    who.setAttribute("data-role", "claimed-by");
    bar.appendChild(who);
    // A callback is the caller-back's own call: there is nobody to give it back to.
    if (!outbound && !isEnded(call.status) && (mine || (me && OVERSEERS.includes(me.role)))) {
      const back = button("Give back", "button-small button-ghost button-release", "release");
      back.setAttribute("aria-keyshortcuts", "g");
      back.title = mine ? "Let a colleague take this call (shortcut: g)" : "Take this call from " + call.agent.name + " (shortcut: g)";
      bar.appendChild(back);
      bar.appendChild(keyHint("g"));
    }
  } else if (!isEnded(call.status)) {
    const take = button("I'm taking this", "button-primary button-claim", "claim");
    take.setAttribute("aria-keyshortcuts", "c");
    bar.appendChild(take);
    bar.appendChild(keyHint("c"));
  } else {
    bar.hidden = true;
  }
  return bar;
}

/** The browser phone on this call (`call.phone`: {id, status: "ringing" | "answering" | "open",
 *  muted}, set by desktop/phone.js): Answer (key a) and Decline while it rings, Mute and Hang up
 *  once connected. Null when the call is not in this browser. */
function phonePart(call) {
  const phone = call.phone;
  if (!phone) return null;
  const bar = part("div", "card-phone card-phone-" + phone.status, "phone");
  bar.setAttribute("data-role", "phone");
  bar.setAttribute("data-phone-status", phone.status);
  if (phone.status === "ringing") {
    bar.appendChild(el("span", "phone-line", "Ringing in your browser"));
    const answer = button("Answer", "button-primary button-answer", "phone-answer");
    answer.setAttribute("aria-keyshortcuts", "a");
    bar.appendChild(answer);
    bar.appendChild(keyHint("a"));
    bar.appendChild(button("Decline", "button-small button-ghost", "phone-decline"));
  } else if (phone.status === "answering") {
    bar.appendChild(el("span", "phone-line", "Connecting the call…"));
  } else {
    bar.appendChild(el("span", "phone-line", phone.muted ? "On the line in your browser · muted" : "On the line in your browser"));
    const mute = button("Mute", "button-small button-ghost", "phone-mute");
    mute.setAttribute("aria-pressed", phone.muted ? "true" : "false");
    bar.appendChild(mute);
    bar.appendChild(button("Hang up", "button-small button-danger", "phone-hangup"));
  }
  return bar;
}

/** Why the call came here (SPEC §11): "You helped Alice Wong on 28 Nov" for the agent who knows
 *  the caller, "Routed to Ann Lee, who …" for anyone else, or that the caller is waiting in the
 *  queue. Null when the routing has nothing to say (the floor). */
function routingPart(call, me) {
  const line = routingLine(call.pop, me, { ringing: isRinging(call.status) });
  if (!line) return null;
  const node = part("p", "card-routing card-routing-" + line.kind, "routing");
  node.setAttribute("data-role", "routing");
  node.setAttribute("data-reason", call.pop.routing.reason);
  node.textContent = line.text;
  return node;
}

/** A call with no news that the provider could not settle (SPEC §3): say so; a supervisor or an
 *  admin may close it. */
function ghostNotice(call, me) {
  const notice = el("div", "ghost-notice");
  notice.setAttribute("data-role", "ghost");
  notice.appendChild(el("span", "hint", "The provider cannot say what became of this call." +
    (me && OVERSEERS.includes(me.role) ? "" : " A supervisor can close it.")));
  if (me && OVERSEERS.includes(me.role)) notice.appendChild(button("Close this call", "button-small button-danger", "close-call"));
  return notice;
}

function sectionHead(title, actionLabel, action, key) {
  const head = el("div", "section-row");
  head.appendChild(el("h4", null, title));
  if (action) {
    const b = button(actionLabel, "button-small button-ghost", action);
    b.setAttribute("aria-keyshortcuts", key);
    b.title = "Shortcut: " + key;
    head.appendChild(b);
  }
  return head;
}

function complaintsSection(customer, live) {
  const section = el("section", "complaints");
  const complaints = customer.open_complaints || [];
  section.appendChild(sectionHead(complaints.length ? "Open complaints (" + complaints.length + ")" : "Open complaints",
    "New complaint", live ? "complaint-new" : null, "o"));
  section.appendChild(openComplaintsBlock(complaints, { editable: live }));
  return section;
}

function preferencesSection(customer, live) {
  const section = el("section", "preferences");
  section.appendChild(sectionHead("Preferences", "Remember this", live ? "remember" : null, "r"));
  section.appendChild(preferencesBlock(customer.preferences || [], { editable: live }));
  return section;
}

/** Open promises first on the card: what we said we would do, with Kept and Broken; and, on a
 *  live call, the "Promise" form (text and date) to record a new one. */
function promisesSection(customer, live) {
  const promises = customer.promises || [];
  if (!promises.length && !live) return null;
  const section = el("section", "promises");
  section.appendChild(sectionHead(promises.length ? "Promises (" + promises.length + ")" : "Promises",
    "Promise", live ? "promise-new" : null, "p"));
  section.appendChild(promisesBlock(promises, { editable: live }));
  return section;
}

/** Follow-ups still owed this customer (a low score, a voicemail…), each closed with its outcome. */
function followUpsSection(customer, live, me) {
  const followUps = customer.follow_ups || [];
  if (!followUps.length) return null;
  const section = el("section", "follow-ups");
  section.appendChild(sectionHead("Follow-ups owed (" + followUps.length + ")"));
  section.appendChild(followUpsBlock(followUps, { editable: live, me }));
  return section;
}

function body(call, urls, live, me) {
  const pop = call.pop;
  const main = part("div", "card-body", "body");
  if (call.removedCustomer) {
    // Deleted mid-call: say what happened; the call goes on (as an unknown caller's, mostly).
    const name = call.removedCustomer.name;
    const gone = el("p", "customer-removed", (name ? name + "'s record" : "This caller's customer record") +
      " was deleted." + (pop.match === "single" ? ""
        : " Carry on with the caller as unknown: create or find their record below."));
    gone.setAttribute("data-role", "customer-removed");
    gone.setAttribute("role", "status");
    main.appendChild(gone);
  }
  if (pop.lookup === "unavailable") {
    main.appendChild(el("p", "lookup-failed", "Customer lookup is unavailable right now: ask who is calling."));
  }
  if (pop.match === "single" && pop.customer) {
    const promises = promisesSection(pop.customer, live);
    if (promises) main.appendChild(promises);
    const followUps = followUpsSection(pop.customer, live, me);
    if (followUps) main.appendChild(followUps);
    main.appendChild(complaintsSection(pop.customer, live));
    main.appendChild(preferencesSection(pop.customer, live));
  } else if (pop.match === "multiple") {
    const section = el("section", "candidates");
    section.appendChild(el("h4", null, (pop.candidates || []).length + " customers on this number"));
    section.appendChild(el("p", "hint", "Ask who is calling, then choose them."));
    const list = el("ul", "candidate-list");
    (pop.candidates || []).forEach((c) => {
      const item = el("li", "candidate");
      item.setAttribute("data-customer-id", String(c.id));
      item.appendChild(recordLink(urls.customer + encodeURIComponent(c.id), c.name));
      if (live) {
        // The visible label is the accessible name (WCAG 2.5.3): "This is <name>", no aria-label.
        const choose = button("This is " + c.name, "button-small", "pick");
        item.appendChild(choose);
      }
      list.appendChild(item);
    });
    section.appendChild(list);
    main.appendChild(section);
    // Someone else in the household or company, calling for the first time.
    if (live) newCustomerBlock(main, pop, urls, live, "None of them? New customer", "button button-small new-customer");
  } else if (pop.match === "withheld") {
    main.appendChild(el("p", "hint", "The caller hid their number. Ask for their name, phone or account to find them."));
    if (live) main.appendChild(findBlock("Find customer"));
    if (live) newCustomerBlock(main, pop, urls, live, "Not a customer yet? New customer", "button button-small new-customer");
  } else {
    const none = el("div", "unknown");
    // Masked (MASK_NUMBERS): `from` is null but the number is there, shown as from_display.
    none.appendChild(el("p", "hint", pop.from || hiddenNumber(pop) ? "No customer has this number yet."
      : "This caller did not come from a phone number we can read."));
    main.appendChild(none);
    newCustomerBlock(none, pop, urls, live, "New customer", "button button-primary new-customer");
    if (live) main.appendChild(findBlock("Already a customer? Find them"));
  }
  return main;
}

/**
 * "New customer" for this caller: the card's own form (data-action) on a live call, else the full
 * page, which links this call too once the customer exists. The caller's number (when the
 * provider gave one) fills the form; the form opens in the card's customer slot. A number shown
 * masked is not in the link: the form sends the call_sid, and the server adds the number.
 */
function newCustomerBlock(container, pop, urls, live, label, className) {
  const href = urls.newCustomer + "?" + (pop.from ? "phone=" + encodeURIComponent(pop.from) + "&" : "") +
    "call_sid=" + encodeURIComponent(pop.call_sid);
  const action = link(href, label, className);
  if (live) action.setAttribute("data-action", "new-customer");
  if (pop.from) action.setAttribute("data-phone", pop.from);
  container.appendChild(action);
  container.appendChild(el("div", "form-slot form-slot-customer"));
}

/** A link out of a card opens a tab of its own: the desktop, its sockets and anything typed in
 *  its forms stay where they are. */
function recordLink(href, text, className) {
  const a = link(href, text, className);
  a.setAttribute("target", "_blank");
  a.setAttribute("rel", "noopener noreferrer");
  return a;
}

/** Search for the caller among customers and link the call to the one they are. */
function findBlock(label) {
  const block = el("div", "find-customer");
  block.appendChild(button(label, "button-small button-ghost", "find"));
  block.appendChild(el("div", "form-slot form-slot-find"));
  return block;
}

/** Notes and disposition: a button until opened; work.js builds the form inside. */
function wrapUp() {
  const section = part("section", "card-wrapup", "wrapup");
  const open = button("Notes & wrap-up", "button-small button-ghost", "wrapup");
  open.setAttribute("aria-keyshortcuts", "n");
  open.title = "Shortcut: n";
  section.appendChild(open);
  section.appendChild(el("div", "form-slot form-slot-wrapup"));
  return section;
}

function wrapUpSummary(call) {
  if (!call.disposition && !call.notes) return null;
  const summary = el("div", "wrapup-summary");
  summary.setAttribute("data-role", "wrapup-summary");
  if (call.disposition) summary.appendChild(el("span", "badge badge-disposition", call.disposition));
  if (call.notes) summary.appendChild(el("span", "wrapup-notes", call.notes));
  return summary;
}

function footer(call, urls) {
  const pop = call.pop;
  const foot = part("footer", "card-foot", "foot");
  const summary = wrapUpSummary(call);
  if (summary) foot.appendChild(summary);
  if (pop.match === "single" && pop.customer) {
    foot.appendChild(recordLink(urls.customer + encodeURIComponent(pop.customer.id), "Open customer record", "card-link"));
  }
  if (call.recording_url && /^https?:\/\//.test(call.recording_url)) {
    // The caller left a voicemail: someone must call them back (a follow-up is open for it).
    const voicemail = recordLink(call.recording_url, "Listen to voicemail", "card-link voicemail-link");
    voicemail.setAttribute("data-role", "voicemail");
    foot.appendChild(voicemail);
  }
  if (isOutbound(pop)) {
    if (pop.from) foot.appendChild(el("span", "line muted", "From our line " + pop.from));
  } else if (pop.to) foot.appendChild(el("span", "line muted", "Line " + pop.to));
  return foot;
}

/** A fresh card element for `call` ({pop, status, agent, duration, since, notes, disposition}). */
export function renderCard(call, urls, me) {
  const pop = call.pop;
  const live = !isEnded(call.status) || !!call.holding;
  const card = el("article", "card");
  card.classList.add("match-" + pop.match, "status-" + call.status);
  if (isRinging(call.status)) card.classList.add("is-ringing");
  if (isEnded(call.status)) card.classList.add("is-ended");
  if (call.holding) card.classList.add("is-wrapping-up");
  if (call.lingering) card.classList.add("is-wrapped-up");
  if (isRinging(call.status) && call.unsettled) card.classList.add("is-unsettled");
  if (isOutbound(pop)) card.classList.add("is-outbound");
  if (call.agent) card.classList.add("is-claimed");
  if (call.agent && me && call.agent.id === me.id) card.classList.add("is-mine");
  if (pop.customer && pop.customer.tier) card.classList.add("tier-" + pop.customer.tier);
  if (overdueCount(pop)) card.classList.add("has-overdue");
  card.setAttribute("data-call-sid", pop.call_sid);
  card.setAttribute("data-match", pop.match);
  card.setAttribute("data-status", call.status);
  card.setAttribute("data-direction", isOutbound(pop) ? "outbound" : "inbound");
  card.setAttribute("aria-label", isOutbound(pop) ? outboundTitle(pop) : titleFor(pop));
  card.tabIndex = -1;
  const flags = flagsPart(pop);
  if (flags) card.appendChild(flags);
  card.appendChild(header(call, me));
  card.appendChild(claimBar(call, me));
  const phone = phonePart(call);
  if (phone) card.appendChild(phone);
  const routing = routingPart(call, me);
  if (routing) card.appendChild(routing);
  const message = part("p", "card-message", "message");
  message.setAttribute("role", "status");
  message.hidden = true;
  card.appendChild(message);
  card.appendChild(body(call, urls, live, me));
  if (live) card.appendChild(wrapUp());
  card.appendChild(footer(call, urls));
  return card;
}

/** Whether two renders of a part show the same thing (which card's key hints show is set on the
 *  page afterwards, so it does not count). */
function sameContent(old, fresh) {
  if (old.querySelector("form")) return false;  // forms move over through carryForms
  const a = old.cloneNode(true);
  const b = fresh.cloneNode(true);
  [a, b].forEach((node) => node.querySelectorAll("[data-key-hint]").forEach((hint) => hint.removeAttribute("hidden")));
  return a.isEqualNode(b);
}

/**
 * Bring `card` up to date with `fresh` (a new render of the same call) without losing what the
 * agent is doing in it: the message and wrap-up parts stay, the body only changes with the pop,
 * and the forms open in the old body go on in the new one.
 */
export function patchCard(card, fresh, popChanged) {
  card.className = fresh.className;
  ["data-match", "data-status", "data-direction", "aria-label"].forEach((name) => {
    card.setAttribute(name, fresh.getAttribute(name));
  });
  const keep = { message: true, wrapup: true, body: !popChanged };
  const parts = Array.from(fresh.children);
  const names = parts.map((node) => node.getAttribute("data-part"));
  // Parts the fresh render no longer has (the wrap-up of a call that is over) go away.
  Array.from(card.children).forEach((node) => {
    if (!names.includes(node.getAttribute("data-part"))) node.remove();
  });
  let previous = null;
  parts.forEach((node, i) => {
    const old = card.querySelector(':scope > [data-part="' + names[i] + '"]');
    // A part that would come out the same stays as it is: the button under the agent's pointer or
    // keyboard is not swapped for a copy by an update that changed nothing it shows.
    if (old && (keep[names[i]] || sameContent(old, node))) {
      previous = old;
      return;
    }
    if (old && names[i] === "body") {
      const settle = carryForms(old, node);
      old.replaceWith(node);
      settle();
    } else if (old) old.replaceWith(node);
    else if (previous) previous.after(node);
    else card.prepend(node);
    previous = node;
  });
  return card;
}

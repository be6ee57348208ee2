/* KnownCaller desktop: builds one pop card from a call's state.
 *
 * Customer text (names, preferences, complaint subjects, raw numbers) only ever reaches the page
 * through textContent and attributes set one by one, never through innerHTML, so a customer named
 * "<img onerror=…>" is shown as those characters and nothing runs.
 *
 * A card is made of parts (data-part): head, claim, message, body, wrapup, foot. The desktop
 * replaces the parts that depend on the call's state on every update, the body only when the pop
 * itself changed, and never the message and wrap-up parts, so whatever an agent is typing survives
 * a call_update arriving. Buttons only carry data-action names; work.js does the work.
 */
(function () {
  "use strict";

  var el = window.KC.el;
  var button = window.KC.button;

  var RINGING = ["queued", "initiated", "ringing"];
  var ENDED = ["completed", "busy", "no-answer", "canceled", "failed"];
  var STATUS_RANK = {
    queued: 0, initiated: 1, ringing: 2, "in-progress": 3,
    completed: 4, busy: 4, "no-answer": 4, canceled: 4, failed: 4
  };
  var ENDED_LABELS = {
    completed: "Ended", busy: "Busy", "no-answer": "Missed", canceled: "Caller hung up",
    failed: "Failed", ended: "Ended"
  };
  var TIER_LABELS = window.KC.TIER_LABELS;

  function isEnded(status) { return ENDED.indexOf(status) !== -1 || status === "ended"; }
  function isRinging(status) { return RINGING.indexOf(status) !== -1; }
  function rank(status) { return status in STATUS_RANK ? STATUS_RANK[status] : (status === "ended" ? 4 : -1); }

  /** "0:42", "12:05", "1:02:03" */
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function timeOfDay(iso) {
    var date = iso ? new Date(iso) : null;
    if (!date || isNaN(date.getTime())) return "";
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  /** The number an agent reads out: the national format when we could parse it, else as sent. */
  function callerNumber(pop) {
    return pop.from_display || pop.from_raw || "";
  }

  function titleFor(pop) {
    switch (pop.match) {
      case "single": return pop.customer ? pop.customer.name : "Known caller";
      case "multiple": return "Shared number";
      case "withheld": return "Number withheld";
      default: return "Unknown caller";
    }
  }

  function badge(text, kind) { return el("span", "badge badge-" + kind, text); }

  function part(tag, className, name) {
    var node = el(tag, className);
    node.setAttribute("data-part", name);
    return node;
  }

  function header(call) {
    var pop = call.pop;
    var head = part("header", "card-head", "head");
    var who = el("div", "who");
    var titleRow = el("div", "title-row");
    titleRow.appendChild(el("h3", "caller-name", titleFor(pop)));
    if (pop.match === "single" && pop.customer && pop.customer.tier) {
      var tier = pop.customer.tier;
      titleRow.appendChild(badge(TIER_LABELS[tier] || tier, "tier badge-tier-" + tier));
    }
    var overdue = overdueCount(pop);
    if (overdue) titleRow.appendChild(badge(overdue + " overdue", "overdue"));
    who.appendChild(titleRow);
    if (pop.match !== "withheld") {
      var number = callerNumber(pop);
      var line = el("div", "caller-number");
      line.appendChild(el("span", "number", number || "No number"));
      who.appendChild(line);
    } else {
      who.appendChild(el("div", "caller-number muted", "No caller ID"));
    }
    head.appendChild(who);
    head.appendChild(stateBlock(call));
    return head;
  }

  function stateBlock(call) {
    var block = el("div", "call-state");
    var status = call.status;
    var pill;
    if (isRinging(status)) {
      pill = el("span", "pill pill-ringing", "Ringing");
    } else if (status === "in-progress") {
      pill = el("span", "pill pill-answered", call.agent ? "Answered by " + call.agent.name : "Answered");
    } else {
      pill = el("span", "pill pill-ended pill-" + status, ENDED_LABELS[status] || status);
    }
    pill.setAttribute("data-role", "status");
    block.appendChild(pill);

    var timing = el("div", "timing");
    if (isEnded(status)) {
      if (call.duration !== null && call.duration !== undefined) {
        timing.appendChild(el("span", "duration", "Duration " + clock(call.duration)));
      }
    } else {
      var elapsed = el("span", "elapsed");
      elapsed.setAttribute("data-since", String(call.since));
      elapsed.textContent = clock((Date.now() - call.since) / 1000);
      timing.appendChild(elapsed);
    }
    var at = timeOfDay(call.pop.received_at);
    if (at) timing.appendChild(el("span", "received-at", at));
    block.appendChild(timing);
    if (isEnded(status) && call.agent) block.appendChild(el("div", "handled-by", "Taken by " + call.agent.name));
    return block;
  }

  /** Who has the call, or the button to take it. */
  function claimBar(call, me) {
    var bar = part("div", "card-claim", "claim");
    if (call.agent) {
      var mine = me && call.agent.id === me.id;
      var who = el("span", "claimed-by" + (mine ? " claimed-by-me" : ""), mine ? "You took this" : "Taken by " + call.agent.name);
      who.setAttribute("data-role", "claimed-by");
      bar.appendChild(who);
    } else if (!isEnded(call.status)) {
      var take = button("I'm taking this", "button-primary button-claim", "claim");
      take.setAttribute("aria-keyshortcuts", "c");
      bar.appendChild(take);
      var hint = el("span", "key-hint", "or press ");
      hint.appendChild(el("kbd", null, "c"));
      bar.appendChild(hint);
    } else {
      bar.hidden = true;
    }
    return bar;
  }

  function overdueCount(pop) {
    if (!pop.customer) return 0;
    return (pop.customer.open_complaints || []).filter(function (c) { return c.overdue; }).length;
  }

  function sectionHead(title, actionLabel, action, key) {
    var head = el("div", "section-row");
    head.appendChild(el("h4", null, title));
    if (action) {
      var b = button(actionLabel, "button-small button-ghost", action);
      if (key) {
        b.setAttribute("aria-keyshortcuts", key);
        b.title = "Shortcut: " + key;
      }
      head.appendChild(b);
    }
    return head;
  }

  function complaintsSection(customer, live) {
    var section = el("section", "complaints");
    var complaints = customer.open_complaints || [];
    section.appendChild(sectionHead(complaints.length ? "Open complaints (" + complaints.length + ")" : "Open complaints",
      "New complaint", live ? "complaint-new" : null, "o"));
    section.appendChild(el("div", "form-slot form-slot-complaint"));
    if (!complaints.length) {
      section.appendChild(el("p", "muted", "None open."));
      return section;
    }
    var list = el("ul", "complaint-list");
    // Overdue first: those are the ones to apologise for before anything else.
    complaints.slice().sort(function (a, b) { return (b.overdue ? 1 : 0) - (a.overdue ? 1 : 0); })
      .forEach(function (c) {
        var item = el("li", "complaint" + (c.overdue ? " complaint-overdue" : ""));
        item.setAttribute("data-complaint-id", String(c.id));
        var top = el("div", "complaint-top");
        if (c.overdue) top.appendChild(badge("Overdue", "overdue"));
        top.appendChild(el("span", "complaint-subject", c.subject));
        item.appendChild(top);
        var meta = el("div", "complaint-meta");
        if (c.severity) meta.appendChild(el("span", "severity severity-" + c.severity, c.severity));
        if (c.status && c.status !== "open") meta.appendChild(el("span", "complaint-status", c.status));
        var due = window.KC.dueText(c.due_at);
        if (due) meta.appendChild(el("span", "due", due));
        if (live) {
          var tools = el("span", "row-tools");
          tools.appendChild(button("Update", "button-small button-ghost", "complaint-edit"));
          var resolve = button("Resolve", "button-small button-ghost", "complaint-resolve");
          resolve.setAttribute("aria-keyshortcuts", "x");
          tools.appendChild(resolve);
          meta.appendChild(tools);
        }
        item.appendChild(meta);
        list.appendChild(item);
      });
    section.appendChild(list);
    return section;
  }

  function preferencesSection(customer, live) {
    var section = el("section", "preferences");
    var prefs = customer.preferences || [];
    section.appendChild(sectionHead("Preferences", "Remember this", live ? "remember" : null, "r"));
    section.appendChild(el("div", "form-slot form-slot-preference"));
    if (!prefs.length) {
      section.appendChild(el("p", "muted", "None recorded."));
      return section;
    }
    var list = el("dl", "preference-list");
    prefs.forEach(function (p) {
      var row = el("div", "preference");
      row.setAttribute("data-preference-id", String(p.id));
      row.appendChild(el("dt", null, p.key));
      row.appendChild(el("dd", null, p.value));
      if (live) {
        var tools = el("span", "preference-tools");
        var edit = button("Edit", "button-icon", "preference-edit");
        edit.setAttribute("aria-label", "Edit " + p.key);
        edit.textContent = "✎";
        var remove = button("Remove", "button-icon", "preference-remove");
        remove.setAttribute("aria-label", "Remove " + p.key);
        remove.textContent = "×";
        tools.appendChild(edit);
        tools.appendChild(remove);
        row.appendChild(tools);
      }
      list.appendChild(row);
    });
    section.appendChild(list);
    return section;
  }

  function link(href, text, className) {
    var a = el("a", className, text);
    a.setAttribute("href", href);
    return a;
  }

  function body(call, urls, live) {
    var pop = call.pop;
    var main = part("div", "card-body", "body");
    if (pop.lookup === "unavailable") {
      main.appendChild(el("p", "lookup-failed", "Customer lookup is unavailable right now: ask who is calling."));
    }
    if (pop.match === "single" && pop.customer) {
      main.appendChild(complaintsSection(pop.customer, live));
      main.appendChild(preferencesSection(pop.customer, live));
    } else if (pop.match === "multiple") {
      var section = el("section", "candidates");
      section.appendChild(el("h4", null, (pop.candidates || []).length + " customers on this number"));
      section.appendChild(el("p", "hint", "Ask who is calling, then choose them."));
      var list = el("ul", "candidate-list");
      (pop.candidates || []).forEach(function (c) {
        var item = el("li", "candidate");
        item.setAttribute("data-customer-id", String(c.id));
        item.appendChild(link(urls.customer + encodeURIComponent(c.id), c.name));
        if (live) {
          var choose = button("This is them", "button-small", "pick");
          choose.setAttribute("aria-label", "This is " + c.name);
          item.appendChild(choose);
        }
        list.appendChild(item);
      });
      section.appendChild(list);
      main.appendChild(section);
    } else if (pop.match === "withheld") {
      main.appendChild(el("p", "hint", "The caller hid their number. Ask for their name, phone or account to find them."));
      if (live) main.appendChild(findBlock("Find customer"));
    } else {
      var none = el("div", "unknown");
      none.appendChild(el("p", "hint", pop.from ? "No customer has this number yet."
        : "This caller did not come from a phone number we can read."));
      // Opened in a tab of its own, the full form links this call too once the customer exists.
      var href = urls.newCustomer + "?" + (pop.from ? "phone=" + encodeURIComponent(pop.from) + "&" : "") +
        "call_sid=" + encodeURIComponent(pop.call_sid);
      var action = link(href, "New customer", "button button-primary new-customer");
      if (live) action.setAttribute("data-action", "new-customer");
      if (pop.from) action.setAttribute("data-phone", pop.from);
      none.appendChild(action);
      main.appendChild(none);
      main.appendChild(el("div", "form-slot form-slot-customer"));
      if (live) main.appendChild(findBlock("Already a customer? Find them"));
    }
    return main;
  }

  /** Search for the caller among customers and link the call to the one they are. */
  function findBlock(label) {
    var block = el("div", "find-customer");
    block.appendChild(button(label, "button-small button-ghost", "find"));
    block.appendChild(el("div", "form-slot form-slot-find"));
    return block;
  }

  /** Notes and disposition: a button until opened; work.js builds the form inside. */
  function wrapUp(call) {
    var section = part("section", "card-wrapup", "wrapup");
    var open = button("Notes & wrap-up", "button-small button-ghost", "wrapup");
    open.setAttribute("aria-keyshortcuts", "n");
    open.title = "Shortcut: n";
    section.appendChild(open);
    section.appendChild(el("div", "form-slot form-slot-wrapup"));
    return section;
  }

  function wrapUpSummary(call) {
    if (!call.disposition && !call.notes) return null;
    var summary = el("div", "wrapup-summary");
    summary.setAttribute("data-role", "wrapup-summary");
    if (call.disposition) summary.appendChild(el("span", "badge badge-disposition", call.disposition));
    if (call.notes) summary.appendChild(el("span", "wrapup-notes", call.notes));
    return summary;
  }

  function footer(call, urls) {
    var pop = call.pop;
    var foot = part("footer", "card-foot", "foot");
    var summary = wrapUpSummary(call);
    if (summary) foot.appendChild(summary);
    if (pop.match === "single" && pop.customer) {
      foot.appendChild(link(urls.customer + encodeURIComponent(pop.customer.id), "Open customer record", "card-link"));
    }
    if (pop.to) foot.appendChild(el("span", "line muted", "Line " + pop.to));
    return foot;
  }

  /** A fresh card element for `call` ({pop, status, agent, duration, since, notes, disposition}). */
  function render(call, urls, me) {
    var pop = call.pop;
    var live = !isEnded(call.status) || !!call.holding;
    var card = el("article", "card");
    card.classList.add("match-" + pop.match, "status-" + call.status);
    if (isRinging(call.status)) card.classList.add("is-ringing");
    if (isEnded(call.status)) card.classList.add("is-ended");
    if (call.holding) card.classList.add("is-wrapping-up");
    if (call.agent) card.classList.add("is-claimed");
    if (call.agent && me && call.agent.id === me.id) card.classList.add("is-mine");
    if (pop.customer && pop.customer.tier) card.classList.add("tier-" + pop.customer.tier);
    if (overdueCount(pop)) card.classList.add("has-overdue");
    card.setAttribute("data-call-sid", pop.call_sid);
    card.setAttribute("data-match", pop.match);
    card.setAttribute("data-status", call.status);
    card.setAttribute("aria-label", titleFor(pop));
    card.tabIndex = -1;
    card.appendChild(header(call));
    card.appendChild(claimBar(call, me));
    var message = part("p", "card-message", "message");
    message.setAttribute("role", "status");
    message.hidden = true;
    card.appendChild(message);
    card.appendChild(body(call, urls, live));
    if (live) card.appendChild(wrapUp(call));
    card.appendChild(footer(call, urls));
    return card;
  }

  /**
   * Bring `card` up to date with `fresh` (a new render of the same call) without losing what the
   * agent is doing in it: the message and wrap-up parts stay, the body only changes with the pop.
   */
  function patch(card, fresh, popChanged) {
    card.className = fresh.className;
    ["data-match", "data-status", "aria-label"].forEach(function (name) {
      card.setAttribute(name, fresh.getAttribute(name));
    });
    var keep = { message: true, wrapup: true, body: !popChanged };
    var parts = Array.prototype.slice.call(fresh.children);
    var names = parts.map(function (node) { return node.getAttribute("data-part"); });
    // Parts the fresh render no longer has (the wrap-up of a call that is over) go away.
    Array.prototype.slice.call(card.children).forEach(function (node) {
      if (names.indexOf(node.getAttribute("data-part")) === -1) node.remove();
    });
    var previous = null;
    parts.forEach(function (node, i) {
      var old = card.querySelector(':scope > [data-part="' + names[i] + '"]');
      if (old && keep[names[i]]) {
        previous = old;
        return;
      }
      if (old) old.replaceWith(node);
      else if (previous) previous.after(node);
      else card.prepend(node);
      previous = node;
    });
    return card;
  }

  window.KnownCallerCards = {
    render: render,
    patch: patch,
    clock: clock,
    isEnded: isEnded,
    isRinging: isRinging,
    rank: rank,
    titleFor: titleFor,
    callerNumber: callerNumber,
    overdueCount: overdueCount
  };
})();

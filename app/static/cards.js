/* KnownCaller desktop: builds one pop card from a call's state.
 *
 * Customer text (names, preferences, complaint subjects, raw numbers) only ever reaches the page
 * through textContent and attributes set one by one, never through innerHTML, so a customer named
 * "<img onerror=…>" is shown as those characters and nothing runs.
 */
(function () {
  "use strict";

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
  var TIER_LABELS = { vip: "VIP", gold: "Gold", silver: "Silver", standard: "Standard" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

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

  /** "due 2 days ago", "due today", "due in 3 days" — relative to now, for complaint deadlines. */
  function dueText(iso) {
    var due = iso ? new Date(iso) : null;
    if (!due || isNaN(due.getTime())) return "";
    var days = Math.round((due.getTime() - Date.now()) / 86400000);
    if (days === 0) return due.getTime() < Date.now() ? "was due today" : "due today";
    if (days < 0) return "due " + (-days) + (days === -1 ? " day" : " days") + " ago";
    return "due in " + days + (days === 1 ? " day" : " days");
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

  function header(call) {
    var pop = call.pop;
    var head = el("header", "card-head");
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

  function overdueCount(pop) {
    if (!pop.customer) return 0;
    return (pop.customer.open_complaints || []).filter(function (c) { return c.overdue; }).length;
  }

  function complaintsSection(customer) {
    var section = el("section", "complaints");
    var complaints = customer.open_complaints || [];
    section.appendChild(el("h4", null, complaints.length ? "Open complaints (" + complaints.length + ")"
      : "Open complaints"));
    if (!complaints.length) {
      section.appendChild(el("p", "muted", "None open."));
      return section;
    }
    var list = el("ul", "complaint-list");
    // Overdue first: those are the ones to apologise for before anything else.
    complaints.slice().sort(function (a, b) { return (b.overdue ? 1 : 0) - (a.overdue ? 1 : 0); })
      .forEach(function (c) {
        var item = el("li", "complaint" + (c.overdue ? " complaint-overdue" : ""));
        var top = el("div", "complaint-top");
        if (c.overdue) top.appendChild(badge("Overdue", "overdue"));
        top.appendChild(el("span", "complaint-subject", c.subject));
        item.appendChild(top);
        var meta = el("div", "complaint-meta");
        if (c.severity) meta.appendChild(el("span", "severity severity-" + c.severity, c.severity));
        if (c.status && c.status !== "open") meta.appendChild(el("span", "complaint-status", c.status));
        var due = dueText(c.due_at);
        if (due) meta.appendChild(el("span", "due", due));
        item.appendChild(meta);
        list.appendChild(item);
      });
    section.appendChild(list);
    return section;
  }

  function preferencesSection(customer) {
    var section = el("section", "preferences");
    var prefs = customer.preferences || [];
    section.appendChild(el("h4", null, "Preferences"));
    if (!prefs.length) {
      section.appendChild(el("p", "muted", "None recorded."));
      return section;
    }
    var list = el("dl", "preference-list");
    prefs.forEach(function (p) {
      var row = el("div", "preference");
      row.appendChild(el("dt", null, p.key));
      row.appendChild(el("dd", null, p.value));
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

  function body(call, urls) {
    var pop = call.pop;
    var main = el("div", "card-body");
    if (pop.match === "single" && pop.customer) {
      main.appendChild(complaintsSection(pop.customer));
      main.appendChild(preferencesSection(pop.customer));
    } else if (pop.match === "multiple") {
      var section = el("section", "candidates");
      section.appendChild(el("h4", null, (pop.candidates || []).length + " customers on this number"));
      section.appendChild(el("p", "hint", "Ask who is calling, then open their record."));
      var list = el("ul", "candidate-list");
      (pop.candidates || []).forEach(function (c) {
        var item = el("li", "candidate");
        item.appendChild(link(urls.customer + encodeURIComponent(c.id), c.name));
        list.appendChild(item);
      });
      section.appendChild(list);
      main.appendChild(section);
    } else if (pop.match === "withheld") {
      main.appendChild(el("p", "hint", "The caller hid their number. Ask for their name, phone or account to find them."));
    } else {
      var none = el("div", "unknown");
      none.appendChild(el("p", "hint", pop.from ? "No customer has this number yet."
        : "This caller did not come from a phone number we can read."));
      var href = urls.newCustomer + (pop.from ? "?phone=" + encodeURIComponent(pop.from) : "");
      var action = link(href, "New customer", "button button-primary new-customer");
      if (pop.from) action.setAttribute("data-phone", pop.from);
      none.appendChild(action);
      main.appendChild(none);
    }
    return main;
  }

  function footer(call, urls) {
    var pop = call.pop;
    var foot = el("footer", "card-foot");
    if (pop.match === "single" && pop.customer) {
      foot.appendChild(link(urls.customer + encodeURIComponent(pop.customer.id), "Open customer record", "card-link"));
    }
    if (pop.to) foot.appendChild(el("span", "line muted", "Line " + pop.to));
    return foot;
  }

  /** A fresh card element for `call` ({pop, status, agent, duration, since}). */
  function render(call, urls) {
    var pop = call.pop;
    var card = el("article", "card");
    card.classList.add("match-" + pop.match, "status-" + call.status);
    if (isRinging(call.status)) card.classList.add("is-ringing");
    if (isEnded(call.status)) card.classList.add("is-ended");
    if (pop.customer && pop.customer.tier) card.classList.add("tier-" + pop.customer.tier);
    if (overdueCount(pop)) card.classList.add("has-overdue");
    card.setAttribute("data-call-sid", pop.call_sid);
    card.setAttribute("data-match", pop.match);
    card.setAttribute("data-status", call.status);
    card.setAttribute("aria-label", titleFor(pop));
    card.appendChild(header(call));
    card.appendChild(body(call, urls));
    card.appendChild(footer(call, urls));
    return card;
  }

  window.KnownCallerCards = {
    render: render,
    clock: clock,
    isEnded: isEnded,
    isRinging: isRinging,
    rank: rank,
    titleFor: titleFor,
    callerNumber: callerNumber,
    overdueCount: overdueCount
  };
})();

/* KnownCaller desktop: working the call from its card (SPEC §9).
 *
 * Take the call, create, find or choose the customer, wrap up with notes and a disposition (and,
 * in work_records.js, preferences and complaints) — each a small form opened inside the card,
 * saved through the JSON API, with the server's field messages shown next to the fields. After a
 * change the card asks the server for the call's pop again, so what it shows is what is stored.
 */
(function () {
  "use strict";

  var KC = window.KC;
  var el = KC.el;
  var root = document.getElementById("desktop");
  if (!root || !KC) return;

  var desk = null;          // window.knownCaller, once desktop.js is ready
  var activeSid = null;     // the card keyboard shortcuts act on
  var dispositions = null;  // promise of the configured wrap-up choices

  function sidOf(card) { return card.getAttribute("data-call-sid"); }
  function callOf(card) { return desk && desk.calls.get(sidOf(card)); }
  function cardOf(node) { return node.closest ? node.closest("[data-call-sid]") : null; }
  function path(template, value) { return template + encodeURIComponent(value); }

  // ---------------------------------------------------------------- messages on the card

  function message(card, text, kind) {
    var line = card.querySelector('[data-part="message"]');
    if (!line) return;
    line.className = "card-message card-message-" + (kind || "info");
    line.setAttribute("role", kind === "error" ? "alert" : "status");
    line.textContent = text || "";
    line.hidden = !text;
  }

  function failed(card, prefix) {
    return function (error) {
      message(card, (prefix ? prefix + ": " : "") + (error && error.message ? error.message : "failed"), "error");
      throw error;
    };
  }

  // ---------------------------------------------------------------- the active card

  function liveCards() {
    return Array.prototype.slice.call(document.querySelectorAll("#live-calls > [data-call-sid]"));
  }

  function setActive(card) {
    if (!card) return;
    activeSid = sidOf(card);
    document.querySelectorAll("[data-call-sid][data-active]").forEach(function (node) {
      if (node !== card) node.removeAttribute("data-active");
    });
    card.setAttribute("data-active", "");
  }

  /** The card being worked: the one with focus, the last one touched, my newest call, the newest. */
  function activeCard() {
    var focused = document.activeElement && cardOf(document.activeElement);
    if (focused && focused.closest("#live-calls")) return focused;
    var cards = liveCards();
    var touched = cards.filter(function (c) { return sidOf(c) === activeSid; })[0];
    if (touched) return touched;
    return cards.filter(function (c) { return c.classList.contains("is-mine"); })[0] || cards[0] || null;
  }

  // ---------------------------------------------------------------- forms inside a card

  function closeForm(form) {
    var card = cardOf(form);
    var opener = form._opener;
    form.remove();
    if (opener && opener.isConnected) opener.focus();
    else if (card) card.focus();
  }

  /** A form in `slot`: fields, a primary button, Cancel; Enter (Ctrl+Enter in notes) saves. */
  function openForm(slot, options) {
    var existing = slot.querySelector("form");
    if (existing) existing.remove();
    var form = el("form", "inline-form " + (options.className || ""));
    form.noValidate = true;
    form.setAttribute("aria-label", options.label);
    form._opener = options.opener || null;
    if (options.title) form.appendChild(el("p", "inline-form-title", options.title));
    var grid = el("div", "inline-form-fields");
    options.fields.forEach(function (spec) { grid.appendChild(KC.field(spec)); });
    form.appendChild(grid);
    var actions = el("div", "inline-form-actions");
    var save = el("button", "button button-primary button-small", options.submit || "Save");
    save.type = "submit";
    actions.appendChild(save);
    (options.extraButtons || []).forEach(function (b) { actions.appendChild(b); });
    var cancel = KC.button("Cancel", "button-small button-ghost", "cancel-form");
    actions.appendChild(cancel);
    actions.appendChild(el("span", "key-hint", options.hint || "Enter saves · Esc cancels"));
    form.appendChild(actions);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      KC.clearErrors(form);
      KC.busy(form, Promise.resolve().then(function () { return options.onSubmit(form); }))
        .catch(function (error) {
          if (form.isConnected) KC.showErrors(form, error);
          else if (window.console) console.warn("[knowncaller]", error);
        });
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        closeForm(form);
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    slot.appendChild(form);
    var first = form.querySelector(options.focus || "input, textarea, select");
    if (first) first.focus();
    return form;
  }

  function slotIn(card, name) { return card.querySelector(".form-slot-" + name); }

  // ---------------------------------------------------------------- after a change

  /** The server's word on this call, and on every other live call of the same customer. */
  function refresh(card, customerId) {
    var sid = sidOf(card);
    var sids = [sid];
    if (customerId) {
      desk.calls.forEach(function (call, other) {
        if (other !== sid && call.pop.customer && call.pop.customer.id === customerId) sids.push(other);
      });
    }
    return Promise.all(sids.map(function (s) { return desk.refreshCall(s); })).then(function () {
      // The form that had focus went with the old card body: keep the keyboard on this card.
      var call = desk.calls.get(sid);
      var lost = !document.activeElement || document.activeElement === document.body;
      if (call && call.el && lost) call.el.focus();
    });
  }

  function customerIdOf(card) {
    var call = callOf(card);
    return call && call.pop.customer ? call.pop.customer.id : null;
  }

  // ---------------------------------------------------------------- take the call

  function claim(card) {
    var sid = sidOf(card);
    setActive(card);
    message(card, "");
    return KC.api("POST", path("/calls/", sid) + "/claim").then(function (result) {
      var call = callOf(card);
      if (result && result.pop) desk.receiveCall(result);
      else if (call && result) {
        desk.advance(call, result.status, result.agent, result.duration);
        desk.place(call, false);
      }
      var current = callOf(card);
      if (current && current.el) {
        setActive(current.el);
        // The claim button is gone: keep the keyboard on this card, unless the agent already
        // moved on (the call_update may have arrived first, and they are typing in a form).
        var lost = !document.activeElement || document.activeElement === document.body;
        if (lost) current.el.focus();
      }
    }, function (error) {
      message(card, error.status === 409 ? error.message : "Could not take this call: " + error.message, "error");
      // Someone else has it: learn who, so the card says so.
      desk.refreshCall(sid).catch(function () {});
    });
  }

  // ---------------------------------------------------------------- link a customer to the call

  function link(card, customerId) {
    var sid = sidOf(card);
    return KC.api("PATCH", path("/calls/", sid), { customer_id: customerId }).then(function (result) {
      if (result && result.pop && result.pop.customer) desk.receiveCall(result);
      else return desk.refreshCall(sid);
    }).then(function () {
      var call = desk.calls.get(sid);
      if (call && call.el) {
        message(call.el, "Linked to " + (call.pop.customer ? call.pop.customer.name : "the customer") + ".", "ok");
        setActive(call.el);
      }
    });
  }

  function pick(card, button) {
    var item = button.closest("[data-customer-id]");
    var id = Number(item.getAttribute("data-customer-id"));
    button.disabled = true;
    return link(card, id).catch(function (error) {
      button.disabled = false;
      failed(card, "Could not link the call")(error);
    });
  }

  function newCustomerForm(card, opener) {
    var call = callOf(card);
    var phone = call && call.pop.from ? call.pop.from : "";
    openForm(slotIn(card, "customer"), {
      label: "New customer", title: "New customer", submit: "Create and link", opener: opener,
      fields: [
        { name: "name", label: "Name", required: true, autocomplete: "off" },
        { name: "phone", label: "Number", type: "tel", value: phone },
        { name: "email", label: "Email", type: "email" },
        { name: "tier", label: "Tier", type: "select", options: KC.options(KC.TIERS, KC.TIER_LABELS), value: "standard" }
      ],
      onSubmit: function (form) {
        var data = KC.values(form);
        var body = { name: data.name || "", phones: data.phone ? [data.phone] : [] };
        if (data.email) body.email = data.email;
        if (data.tier) body.tier = data.tier;
        return KC.api("POST", "/customers", body).then(function (customer) {
          return link(card, customer.id).catch(function (error) {
            KC.formMessage(form, "Created " + customer.name + ", but could not link the call: " + error.message);
            throw error;
          });
        });
      }
    });
  }

  /** Withheld or unknown number: find the caller by what they tell us, then link the call. */
  function findForm(card, opener) {
    var slot = slotIn(card, "find");
    var results = el("ul", "candidate-list find-results");
    openForm(slot, {
      label: "Find customer", submit: "Search", opener: opener, className: "inline-form-row",
      fields: [{ name: "query", label: "Name, number or email", autocomplete: "off" }],
      onSubmit: function (form) {
        var query = KC.values(form).query || "";
        var params = new URLSearchParams({ per_page: "5" });
        params.set(KC.looksLikePhone(query) ? "phone" : "q", query);
        return KC.api("GET", "/customers?" + params.toString()).then(function (data) {
          results.textContent = "";
          var items = (data && data.items) || [];
          if (!items.length) results.appendChild(el("li", "muted", "Nobody matches “" + query + "”."));
          items.forEach(function (c) {
            var item = el("li", "candidate");
            item.setAttribute("data-customer-id", String(c.id));
            item.appendChild(el("span", "candidate-name", c.name + ((c.phones || []).length ? " · " + c.phones[0] : "")));
            var choose = KC.button("This is them", "button-small", "pick");
            choose.setAttribute("aria-label", "This is " + c.name);
            item.appendChild(choose);
            results.appendChild(item);
          });
          if (!results.isConnected) form.appendChild(results);
        }, function (error) {
          if (error.fields && error.fields.phone) error.fields = { query: error.fields.phone };
          throw error;
        });
      }
    });
  }

  // ---------------------------------------------------------------- wrap-up

  function loadDispositions() {
    if (!dispositions) {
      dispositions = KC.api("GET", "/dispositions").then(function (data) {
        return (data && data.items) || [];
      }, function (error) {
        dispositions = null;  // try again next time
        throw error;
      });
    }
    return dispositions;
  }

  function wrapUpForm(card, opener) {
    var call = callOf(card);
    if (!call) return Promise.resolve();
    var slot = slotIn(card, "wrapup");
    if (!slot) return Promise.resolve();
    return loadDispositions().catch(function (error) {
      message(card, "Dispositions unavailable (" + error.message + "); notes can still be saved.", "error");
      return [];
    }).then(function (choices) {
      var optionsList = [["", "— choose —"]].concat(choices.map(function (d) { return [d, d]; }));
      var extra = [];
      if (call.holding) {
        var done = KC.button("Close without saving", "button-small button-ghost", "wrapup-dismiss");
        extra.push(done);
      }
      openForm(slot, {
        label: "Notes and wrap-up", submit: "Save wrap-up", opener: opener, focus: "textarea",
        hint: "Ctrl+Enter saves · Esc cancels", extraButtons: extra,
        fields: [
          { name: "notes", label: "Notes", type: "textarea", rows: 3, value: call.notes || "" },
          { name: "disposition", label: "Disposition", type: "select", options: optionsList, value: call.disposition || "" }
        ],
        onSubmit: function (form) {
          var data = KC.values(form, true);
          var body = { notes: data.notes || null };
          if (data.disposition) body.disposition = data.disposition;
          return KC.api("PATCH", path("/calls/", sidOf(card)), body).then(function (result) {
            var current = callOf(card) || call;
            current.notes = result && result.notes !== undefined ? result.notes : body.notes;
            current.disposition = result && result.disposition !== undefined ? result.disposition
              : (body.disposition || current.disposition);
            if (current.disposition || current.notes) current.holding = false;
            closeForm(form);
            desk.place(current, false);
            message(current.el, "Wrap-up saved.", "ok");
          });
        }
      });
    });
  }

  function dismissWrapUp(card) {
    var call = callOf(card);
    if (!call) return;
    call.holding = false;
    desk.place(call, false);
  }

  // ---------------------------------------------------------------- one listener for every card

  var ACTIONS = {
    claim: function (card) { return claim(card); },
    "new-customer": function (card, button) { newCustomerForm(card, button); },
    pick: function (card, button) { return pick(card, button); },
    find: function (card, button) { findForm(card, button); },
    wrapup: function (card, button) { return wrapUpForm(card, button); },
    "wrapup-dismiss": function (card) { dismissWrapUp(card); },
    "cancel-form": function (card, button) { closeForm(button.closest("form")); }
  };

  function run(action, card, button) {
    var handler = ACTIONS[action];
    if (!handler || !card) return Promise.resolve();
    setActive(card);
    try {
      return Promise.resolve(handler(card, button)).catch(function () { /* shown on the card */ });
    } catch (error) {
      message(card, error.message || String(error), "error");
      return Promise.resolve();
    }
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button || !root.contains(button)) return;
    // A modified click on a link opens its page (new tab) as links do.
    if (button.tagName === "A" && (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)) return;
    event.preventDefault();
    run(button.getAttribute("data-action"), cardOf(button), button);
  });

  root.addEventListener("focusin", function (event) {
    var card = cardOf(event.target);
    if (card && card.closest("#live-calls")) setActive(card);
  });

  // A removal that was not confirmed goes back to normal when focus leaves it.
  root.addEventListener("focusout", function (event) {
    var button = event.target;
    if (button.hasAttribute && button.hasAttribute("data-confirm")) {
      button.removeAttribute("data-confirm");
      button.textContent = "×";
      button.classList.remove("button-danger");
    }
  });

  function ready() { desk = window.knownCaller || null; }
  if (window.knownCaller) ready();
  else document.addEventListener("knowncaller:ready", ready);

  /** For keys.js: act on the active card as if its button was pressed. */
  /** Actions defined in other files (work_records.js), by data-action name. */
  function register(actions) {
    Object.keys(actions).forEach(function (name) { ACTIONS[name] = actions[name]; });
  }

  /** For keys.js and work_records.js: the card's forms, messages, refresh and the active card. */
  window.KnownCallerWork = {
    activeCard: activeCard,
    setActive: setActive,
    run: run,
    register: register,
    liveCards: liveCards,
    openForm: openForm,
    closeForm: closeForm,
    message: message,
    failed: failed,
    refresh: refresh,
    callOf: callOf,
    customerIdOf: customerIdOf,
    slotIn: slotIn,
    sidOf: sidOf,
    path: path
  };
})();

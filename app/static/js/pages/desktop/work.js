/* KnownCaller desktop: working the call from its card (SPEC §9).
 *
 * Take the call, create, find or choose the customer, wrap up with notes and a disposition, and
 * record preferences and complaints (components/preferences.js, components/complaints.js) — each a
 * small form opened inside the card, saved through the JSON API, with the server's field messages
 * shown next to the fields. After a change the card asks the server for the call's pop again, so
 * what it shows is what is stored. One listener on #desktop answers every card's data-action.
 */
import * as api from "../../lib/api.js";
import { constants } from "../../lib/constants.js";
import { button, el, formMessage, onAction, options, values } from "../../lib/dom.js";
import { tierLabel } from "../../lib/format.js";
import { complaintActions } from "../../components/complaints.js";
import { closeForm, openForm } from "../../components/inline_form.js";
import { preferenceActions, resetUnconfirmedRemovals } from "../../components/preferences.js";

function sidOf(card) { return card.getAttribute("data-call-sid"); }
function cardOf(node) { return node.closest ? node.closest("[data-call-sid]") : null; }
function slotIn(card, name) { return card.querySelector(".form-slot-" + name); }
function focusLost() { return !document.activeElement || document.activeElement === document.body; }

/** A message on the card (its message part survives re-renders). */
function message(card, text, kind) {
  const line = card && card.querySelector('[data-part="message"]');
  if (!line) return;
  line.className = "card-message card-message-" + (kind || "info");
  line.setAttribute("role", kind === "error" ? "alert" : "status");
  line.textContent = text || "";
  line.hidden = !text;
}

function failed(card, prefix) {
  return (error) => {
    message(card, (prefix ? prefix + ": " : "") + (error && error.message ? error.message : "failed"), "error");
    throw error;
  };
}

/** The card actions on `root` (#desktop) for the board `desk`; returns what keys.js uses. */
export function createWork(root, desk) {
  let activeSid = null;  // the card keyboard shortcuts act on

  const callOf = (card) => desk.calls.get(sidOf(card));

  function liveCards() {
    return Array.from(document.querySelectorAll("#live-calls > [data-call-sid]"));
  }

  function setActive(card) {
    if (!card) return;
    activeSid = sidOf(card);
    document.querySelectorAll("[data-call-sid][data-active]").forEach((node) => {
      if (node !== card) node.removeAttribute("data-active");
    });
    card.setAttribute("data-active", "");
  }

  /** The card being worked: the one with focus, the last one touched, my newest call, the newest. */
  function activeCard() {
    const focused = document.activeElement && cardOf(document.activeElement);
    if (focused && focused.closest("#live-calls")) return focused;
    const cards = liveCards();
    const touched = cards.find((c) => sidOf(c) === activeSid);
    if (touched) return touched;
    return cards.find((c) => c.classList.contains("is-mine")) || cards[0] || null;
  }

  /** The server's word on this call, and on every other live call of the same customer. */
  function refresh(card, customerId) {
    const sid = sidOf(card);
    const sids = [sid];
    if (customerId) {
      desk.calls.forEach((call, other) => {
        if (other !== sid && call.pop.customer && call.pop.customer.id === customerId) sids.push(other);
      });
    }
    return Promise.all(sids.map((s) => desk.refreshCall(s))).then(() => {
      // The form that had focus went with the old card body: keep the keyboard on this card.
      const call = desk.calls.get(sid);
      if (call && call.el && focusLost()) call.el.focus();
    });
  }

  /** What the preference and complaint components ask of a card. */
  const records = {
    customerOf(card) {
      const call = callOf(card);
      return call && call.pop.customer ? call.pop.customer : null;
    },
    callSidOf: sidOf,
    message,
    refresh,
  };

  // ---------------------------------------------------------------- take the call

  function claim(card) {
    const sid = sidOf(card);
    setActive(card);
    message(card, "");
    return api.claimCall(sid).then((result) => {
      const call = callOf(card);
      if (result && result.pop) desk.receiveCall(result);
      else if (call && result) {
        desk.advance(call, result.status, result.agent, result.duration);
        desk.place(call, false);
      }
      const current = callOf(card);
      if (current && current.el) {
        setActive(current.el);
        // The claim button is gone: keep the keyboard on this card, unless the agent already
        // moved on (the call_update may have arrived first, and they are typing in a form).
        if (focusLost()) current.el.focus();
      }
    }, (error) => {
      message(card, error.status === 409 ? error.message : "Could not take this call: " + error.message, "error");
      // Someone else has it: learn who, so the card says so.
      desk.refreshCall(sid).catch(() => {});
    });
  }

  // ---------------------------------------------------------------- link a customer to the call

  function link(card, customerId) {
    const sid = sidOf(card);
    return api.updateCall(sid, { customer_id: customerId }).then((result) => {
      if (result && result.pop && result.pop.customer) desk.receiveCall(result);
      else return desk.refreshCall(sid);
    }).then(() => {
      const call = desk.calls.get(sid);
      if (call && call.el) {
        message(call.el, "Linked to " + (call.pop.customer ? call.pop.customer.name : "the customer") + ".", "ok");
        setActive(call.el);
      }
    });
  }

  function pick(card, target) {
    const id = Number(target.closest("[data-customer-id]").getAttribute("data-customer-id"));
    target.disabled = true;
    return link(card, id).catch((error) => {
      target.disabled = false;
      failed(card, "Could not link the call")(error);
    });
  }

  function newCustomerForm(card, opener) {
    const call = callOf(card);
    const phone = call && call.pop.from ? call.pop.from : "";
    openForm(slotIn(card, "customer"), {
      label: "New customer", title: "New customer", submit: "Create and link", opener,
      fields: [
        { name: "name", label: "Name", required: true, autocomplete: "off" },
        { name: "phone", label: "Number", type: "tel", value: phone },
        { name: "email", label: "Email", type: "email" },
        { name: "tier", label: "Tier", type: "select", options: options(constants().tiers, tierLabel), value: "standard" },
      ],
      onSubmit(form) {
        const data = values(form);
        const body = { name: data.name || "", phones: data.phone ? [data.phone] : [] };
        if (data.email) body.email = data.email;
        if (data.tier) body.tier = data.tier;
        return api.createCustomer(body).then((customer) => link(card, customer.id).catch((error) => {
          formMessage(form, "Created " + customer.name + ", but could not link the call: " + error.message);
          throw error;
        }));
      },
    });
  }

  /** Withheld or unknown number: find the caller by what they tell us, then link the call. */
  function findForm(card, opener) {
    const results = el("ul", "candidate-list find-results");
    openForm(slotIn(card, "find"), {
      label: "Find customer", submit: "Search", opener, className: "inline-form-row",
      fields: [{ name: "query", label: "Name, number or email", autocomplete: "off" }],
      onSubmit(form) {
        const query = values(form).query || "";
        const params = { per_page: "5", q: query };
        return api.searchCustomers(params).then((data) => {
          results.textContent = "";
          const items = (data && data.items) || [];
          if (!items.length) results.appendChild(el("li", "muted", "Nobody matches “" + query + "”."));
          items.forEach((c) => {
            const item = el("li", "candidate");
            item.setAttribute("data-customer-id", String(c.id));
            item.appendChild(el("span", "candidate-name", c.name + ((c.phones || []).length ? " · " + c.phones[0] : "")));
            const choose = button("This is them", "button-small", "pick");
            choose.setAttribute("aria-label", "This is " + c.name);
            item.appendChild(choose);
            results.appendChild(item);
          });
          if (!results.isConnected) form.appendChild(results);
        }, (error) => {
          if (error.fields && error.fields.phone) error.fields = { query: error.fields.phone };
          throw error;
        });
      },
    });
  }

  // ---------------------------------------------------------------- wrap-up

  function wrapUpForm(card, opener) {
    const call = callOf(card);
    const slot = call && slotIn(card, "wrapup");
    if (!slot) return;
    const choices = [["", "— choose —"]].concat(constants().dispositions.map((d) => [d, d]));
    const extra = call.holding ? [button("Close without saving", "button-small button-ghost", "wrapup-dismiss")] : [];
    openForm(slot, {
      label: "Notes and wrap-up", submit: "Save wrap-up", opener, focus: "textarea",
      hint: "Ctrl+Enter saves · Esc cancels", extraButtons: extra,
      fields: [
        { name: "notes", label: "Notes", type: "textarea", rows: 3, value: call.notes || "" },
        { name: "disposition", label: "Disposition", type: "select", options: choices, value: call.disposition || "" },
      ],
      onSubmit(form) {
        const data = values(form, true);
        const body = { notes: data.notes || null };
        if (data.disposition) body.disposition = data.disposition;
        return api.updateCall(sidOf(card), body).then((result) => {
          const current = callOf(card) || call;
          current.notes = result && result.notes !== undefined ? result.notes : body.notes;
          current.disposition = result && result.disposition !== undefined ? result.disposition
            : (body.disposition || current.disposition);
          if (current.disposition || current.notes) current.holding = false;
          closeForm(form);
          desk.place(current, false);
          message(current.el, "Wrap-up saved.", "ok");
        });
      },
    });
  }

  function dismissWrapUp(card) {
    const call = callOf(card);
    if (!call) return;
    call.holding = false;
    desk.place(call, false);
  }

  // ---------------------------------------------------------------- one listener for every card

  const ACTIONS = {
    claim,
    "new-customer": newCustomerForm,
    pick,
    find: findForm,
    wrapup: wrapUpForm,
    "wrapup-dismiss": dismissWrapUp,
    ...preferenceActions(records),
    ...complaintActions(records),
  };

  /** Act on `card` as if its `action` button was pressed (clicks, and keys.js). */
  function run(action, card, target) {
    const handler = ACTIONS[action];
    if (!handler || !card) return Promise.resolve();
    setActive(card);
    try {
      return Promise.resolve(handler(card, target)).catch(() => { /* shown on the card */ });
    } catch (error) {
      message(card, error.message || String(error), "error");
      return Promise.resolve();
    }
  }

  const clickable = {};
  Object.keys(ACTIONS).forEach((name) => {
    clickable[name] = (target) => run(name, cardOf(target), target);
  });
  onAction(root, clickable);

  root.addEventListener("focusin", (event) => {
    const card = cardOf(event.target);
    if (card && card.closest("#live-calls")) setActive(card);
  });
  resetUnconfirmedRemovals(root);

  return { activeCard, setActive, run, liveCards, closeForm };
}

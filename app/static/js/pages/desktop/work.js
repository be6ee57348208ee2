/* KnownCaller desktop: working the call from its card (SPEC §9).
 *
 * Take the call, create, find or choose the customer, wrap up with notes and a disposition, and
 * record preferences and complaints (components/preferences.js, components/complaints.js) — each a
 * small form opened inside the card, saved through the JSON API, with the server's field messages
 * shown next to the fields. After a change the card asks the server for the call's pop again, so
 * what it shows is what is stored. One listener on #desktop answers every card's data-action.
 *
 * Every form on a card keeps a draft (lib/drafts.js), keyed by the call and the form, so what is
 * typed survives re-renders and reloads: after a reload `restoreDrafts` opens each form again on
 * its call's card, with its text.
 */
import * as api from "../../lib/api.js";
import { constants } from "../../lib/constants.js";
import { button, el, formMessage, onAction, options, values } from "../../lib/dom.js";
import { tierLabel } from "../../lib/format.js";
import { complaintActions } from "../../components/complaints.js";
import { closeForm, hasUnsavedForm, openForm } from "../../components/inline_form.js";
import { preferenceActions, resetUnconfirmedRemovals } from "../../components/preferences.js";

function sidOf(card) { return card.getAttribute("data-call-sid"); }
function cardOf(node) { return node.closest ? node.closest("[data-call-sid]") : null; }
function slotIn(card, name) { return card.querySelector(".form-slot-" + name); }
function focusLost() { return !document.activeElement || document.activeElement === document.body; }

/** The actions that open a form, the only ones a stored draft may run again. */
const FORM_ACTIONS = new Set([
  "new-customer", "find", "wrapup", "remember", "preference-edit", "complaint-new", "complaint-edit",
  "complaint-resolve",
]);
const DRAFT_OWNERS = new Set(["data-complaint-id", "data-preference-id"]);

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

/**
 * The card actions on `root` (#desktop) for the board `desk`, keeping drafts in `drafts`
 * (lib/drafts.js); returns what keys.js and the page use.
 */
export function createWork(root, desk, drafts) {
  let activeSid = null;  // the card keyboard shortcuts act on

  /** The draft a form on `card` keeps: one per call and form (`owner`: the item it is about). */
  function draftFor(card, action, owner) {
    const key = owner ? action + ":" + owner.id : action;
    return { store: drafts, scope: sidOf(card), key, action, owner: owner || null };
  }

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
    draft: draftFor,
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
      draft: draftFor(card, "new-customer"),
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
      keepOpen: true, draft: draftFor(card, "find"),
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
            const choose = button("This is " + c.name, "button-small", "pick");
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
      hint: "Ctrl+Enter saves · Esc cancels", extraButtons: extra, draft: draftFor(card, "wrapup"),
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
          // Wrapped up: no draft of this call is wanted any more, but those of forms still open.
          if (current.disposition) drafts.removeScope(current.pop.call_sid, openDraftKeys(current.el));
          desk.place(current, false);
          message(current.el, "Wrap-up saved.", "ok");
        });
      },
    });
  }

  function dismissWrapUp(card) {
    const call = callOf(card);
    if (!call) return;
    const form = card.querySelector('[data-part="wrapup"] form');
    if (form) closeForm(form);
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

  // ---------------------------------------------------------------- drafts after a reload

  function openDraftKeys(card) {
    if (!card) return [];
    return Array.from(card.querySelectorAll("form[data-draft]")).map((form) => form.getAttribute("data-draft"));
  }

  function draftForm(card, key) {
    return card.querySelector('form[data-draft="' + CSS.escape(key) + '"]');
  }

  /** Open the form of `draft` again on `card`; it fills itself from the draft (inline_form.js). */
  function reopen(card, draft) {
    const sid = sidOf(card);
    if (draftForm(card, draft.key)) return;
    const owner = !draft.owner ? card
      : DRAFT_OWNERS.has(draft.owner.attr)
        ? card.querySelector("[" + draft.owner.attr + '="' + CSS.escape(String(draft.owner.id)) + '"]') : null;
    if (!owner || !FORM_ACTIONS.has(draft.action)) { drafts.remove(sid, draft.key); return; }
    const opener = owner.querySelector('[data-action="' + draft.action + '"]') || owner;
    try {
      ACTIONS[draft.action](card, opener);
    } catch (error) {
      console.warn("[knowncaller] draft not reopened:", error);
    }
    // That form has no place on the card any more (the call was linked meanwhile, say).
    if (!draftForm(card, draft.key)) drafts.remove(sid, draft.key);
  }

  /**
   * After a reload, once the board has its calls again: every form that had a draft opens again
   * on its call's card. A call no longer on the board (wrapped up early, notes still being
   * typed) is read from the API; a draft with nowhere to go is dropped.
   */
  function restoreDrafts() {
    drafts.prune();
    return Promise.all(drafts.scopes().map((sid) => {
      const known = desk.calls.get(sid);
      const found = known ? Promise.resolve(known) : desk.refreshCall(sid);
      return found.then((call) => {
        if (!call || !call.el) { drafts.removeScope(sid); return; }
        drafts.of(sid).forEach((draft) => reopen(call.el, draft));
      }, (error) => {
        // Gone, or not ours to see: forget it. Any other failure: the next load tries again.
        if (error && (error.status === 404 || error.status === 403)) drafts.removeScope(sid);
      });
    }));
  }

  /** Whether leaving the page now would lose typing (the page's beforeunload asks this). */
  function unsaved() {
    return hasUnsavedForm(root);
  }

  return { activeCard, setActive, run, liveCards, closeForm, restoreDrafts, unsaved };
}

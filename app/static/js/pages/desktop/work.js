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
 *
 * Which card an action is for, when it does not come from a click (keys.js): the card with focus
 * inside it, else the longest-waiting live call that offers it (`targetCard`).
 */
import * as api from "../../lib/api.js";
import { hiddenNumber, longestWaiting } from "../../lib/calls.js";
import { constants } from "../../lib/constants.js";
import { button, el, formMessage, onAction, options, values } from "../../lib/dom.js";
import { tierLabel } from "../../lib/format.js";
import { complaintActions } from "../../components/complaints.js";
import { followUpActions } from "../../components/follow_ups.js";
import { closeForm, hasUnsavedForm, openForm, requestClose } from "../../components/inline_form.js";
import { preferenceActions, resetUnconfirmedRemovals } from "../../components/preferences.js";
import { promiseActions } from "../../components/promises.js";

function sidOf(card) { return card.getAttribute("data-call-sid"); }
function cardOf(node) { return node.closest ? node.closest("[data-call-sid]") : null; }
function slotIn(card, name) { return card.querySelector(".form-slot-" + name); }
function focusLost() { return !document.activeElement || document.activeElement === document.body; }

/** Keep the keyboard on `card` after the button pressed in it went away: the page does not jump
 *  while the card is on screen (the agent was just looking at it), and scrolls to it when not. */
function keepFocusOn(card) {
  const box = card.getBoundingClientRect();
  card.focus({ preventScroll: box.bottom > 0 && box.top < window.innerHeight });
}

/** The card action each key with a hint on the cards runs (keys.js binds them). */
export const KEY_ACTIONS = { c: "claim", g: "release", a: "phone-answer" };

/** The actions that open a form, the only ones a stored draft may run again. */
const FORM_ACTIONS = new Set([
  "new-customer", "find", "wrapup", "remember", "preference-edit", "complaint-new", "complaint-edit",
  "complaint-resolve", "promise-new", "follow-up-done",
]);
const DRAFT_OWNERS = new Set(["data-complaint-id", "data-preference-id", "data-follow-up-id"]);

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
 * (lib/drafts.js); `onFollowUpChange()` hears of every follow-up closed on a card (the "My
 * follow-ups" panel reads its list again); `actions` are more card actions by data-action name
 * (the browser phone's Answer, Decline, Mute, Hang up: desktop/phone.js). Returns what keys.js
 * and the page use.
 */
export function createWork(root, desk, drafts, { onFollowUpChange, actions = {} } = {}) {
  /** The draft a form on `card` keeps: one per call and form (`owner`: the item it is about). */
  function draftFor(card, action, owner) {
    const key = owner ? action + ":" + owner.id : action;
    return { store: drafts, scope: sidOf(card), key, action, owner: owner || null };
  }

  const callOf = (card) => desk.calls.get(sidOf(card));

  function liveCards() {
    return Array.from(document.querySelectorAll("#live-calls > [data-call-sid]"));
  }

  /** The live card the keyboard is in, or null. */
  function focusedCard() {
    const focused = document.activeElement && cardOf(document.activeElement);
    return focused && focused.closest("#live-calls") ? focused : null;
  }

  const overseer = () => desk.me.role === "supervisor" || desk.me.role === "admin";

  /** Whether I may work `card`'s call: nobody holds it, or I do (a supervisor or admin: any). */
  function mayWork(card) {
    return !card.classList.contains("is-claimed") || card.classList.contains("is-mine") || overseer();
  }

  /**
   * The card `action` (a data-action name; none: any) is for: the card with focus inside it,
   * else the live call that has waited longest (oldest received_at) among those whose card offers
   * that action and that I may work.
   */
  function targetCard(action) {
    const focused = focusedCard();
    if (focused) return focused;
    const offered = liveCards().filter((card) => mayWork(card) &&
      (!action || card.querySelector('[data-action="' + action + '"]')));
    const found = longestWaiting(offered.map((card) => ({ card, since: (callOf(card) || {}).since || 0 })));
    return found ? found.card : null;
  }

  /** Mark the card keys act on (data-active), and show each card's "or press c" (and g) hint
   *  only on the card that key would act on. */
  function markTargets() {
    const active = targetCard(null);
    document.querySelectorAll("[data-call-sid][data-active]").forEach((node) => {
      if (node !== active) node.removeAttribute("data-active");
    });
    if (active) active.setAttribute("data-active", "");
    const byKey = {};
    root.querySelectorAll("[data-key-hint]").forEach((hint) => {
      const key = hint.getAttribute("data-key-hint");
      if (!(key in byKey)) byKey[key] = targetCard(KEY_ACTIONS[key]);
      hint.hidden = cardOf(hint) !== byKey[key];
    });
  }

  /** Kept for the page and older callers: the card keys act on when no action is named. */
  function activeCard() { return targetCard(null); }

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
      if (call && call.el && focusLost()) keepFocusOn(call.el);
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

  /** The same, for follow-ups: a change here is a change to the panel's list too. */
  const followUpRecords = {
    ...records,
    refresh(card, customerId) {
      if (onFollowUpChange) onFollowUpChange();
      return refresh(card, customerId);
    },
  };

  // ---------------------------------------------------------------- take the call, give it back

  /** What a take, give-back or close answered (the call, with its pop): show it on the card. */
  function took(card, result, requestedAt) {
    const call = callOf(card);
    if (result && result.pop) desk.receiveCall(result, requestedAt);
    else if (call && result) {
      desk.advance(call, result.status, result.agent, result.duration);
      if ("agent" in result) desk.takeAgent(call, result.agent);
      desk.place(call, false);
    }
    const current = callOf(card);
    // The button pressed is gone: keep the keyboard on this card, unless the agent already moved
    // on (the call_update may have arrived first, and they are typing in a form).
    if (current && current.el && current.el.isConnected && focusLost()) keepFocusOn(current.el);
  }

  function claim(card) {
    const sid = sidOf(card);
    const requestedAt = Date.now();
    message(card, "");
    return api.claimCall(sid).then((result) => took(card, result, requestedAt), (error) => {
      message(card, error.status === 409 ? error.message : "Could not take this call: " + error.message, "error");
      // Someone else has it: learn who, so the card says so.
      desk.refreshCall(sid).catch(() => {});
    });
  }

  /** "Give back": a call I took (or, for a supervisor, anyone's) is nobody's again. */
  function release(card) {
    const sid = sidOf(card);
    const requestedAt = Date.now();
    message(card, "");
    return api.releaseCall(sid).then((result) => {
      took(card, result, requestedAt);
      const current = callOf(card);
      if (current && current.el) message(current.el, "Given back: a colleague can take it now.", "ok");
    }, (error) => {
      message(card, "Could not give this call back: " + error.message, "error");
      desk.refreshCall(sid).catch(() => {});
    });
  }

  /** A supervisor closes a ghost call (no news, and the provider cannot say what became of it). */
  function closeGhost(card, target) {
    const sid = sidOf(card);
    const requestedAt = Date.now();
    if (target) target.disabled = true;
    message(card, "");
    return api.closeCall(sid).then((result) => took(card, result, requestedAt), (error) => {
      if (target && target.isConnected) target.disabled = false;
      message(card, "Could not close this call: " + error.message, "error");
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
    // An agent with MASK_NUMBERS on sees the caller's number masked: left as shown, the form sends
    // the call_sid instead and the server adds the number; cleared or replaced, it is not added.
    const hidden = call ? hiddenNumber(call.pop) : "";
    const phone = call && call.pop.from ? call.pop.from : hidden;
    const form = openForm(slotIn(card, "customer"), {
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
        const keepHidden = !!hidden && data.phone === hidden;
        const body = { name: data.name || "", phones: data.phone && !keepHidden ? [data.phone] : [] };
        if (keepHidden) body.call_sid = call.pop.call_sid;
        if (data.email) body.email = data.email;
        if (data.tier) body.tier = data.tier;
        return api.createCustomer(body).then((customer) => link(card, customer.id).catch((error) => {
          formMessage(form, "Created " + customer.name + ", but could not link the call: " + error.message);
          throw error;
        }));
      },
    });
    if (hidden && form) {
      const number = form.querySelector('[data-field="phone"]');
      const hint = el("p", "hint field-hint", "Left as shown, the caller's number is kept (it stays hidden from you).");
      hint.id = number.querySelector("input").id + "-hint";
      number.appendChild(hint);
      const input = number.querySelector("input");
      input.setAttribute("aria-describedby", hint.id + " " + input.getAttribute("aria-describedby"));
    }
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
            const first = (c.phone_numbers || [])[0];
            const number = first ? first.display || first.e164 : (c.phones || [])[0];
            item.appendChild(el("span", "candidate-name", c.name + (number ? " · " + number : "")));
            const choose = button("This is " + c.name, "button-small", "pick");
            item.appendChild(choose);
            results.appendChild(item);
          });
          if (!results.isConnected) form.appendChild(results);
        }, (error) => {
          results.textContent = "";  // the last search's results must not sit under this error
          const said = error.fields && (error.fields.q || error.fields.phone);
          if (said) error.fields = { query: said };
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
      discardQuestion: "Discard your note?",
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
          // An ended call stays put with this confirmation until the agent moves on (board.js).
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
    call.lingered = true;  // closed on purpose: straight to Recent, the keyboard to the next call
    desk.place(call, false);
  }

  // ---------------------------------------------------------------- one listener for every card

  const ACTIONS = {
    claim,
    release,
    "close-call": closeGhost,
    "new-customer": newCustomerForm,
    pick,
    find: findForm,
    wrapup: wrapUpForm,
    "wrapup-dismiss": dismissWrapUp,
    ...preferenceActions(records),
    ...complaintActions(records),
    ...promiseActions(records),
    "follow-up-done": followUpActions(followUpRecords)["follow-up-done"],
    ...actions,
  };

  /** Act on `card` as if its `action` button was pressed (clicks, and keys.js). */
  function run(action, card, target) {
    const handler = ACTIONS[action];
    if (!handler || !card) return Promise.resolve();
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

  // The card keys act on follows the keyboard (after focus has landed) and the board's changes.
  let marking = false;
  function scheduleMarks() {
    if (marking) return;
    marking = true;
    setTimeout(() => { marking = false; markTargets(); }, 0);
  }
  document.addEventListener("focusin", scheduleMarks);
  document.addEventListener("focusout", scheduleMarks);
  desk.onChange(scheduleMarks);
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

  /** A line on `card` (keys.js: why a key did nothing there). */
  function say(card, text, kind) { message(card, text, kind); }

  return {
    activeCard, targetCard, focusedCard, mayWork, run, liveCards, closeForm, requestClose, restoreDrafts,
    unsaved, say,
  };
}

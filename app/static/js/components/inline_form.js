/* KnownCaller: a small form opened in place (in a call card, or on the customer page).
 *
 * Fields, a primary button, Cancel; Enter saves (Ctrl+Enter in a textarea), Esc cancels — but a
 * form with typing in it asks first ("Discard your note? Yes, discard / Keep typing"), and typing
 * on goes back into the field. Errors from the server land next to their fields. A saved form closes (unless it is a search, which
 * stays open beside its results). Closing gives the keyboard back to the button that opened the
 * form, else to the card (or other focusable box) around it.
 *
 * A form opened with a `draft` ({store, scope, key, action, owner}: lib/drafts.js) keeps what is
 * typed in it in that store on every keystroke, is marked data-dirty while it differs from what it
 * opened with, picks its draft up again when opened anew (after a reload), and forgets it when
 * saved, cancelled or discarded. `carryForms` moves open forms into a re-rendered copy of their
 * surroundings, so a re-render never throws typing away.
 */
import { sameValues } from "../lib/drafts.js";
import { busy, button, clearErrors, el, field, showErrors } from "../lib/dom.js";

const openers = new WeakMap();
const questions = new WeakMap();  // form -> what Esc asks before throwing its typing away
const drafts = new WeakMap();  // form -> its draft options
const closed = new WeakSet();

/** The attributes that name the item a form in a list is about (its slot follows the item). */
export const ITEM_OWNERS = ["data-complaint-id", "data-preference-id", "data-promise-id", "data-follow-up-id"];

/** The form slot inside a list item (made on first use): a form about that item opens there. */
export function itemSlot(item) {
  let slot = item.querySelector(":scope > .form-slot");
  if (!slot) {
    slot = el("div", "form-slot");
    item.appendChild(slot);
  }
  return slot;
}

/** What the form holds now, untrimmed (a draft keeps the space typed before the next word). */
function rawValues(form) {
  const out = {};
  Array.prototype.forEach.call(form.elements, (input) => {
    if (!input.name || input.type === "file" || input.tagName === "BUTTON") return;
    out[input.name] = input.type === "checkbox" ? input.checked : input.value;
  });
  return out;
}

function fill(form, values) {
  Array.prototype.forEach.call(form.elements, (input) => {
    if (!input.name || !Object.prototype.hasOwnProperty.call(values, input.name)) return;
    if (input.type === "checkbox") input.checked = !!values[input.name];
    else if (input.type !== "file") input.value = String(values[input.name]);
  });
}

/** Forget the form's draft: it was saved, cancelled, or has nowhere left to be. */
function forgetDraft(form) {
  const draft = drafts.get(form);
  if (draft) draft.store.remove(draft.scope, draft.key);
  form.removeAttribute("data-dirty");
}

/** Take the form away without saving it, and its draft with it (no focus moves). */
export function discardForm(form) {
  if (closed.has(form)) return;
  closed.add(form);
  forgetDraft(form);
  form.remove();
}

export function closeForm(form) {
  if (closed.has(form)) return;
  const home = form.parentNode && form.parentNode.closest("[tabindex]");
  const opener = openers.get(form);
  discardForm(form);
  if (opener && opener.isConnected) opener.focus();
  else if (home) home.focus();
}

/** Where the cursor was when Esc asked, so "Keep typing" puts it back. */
const returns = new WeakMap();

function hideDiscardPrompt(form, refocus) {
  const prompt = form.querySelector(":scope > .discard-prompt");
  if (!prompt) return;
  prompt.remove();
  const back = returns.get(form);
  returns.delete(form);
  if (!refocus) return;
  const target = back && back.node.isConnected ? back.node : form.querySelector("input, textarea, select");
  if (!target) return;
  target.focus();
  if (back && back.range) {
    try { target.setSelectionRange(...back.range); } catch (error) { /* not a text field */ }
  }
}

/** Ask, inside the form, before its typing is thrown away; "Keep typing" has the focus. */
function askDiscard(form) {
  const open = form.querySelector(":scope > .discard-prompt");
  if (open) { open.querySelector("[data-keep]").focus(); return; }
  const active = document.activeElement;
  if (active && form.contains(active) && active.tagName !== "BUTTON") {
    let range = null;
    try {
      if (typeof active.selectionStart === "number") range = [active.selectionStart, active.selectionEnd, active.selectionDirection];
    } catch (error) { /* no cursor in this kind of field */ }
    returns.set(form, { node: active, range });
  }
  const prompt = el("div", "discard-prompt");
  prompt.setAttribute("role", "group");
  const question = el("span", "discard-question", questions.get(form) || "Discard what you typed?");
  question.id = "discard-" + Math.random().toString(36).slice(2);
  prompt.setAttribute("aria-labelledby", question.id);
  prompt.appendChild(question);
  const yes = button("Yes, discard", "button-small button-danger");
  yes.setAttribute("data-discard", "");
  yes.addEventListener("click", () => closeForm(form));
  const keep = button("Keep typing", "button-small");
  keep.setAttribute("data-keep", "");
  keep.addEventListener("click", () => hideDiscardPrompt(form, true));
  prompt.appendChild(yes);
  prompt.appendChild(keep);
  const actions = form.querySelector(":scope > .inline-form-actions");
  form.insertBefore(prompt, actions);
  keep.focus();
}

/**
 * Esc, or the desktop's Esc key on a card: close `form` — at once when nothing was typed in it,
 * else only once the agent says so (askDiscard).
 */
export function requestClose(form) {
  if (closed.has(form)) return;
  if (form.hasAttribute("data-dirty")) askDiscard(form);
  else closeForm(form);
}

/** Whether a form inside `root` holds typing that is not saved. */
export function hasUnsavedForm(root) {
  return !!(root && root.querySelector("form.inline-form[data-dirty]"));
}

/** The key of the draft `form` keeps, if it keeps one. */
function draftKeyOf(form) {
  const draft = drafts.get(form);
  return draft ? draft.key : null;
}

function trackDraft(form, draft, initial) {
  drafts.set(form, draft);
  form.setAttribute("data-draft", draft.key);
  const saved = draft.store.load(draft.scope, draft.key);
  if (saved) fill(form, saved.values);
  const track = () => {
    if (closed.has(form)) return;
    const current = rawValues(form);
    if (sameValues(current, initial)) {
      draft.store.remove(draft.scope, draft.key);
      form.removeAttribute("data-dirty");
    } else {
      draft.store.save(draft.scope, draft.key, { values: current, action: draft.action, owner: draft.owner });
      form.setAttribute("data-dirty", "");
    }
  };
  form.addEventListener("input", track);
  form.addEventListener("change", track);
  track();
}

/**
 * A form in `slot` (replacing any form already there).
 * options: {label, title, fields: [field specs], submit, opener, className, hint, focus,
 * extraButtons, keepOpen (stays open once saved), draft, discardQuestion (what Esc asks when there
 * is typing: "Discard your note?"), onSubmit(form) → promise}
 */
export function openForm(slot, options) {
  const existing = slot.querySelector("form");
  if (existing) {
    // Opening the same form again picks up its draft below; another form's typing is let go.
    if (options.draft && draftKeyOf(existing) === options.draft.key) {
      closed.add(existing);
      existing.remove();
    } else {
      discardForm(existing);
    }
  }
  const form = el("form", "inline-form " + (options.className || ""));
  form.noValidate = true;
  form.setAttribute("aria-label", options.label);
  if (options.opener) openers.set(form, options.opener);
  if (options.discardQuestion) questions.set(form, options.discardQuestion);
  if (options.title) form.appendChild(el("p", "inline-form-title", options.title));
  const grid = el("div", "inline-form-fields");
  options.fields.forEach((spec) => grid.appendChild(field(spec)));
  form.appendChild(grid);
  const actions = el("div", "inline-form-actions");
  const save = el("button", "button button-primary button-small", options.submit || "Save");
  save.type = "submit";
  actions.appendChild(save);
  (options.extraButtons || []).forEach((b) => actions.appendChild(b));
  const cancel = button("Cancel", "button-small button-ghost");
  cancel.addEventListener("click", () => closeForm(form));
  actions.appendChild(cancel);
  actions.appendChild(el("span", "key-hint", options.hint || "Enter saves · Esc cancels"));
  form.appendChild(actions);
  form.addEventListener("input", () => hideDiscardPrompt(form, false));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    hideDiscardPrompt(form, false);
    clearErrors(form);
    busy(form, Promise.resolve().then(() => options.onSubmit(form))).then(() => {
      if (!options.keepOpen) closeForm(form);
    }, (error) => {
      if (form.isConnected) showErrors(form, error);
      else console.warn("[knowncaller]", error);
    });
  });
  form.addEventListener("keydown", (event) => {
    const asking = form.querySelector(":scope > .discard-prompt");
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      if (asking) hideDiscardPrompt(form, true);  // a second Esc: no, keep it
      else requestClose(form);
    } else if (asking && asking.contains(event.target) && event.key.length === 1 &&
               !event.ctrlKey && !event.metaKey && !event.altKey) {
      // Typing on while asked: back to the field, which takes this very key; no shortcut fires.
      event.stopPropagation();
      hideDiscardPrompt(form, true);
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  if (options.draft) trackDraft(form, options.draft, rawValues(form));
  slot.appendChild(form);
  const first = form.querySelector(options.focus || "input, textarea, select");
  if (first) first.focus();
  return form;
}

/** The slot in `to` that stands where `slot` stood in the render it replaces. */
function matchingSlot(slot, to) {
  const named = Array.from(slot.classList).find((name) => name.indexOf("form-slot-") === 0);
  if (named) return to.querySelector("." + CSS.escape(named));
  const attr = ITEM_OWNERS.find((name) => slot.parentNode && slot.parentNode.hasAttribute(name));
  if (!attr) return null;
  const owner = to.querySelector("[" + attr + '="' + CSS.escape(slot.parentNode.getAttribute(attr)) + '"]');
  if (!owner) return null;  // the item is gone (a colleague resolved that complaint)
  let found = owner.querySelector(":scope > .form-slot");
  if (!found) {
    found = el("div", "form-slot");
    owner.appendChild(found);
  }
  return found;
}

/**
 * Move the forms open in `from` to the same places in `to`, a new render of the same content,
 * with everything typed in them; forms with no place left in `to` are discarded. Call the
 * returned function once `to` is in the page: it gives the focus and the cursor back.
 */
export function carryForms(from, to) {
  const active = document.activeElement;
  let focus = null;
  from.querySelectorAll("form.inline-form").forEach((form) => {
    const target = matchingSlot(form.parentNode, to);
    if (!target) { discardForm(form); return; }
    if (active && form.contains(active)) {
      focus = { node: active, range: null };
      try {
        if (typeof active.selectionStart === "number") {
          focus.range = [active.selectionStart, active.selectionEnd, active.selectionDirection];
        }
      } catch (error) { /* no cursor in this kind of field */ }
    }
    target.appendChild(form);
  });
  return () => {
    if (!focus || !focus.node.isConnected) return;
    focus.node.focus({ preventScroll: true });
    if (focus.range) {
      try { focus.node.setSelectionRange(...focus.range); } catch (error) { /* not a text field */ }
    }
  };
}

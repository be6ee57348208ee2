/* KnownCaller: a customer's preferences ("Remember this": add, edit, remove), one implementation
 * for the desktop's call card and the customer page.
 *
 * `preferencesBlock` renders the list and the slot its forms open in; buttons carry data-action
 * names (remember, preference-edit, preference-remove) and `preferenceActions(host)` answers them.
 * The host is the page: it says which customer a scope (a card, the page) shows, where a message
 * goes and how to read the customer again after a change.
 */
import * as api from "../lib/api.js";
import { button, el, values } from "../lib/dom.js";
import { openForm } from "./inline_form.js";

/** The form slot and the list (or "None recorded."); tools only when `editable`. */
export function preferencesBlock(preferences, { editable }) {
  const block = document.createDocumentFragment();
  block.appendChild(el("div", "form-slot form-slot-preference"));
  if (!preferences.length) {
    block.appendChild(el("p", "muted", "None recorded."));
    return block;
  }
  // A list of pairs: each item is a dl of one dt and one dd, its tools beside the dl (a dl may
  // hold only dt and dd, or divs of them).
  const list = el("ul", "preference-list");
  preferences.forEach((p) => {
    const row = el("li", "preference");
    row.setAttribute("data-preference-id", String(p.id));
    const pair = el("dl", "preference-pair");
    pair.appendChild(el("dt", null, p.key));
    pair.appendChild(el("dd", null, p.value));
    row.appendChild(pair);
    if (editable) {
      const tools = el("span", "preference-tools");
      const edit = button("✎", "button-icon", "preference-edit");
      edit.setAttribute("aria-label", "Edit " + p.key);
      const remove = button("×", "button-icon", "preference-remove");
      remove.setAttribute("aria-label", "Remove " + p.key);
      tools.appendChild(edit);
      tools.appendChild(remove);
      row.appendChild(tools);
    }
    list.appendChild(row);
  });
  block.appendChild(list);
  return block;
}

/** A removal that was not confirmed goes back to normal when focus leaves its button. */
export function resetUnconfirmedRemovals(root) {
  root.addEventListener("focusout", (event) => {
    const target = event.target;
    if (target.matches && target.matches('[data-action="preference-remove"][data-confirm]')) {
      target.removeAttribute("data-confirm");
      target.textContent = "×";
      target.classList.remove("button-danger");
      const row = target.closest("[data-preference-id]");
      if (row) target.setAttribute("aria-label", "Remove " + row.querySelector("dt").textContent);
    }
  });
}

/**
 * The handlers, each (scope, button) → promise | undefined.
 * host: {customerOf(scope), message(scope, text, kind), refresh(scope, customerId), draft(scope,
 * action, owner)?} — `draft`, when the host keeps drafts, gives each form's (inline_form.js).
 */
export function preferenceActions(host) {
  function preferenceOf(scope, node) {
    const row = node.closest("[data-preference-id]");
    const id = Number(row.getAttribute("data-preference-id"));
    const customer = host.customerOf(scope);
    return ((customer && customer.preferences) || []).find((p) => p.id === id) ||
      { id, key: row.querySelector("dt").textContent, value: row.querySelector("dd").textContent };
  }

  function preferenceForm(scope, opener, preference) {
    const customer = host.customerOf(scope);
    if (!customer) return;
    openForm(scope.querySelector(".form-slot-preference"), {
      label: preference ? "Edit preference" : "Remember this", opener,
      submit: preference ? "Save" : "Remember",
      draft: host.draft ? (preference
        ? host.draft(scope, "preference-edit", { attr: "data-preference-id", id: preference.id })
        : host.draft(scope, "remember", null)) : undefined,
      className: "inline-form-row",
      fields: [
        { name: "key", label: "What", placeholder: "e.g. callbacks", value: preference && preference.key, maxlength: 100 },
        { name: "value", label: "Preference", placeholder: "e.g. evenings after 6", value: preference && preference.value, maxlength: 500 },
      ],
      onSubmit(form) {
        const data = values(form, true);
        const body = { key: data.key, value: data.value };
        const saved = preference ? api.updatePreference(preference.id, body) : api.addPreference(customer.id, body);
        return saved.then(() => {
          host.message(scope, preference ? "Preference updated." : "Remembered: " + data.key + " — " + data.value, "ok");
          return host.refresh(scope, customer.id);
        });
      },
    });
  }

  /** Remove asks once more on the button itself: a second press (or Enter) removes. */
  function removePreference(scope, target) {
    const preference = preferenceOf(scope, target);
    if (!target.hasAttribute("data-confirm")) {
      target.setAttribute("data-confirm", "");
      target.textContent = "Remove?";
      target.classList.add("button-danger");
      target.setAttribute("aria-label", "Confirm removing " + preference.key);
      return Promise.resolve();
    }
    target.disabled = true;
    const customer = host.customerOf(scope);
    return api.deletePreference(preference.id).then(() => {
      host.message(scope, "Removed " + preference.key + ".", "ok");
      return host.refresh(scope, customer && customer.id);
    }, (error) => {
      target.disabled = false;
      host.message(scope, "Could not remove " + preference.key + ": " + error.message, "error");
      throw error;
    });
  }

  return {
    remember: (scope, target) => preferenceForm(scope, target, null),
    "preference-edit": (scope, target) => preferenceForm(scope, target, preferenceOf(scope, target)),
    "preference-remove": (scope, target) => removePreference(scope, target),
  };
}

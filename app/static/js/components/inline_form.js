/* KnownCaller: a small form opened in place (in a call card, or on the customer page).
 *
 * Fields, a primary button, Cancel; Enter saves (Ctrl+Enter in a textarea), Esc cancels. Errors
 * from the server land next to their fields. Closing gives the keyboard back to the button that
 * opened the form, else to the card (or other focusable box) around it.
 */
import { busy, button, clearErrors, el, field, showErrors } from "../lib/dom.js";

const openers = new WeakMap();

export function closeForm(form) {
  const home = form.parentNode && form.parentNode.closest("[tabindex]");
  const opener = openers.get(form);
  form.remove();
  if (opener && opener.isConnected) opener.focus();
  else if (home) home.focus();
}

/**
 * A form in `slot` (replacing any form already there).
 * options: {label, title, fields: [field specs], submit, opener, className, hint, focus,
 * extraButtons, onSubmit(form) → promise}
 */
export function openForm(slot, options) {
  const existing = slot.querySelector("form");
  if (existing) existing.remove();
  const form = el("form", "inline-form " + (options.className || ""));
  form.noValidate = true;
  form.setAttribute("aria-label", options.label);
  if (options.opener) openers.set(form, options.opener);
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
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(form, Promise.resolve().then(() => options.onSubmit(form))).catch((error) => {
      if (form.isConnected) showErrors(form, error);
      else console.warn("[knowncaller]", error);
    });
  });
  form.addEventListener("keydown", (event) => {
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
  const first = form.querySelector(options.focus || "input, textarea, select");
  if (first) first.focus();
  return form;
}

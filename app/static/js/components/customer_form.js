/* KnownCaller: the customer form, shared by /customers/new and the customer page.
 *
 * Name, every number (add and remove rows), email, tier and external id. The server checks and
 * normalises the numbers; its messages land next to the field they are about. Numbers show as
 * people read them (`display`); one left as shown is sent as the E.164 it was read as. The form
 * carries `data-dirty` while it differs from what it was built with.
 *
 * Masked numbers (MASK_NUMBERS, SPEC §13: an agent gets `e164` null and `display` like
 * "(415) •••-••00") are read-only rows: Remove takes one off, and one left in is sent back as the
 * masked text it shows, which the server reads as "keep this number". The caller's number of a
 * call the agent may not see whole (`settings.callerNumber`, /customers/new) is such a row too: left
 * in, the body carries the call's `call_sid` instead, and the server adds the number itself.
 */
import { constants } from "../lib/constants.js";
import { busy, button, clearErrors, el, field, options, showErrors, values } from "../lib/dom.js";
import { tierLabel } from "../lib/format.js";

/**
 * `number` is a stored {e164, display}, a masked one ({e164: null, display}), the hidden caller's
 * number of a call ({display, callSid}) or text typed elsewhere (a `?phone=` to prefill).
 */
function phoneRow(list, number, errorId, hintId) {
  const row = el("div", "phone-row");
  const stored = number && typeof number === "object" ? number : null;
  const masked = !!stored && !stored.e164;
  const wrap = field({
    name: "phone", label: "Number", type: "tel", autocomplete: "off",
    value: stored ? (stored.display || stored.e164) : (number || ""),
  });
  wrap.querySelector("label").classList.add("visually-hidden");
  const input = wrap.querySelector("input");
  input.classList.add("phone-input");
  // The numbers share one message line, under the list.
  input.setAttribute("aria-describedby", errorId);
  if (stored && stored.e164) {
    input.setAttribute("data-e164", stored.e164);
    input.setAttribute("data-shown", input.value);
    input.title = stored.e164;
  } else if (masked) {
    // Its hidden digits cannot be edited, only kept (left as shown) or removed.
    input.readOnly = true;
    input.setAttribute("data-masked", "");
    if (stored.callSid) input.setAttribute("data-from-call", stored.callSid);
    input.setAttribute("aria-describedby", hintId + " " + errorId);
    row.classList.add("phone-row-masked");
  }
  wrap.querySelector(".field-error").remove();
  row.appendChild(wrap);
  const remove = button("Remove", "button-small button-ghost");
  remove.setAttribute("aria-label", "Remove this number");
  remove.addEventListener("click", function () {
    const form = row.closest("form");
    row.remove();
    showMaskedHint(list);
    const first = list.querySelector(".phone-input");
    if (first) first.focus();
    if (form) form.dispatchEvent(new Event("input"));
  });
  row.appendChild(remove);
  list.appendChild(row);
  return input;
}

/** The line under the numbers that says what a masked row means, shown while there is one. */
function showMaskedHint(list) {
  const hint = list.parentNode && list.parentNode.querySelector(".phone-masked-hint");
  if (!hint) return;
  const fromCall = list.querySelector("[data-from-call]");
  hint.textContent = fromCall
    ? "The caller's number, " + fromCall.value + ", is added when you save (it stays hidden from you)."
    : "Numbers shown with • are kept as they are when you save; Remove takes one off.";
  hint.hidden = !list.querySelector("[data-masked]");
}

/**
 * What the form would send now: numbers left as shown go as their E.164, so nothing looks changed;
 * masked ones as the masked text; the hidden caller's number as the call's `call_sid`.
 */
export function customerBody(form) {
  const data = values(form, true);
  const inputs = Array.from(form.querySelectorAll(".phone-input"));
  const fromCall = inputs.find((input) => input.hasAttribute("data-from-call"));
  const body = {
    name: data.name,
    phones: inputs.filter((input) => input !== fromCall).map(function (input) {
      const text = input.value.trim();
      return input.hasAttribute("data-e164") && text === input.getAttribute("data-shown")
        ? input.getAttribute("data-e164") : text;
    }).filter(Boolean),
    email: data.email || null,
    tier: data.tier,
    external_id: data.external_id || null,
  };
  if (fromCall) body.call_sid = fromCall.getAttribute("data-from-call");
  return body;
}

/** The server names a bad number by what was typed ("'abc' is not…"): mark that row, not the first. */
function markBadNumbers(form, message) {
  const inputs = Array.from(form.querySelectorAll(".phone-input"));
  const named = inputs.filter((input) => input.value.trim() && message.indexOf("'" + input.value.trim() + "'") !== -1);
  if (!named.length) return;
  const hadFocus = inputs.indexOf(document.activeElement) !== -1;
  inputs.forEach((input) => input.toggleAttribute("aria-invalid", named.indexOf(input) !== -1));
  named.forEach((input) => input.setAttribute("aria-invalid", "true"));
  if (hadFocus) named[0].focus();
}

function markDirty(form) {
  const dirty = JSON.stringify(customerBody(form)) !== form.getAttribute("data-clean");
  form.toggleAttribute("data-dirty", dirty);
}

/** Ask before leaving the page while `form` holds edits not yet saved. */
export function warnBeforeLeaving(form) {
  window.addEventListener("beforeunload", function (event) {
    if (!form.hasAttribute("data-dirty")) return;
    event.preventDefault();
    event.returnValue = "";
  });
}

/**
 * Fill `form` with the customer fields (values from `customer`, if any) and call
 * `settings.onSubmit(body, form)` with the JSON body on submit; it returns a promise.
 */
export function buildCustomerForm(form, customer, settings) {
  customer = customer || {};
  form.textContent = "";
  form.noValidate = true;
  const grid = el("div", "form-grid");
  grid.appendChild(field({ name: "name", label: "Name", value: customer.name, autocomplete: "off", maxlength: 200 }));
  grid.appendChild(field({ name: "email", label: "Email", type: "email", value: customer.email, autocomplete: "off" }));
  grid.appendChild(field({
    name: "tier", label: "Tier", type: "select", options: options(constants().tiers, tierLabel),
    value: customer.tier || "standard",
  }));
  grid.appendChild(field({ name: "external_id", label: "External id", value: customer.external_id, autocomplete: "off" }));

  const phones = el("div", "field field-wide");
  phones.setAttribute("data-field", "phones");
  phones.appendChild(el("span", "field-label", "Numbers"));
  const list = el("div", "phone-rows");
  const error = el("span", "field-error");
  error.id = "customer-phones-error-" + (form.id || "form");
  const hint = el("p", "hint phone-masked-hint");
  hint.id = "customer-phones-hint-" + (form.id || "form");
  const stored = customer.phone_numbers && customer.phone_numbers.length ? customer.phone_numbers : null;
  const given = (customer.phones && customer.phones.length) ? customer.phones
    : [settings.callerNumber || settings.phone || ""];
  (stored || given).forEach(function (number) { phoneRow(list, number, error.id, hint.id); });
  phones.appendChild(list);
  phones.appendChild(hint);
  showMaskedHint(list);
  const add = button("Add a number", "button-small button-ghost");
  add.addEventListener("click", function () { phoneRow(list, "", error.id, hint.id).focus(); });
  phones.appendChild(add);
  error.setAttribute("data-error-for", "phones");
  error.setAttribute("aria-live", "polite");
  phones.appendChild(error);
  grid.appendChild(phones);
  form.appendChild(grid);

  const actions = el("div", "form-actions");
  const save = el("button", "button button-primary", settings.submitLabel || "Save");
  save.type = "submit";
  actions.appendChild(save);
  const status = el("span", "status-line");
  status.setAttribute("role", "status");
  actions.appendChild(status);
  form.appendChild(actions);

  form.onsubmit = function (event) {
    event.preventDefault();
    clearErrors(form);
    status.textContent = "";
    busy(form, settings.onSubmit(customerBody(form), form)).then(function (message) {
      // The form may have been rebuilt with what was stored: write to the line it has now.
      const line = form.querySelector(".form-actions [role=status]");
      if (message && line) line.textContent = message;
    }, function (error) {
      showErrors(form, error);
      if (error.fields && error.fields.phones) markBadNumbers(form, [].concat(error.fields.phones).join(" "));
    });
  };
  form.setAttribute("data-clean", JSON.stringify(customerBody(form)));
  form.removeAttribute("data-dirty");
  form.oninput = function () { markDirty(form); };
  form.onchange = function () { markDirty(form); };
  return form;
}


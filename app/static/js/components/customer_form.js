/* KnownCaller: the customer form, shared by /customers/new and the customer page.
 *
 * Name, every number (add and remove rows), email, tier and external id. The server checks and
 * normalises the numbers; its messages land next to the field they are about.
 */
import { constants } from "../lib/constants.js";
import { busy, button, clearErrors, el, field, options, showErrors, values } from "../lib/dom.js";
import { tierLabel } from "../lib/format.js";

function phoneRow(list, value) {
  const row = el("div", "phone-row");
  const number = field({ name: "phone", label: "Number", type: "tel", value: value || "", autocomplete: "off" });
  number.querySelector("label").classList.add("visually-hidden");
  number.querySelector("input").classList.add("phone-input");
  number.querySelector(".field-error").remove();
  row.appendChild(number);
  const remove = button("Remove", "button-small button-ghost");
  remove.setAttribute("aria-label", "Remove this number");
  remove.addEventListener("click", function () {
    row.remove();
    const first = list.querySelector(".phone-input");
    if (first) first.focus();
  });
  row.appendChild(remove);
  list.appendChild(row);
  return number.querySelector("input");
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
  const numbers = (customer.phones && customer.phones.length) ? customer.phones : [settings.phone || ""];
  numbers.forEach(function (number) { phoneRow(list, number); });
  phones.appendChild(list);
  const add = button("Add a number", "button-small button-ghost");
  add.addEventListener("click", function () { phoneRow(list, "").focus(); });
  phones.appendChild(add);
  const error = el("span", "field-error");
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
    const data = values(form, true);
    const body = {
      name: data.name,
      phones: Array.prototype.map.call(form.querySelectorAll(".phone-input"), function (input) {
        return input.value.trim();
      }).filter(Boolean),
      email: data.email || null,
      tier: data.tier,
      external_id: data.external_id || null,
    };
    busy(form, settings.onSubmit(body, form)).then(function (message) {
      // The form may have been rebuilt with what was stored: write to the line it has now.
      const line = form.querySelector(".form-actions [role=status]");
      if (message && line) line.textContent = message;
    }, function (error) {
      showErrors(form, error);
      // A bad number is about the numbers: put the cursor in the list.
      if (error.fields && error.fields.phones) {
        const first = form.querySelector(".phone-input");
        if (first) first.focus();
      }
    });
  };
  return form;
}


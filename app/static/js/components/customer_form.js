/* KnownCaller: the customer form, shared by /customers/new and the customer page.
 *
 * Name, every number (add and remove rows), email, tier and external id. The server checks and
 * normalises the numbers; its messages land next to the field they are about.
 */
(function () {
  "use strict";

  var KC = window.KC;
  var el = KC.el;

  function phoneRow(list, value) {
    var row = el("div", "phone-row");
    var field = KC.field({ name: "phone", label: "Number", type: "tel", value: value || "", autocomplete: "off" });
    field.querySelector("label").classList.add("visually-hidden");
    field.querySelector("input").classList.add("phone-input");
    field.querySelector(".field-error").remove();
    row.appendChild(field);
    var remove = KC.button("Remove", "button-small button-ghost");
    remove.setAttribute("aria-label", "Remove this number");
    remove.addEventListener("click", function () {
      row.remove();
      var first = list.querySelector(".phone-input");
      if (first) first.focus();
    });
    row.appendChild(remove);
    list.appendChild(row);
    return field.querySelector("input");
  }

  /**
   * Fill `form` with the customer fields (values from `customer`, if any) and call
   * `options.onSubmit(body, form)` with the JSON body on submit; it returns a promise.
   */
  function build(form, customer, options) {
    customer = customer || {};
    form.textContent = "";
    form.noValidate = true;
    var grid = el("div", "form-grid");
    grid.appendChild(KC.field({ name: "name", label: "Name", value: customer.name, autocomplete: "off", maxlength: 200 }));
    grid.appendChild(KC.field({ name: "email", label: "Email", type: "email", value: customer.email, autocomplete: "off" }));
    grid.appendChild(KC.field({
      name: "tier", label: "Tier", type: "select", options: KC.options(KC.TIERS, KC.TIER_LABELS),
      value: customer.tier || "standard"
    }));
    grid.appendChild(KC.field({ name: "external_id", label: "External id", value: customer.external_id, autocomplete: "off" }));

    var phones = el("div", "field field-wide");
    phones.setAttribute("data-field", "phones");
    phones.appendChild(el("span", "field-label", "Numbers"));
    var list = el("div", "phone-rows");
    var numbers = (customer.phones && customer.phones.length) ? customer.phones : [options.phone || ""];
    numbers.forEach(function (number) { phoneRow(list, number); });
    phones.appendChild(list);
    var add = KC.button("Add a number", "button-small button-ghost");
    add.addEventListener("click", function () { phoneRow(list, "").focus(); });
    phones.appendChild(add);
    var error = el("span", "field-error");
    error.setAttribute("data-error-for", "phones");
    error.setAttribute("aria-live", "polite");
    phones.appendChild(error);
    grid.appendChild(phones);
    form.appendChild(grid);

    var actions = el("div", "form-actions");
    var save = el("button", "button button-primary", options.submitLabel || "Save");
    save.type = "submit";
    actions.appendChild(save);
    var status = el("span", "status-line");
    status.setAttribute("role", "status");
    actions.appendChild(status);
    form.appendChild(actions);

    form.onsubmit = function (event) {
      event.preventDefault();
      KC.clearErrors(form);
      status.textContent = "";
      var values = KC.values(form, true);
      var body = {
        name: values.name,
        phones: Array.prototype.map.call(form.querySelectorAll(".phone-input"), function (input) {
          return input.value.trim();
        }).filter(Boolean),
        email: values.email || null,
        tier: values.tier,
        external_id: values.external_id || null
      };
      KC.busy(form, options.onSubmit(body, form)).then(function (message) {
        // The form may have been rebuilt with what was stored: write to the line it has now.
        var line = form.querySelector(".form-actions [role=status]");
        if (message && line) line.textContent = message;
      }, function (error) {
        KC.showErrors(form, error);
        // A bad number is about the numbers: put the cursor in the list.
        if (error.fields && error.fields.phones) {
          var first = form.querySelector(".phone-input");
          if (first) first.focus();
        }
      });
    };
    return form;
  }

  window.KCCustomerForm = { build: build };
})();

/* KnownCaller: /customers/new — create a customer; `?phone=` prefills the number and `?call_sid=`
 * links that call to the new customer (every desktop then shows their pop). */
(function () {
  "use strict";

  var KC = window.KC;
  var page = document.getElementById("customer-new-page");
  var form = document.getElementById("customer-new-form");
  if (!page || !form) return;
  var callSid = page.getAttribute("data-call-sid");

  window.KCCustomerForm.build(form, null, {
    phone: page.getAttribute("data-phone"),
    submitLabel: callSid ? "Create and link the call" : "Create customer",
    onSubmit: function (body) {
      return KC.api("POST", "/customers", body).then(function (customer) {
        var next = "/customers/" + encodeURIComponent(customer.id);
        if (!callSid) { window.location.assign(next); return "Created."; }
        return KC.api("PATCH", "/calls/" + encodeURIComponent(callSid), { customer_id: customer.id })
          .then(function () { window.location.assign(next); return "Created and linked."; }, function (error) {
            // The customer exists now; say so rather than invite a second one.
            window.location.assign(next + "?link_failed=" + encodeURIComponent(error.message));
            return "Created.";
          });
      });
    }
  });
  var name = form.querySelector('[name="name"]');
  if (name) name.focus();
})();

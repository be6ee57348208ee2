/* KnownCaller: /customers/new — create a customer; `?phone=` prefills the number and `?call_sid=`
 * links that call to the new customer (every desktop then shows their pop). */
import * as api from "../lib/api.js";
import { buildCustomerForm, warnBeforeLeaving } from "../components/customer_form.js";

const page = document.getElementById("customer-new-page");
const form = document.getElementById("customer-new-form");

function start() {
  const callSid = page.getAttribute("data-call-sid");
  buildCustomerForm(form, null, {
    phone: page.getAttribute("data-phone"),
    submitLabel: callSid ? "Create and link the call" : "Create customer",
    onSubmit(body) {
      // A blank name is left out, so the answer says it is required (and not a length to keep to).
      if (!body.name) delete body.name;
      return api.createCustomer(body).then((customer) => {
        // Saved: leaving for the customer's page (which says whose numbers these also are) loses nothing.
        form.removeAttribute("data-dirty");
        const next = "/customers/" + encodeURIComponent(customer.id);
        if (!callSid) { window.location.assign(next); return "Created."; }
        return api.updateCall(callSid, { customer_id: customer.id })
          .then(() => { window.location.assign(next); return "Created and linked."; }, (error) => {
            // The customer exists now; say so rather than invite a second one.
            window.location.assign(next + "?link_failed=" + encodeURIComponent(error.message));
            return "Created.";
          });
      });
    },
  });
  const name = form.querySelector('[name="name"]');
  if (name) name.focus();
  warnBeforeLeaving(form);
}

if (page && form) start();

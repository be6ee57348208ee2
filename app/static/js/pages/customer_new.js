/* KnownCaller: /customers/new — create a customer; `?phone=` prefills the number and `?call_sid=`
 * links that call to the new customer (every desktop then shows their pop). A call whose number
 * the agent only sees masked (MASK_NUMBERS) comes without `?phone=`: the page reads the call and
 * offers its masked number as a row that, left in, has the server add the caller's number. */
import * as api from "../lib/api.js";
import { hiddenNumber } from "../lib/calls.js";
import { buildCustomerForm, warnBeforeLeaving } from "../components/customer_form.js";

const page = document.getElementById("customer-new-page");
const form = document.getElementById("customer-new-form");

function start(callerNumber) {
  const callSid = page.getAttribute("data-call-sid");
  buildCustomerForm(form, null, {
    phone: page.getAttribute("data-phone"),
    callerNumber,
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

/** The call's number as this user sees it masked, {display, callSid}, or null (none, or whole). */
function callerNumberOf(callSid) {
  if (!callSid || page.getAttribute("data-phone")) return Promise.resolve(null);
  return api.getCall(callSid).then((call) => {
    const shown = hiddenNumber((call && call.pop) || {});
    return shown ? { display: shown, callSid } : null;
  }, () => null);  // the call cannot be read: the form simply starts without its number
}

if (page && form) callerNumberOf(page.getAttribute("data-call-sid")).then(start);

/* KnownCaller: what we promised a customer (SPEC §10), one implementation for the desktop's call
 * card and the customer page.
 *
 * `promisesBlock` renders the open promises (soonest due first; overdue ones in red, and saying
 * so) and the slot the new-promise form opens in; `promiseItem` renders one, open or past. Buttons
 * carry data-action names (promise-new, promise-kept, promise-broken) and `promiseActions(host)`
 * answers them; the host is the page (see preferences.js), which may also say which call a
 * promise is made on.
 */
import * as api from "../lib/api.js";
import { isOverdue, promiseStatusLabel, soonestDue } from "../lib/care.js";
import { button, el, values } from "../lib/dom.js";
import { dateTime, dueText, endOfDay, shortDate } from "../lib/format.js";
import { openForm } from "./inline_form.js";

function person(p) { return p && p.name ? p.name : null; }

/** One promise. `editable` adds Kept and Broken (an open one); `detail` (the customer page) adds
 *  when and on which call it was made. */
export function promiseItem(p, { editable = false, detail = false } = {}) {
  const id = p.id || p.promise_id;
  const open = !p.status || p.status === "open";
  const overdue = open && isOverdue(p);
  const item = el("li", "promise" + (overdue ? " promise-overdue" : "") + (open ? "" : " promise-" + p.status));
  item.setAttribute("data-promise-id", String(id));
  const top = el("div", "promise-top");
  if (overdue) top.appendChild(el("span", "badge badge-overdue", "Overdue"));
  else if (!open) top.appendChild(el("span", "badge badge-promise-" + p.status, promiseStatusLabel(p.status)));
  top.appendChild(el("span", "promise-text", p.text));
  item.appendChild(top);
  const meta = el("div", "promise-meta");
  if (p.due_at) {
    const by = el("span", "due", "by " + shortDate(p.due_at) + (open ? " · " + dueText(p.due_at) : ""));
    by.title = dateTime(p.due_at);
    meta.appendChild(by);
  }
  const who = person(p.made_by);
  if (who) meta.appendChild(el("span", "made-by", "promised by " + who));
  if (detail && p.made_at) meta.appendChild(el("span", null, "on " + dateTime(p.made_at)));
  if (editable && open) {
    const tools = el("span", "row-tools");
    // The visible word starts the accessible name (WCAG 2.5.3); the rest says which promise.
    const kept = button("Kept", "button-small button-ghost button-kept", "promise-kept");
    kept.setAttribute("aria-label", "Kept: " + p.text);
    const broken = button("Broken", "button-small button-ghost button-broken", "promise-broken");
    broken.setAttribute("aria-label", "Broken: " + p.text);
    tools.appendChild(kept);
    tools.appendChild(broken);
    meta.appendChild(tools);
  }
  item.appendChild(meta);
  return item;
}

/** The new-promise slot and the open promises; "None open." only when `empty` says so. */
export function promisesBlock(promises, { editable, detail = false, empty = null }) {
  const block = document.createDocumentFragment();
  block.appendChild(el("div", "form-slot form-slot-promise"));
  const open = soonestDue((promises || []).filter((p) => !p.status || p.status === "open"));
  if (!open.length) {
    if (empty) block.appendChild(el("p", "muted", empty));
    return block;
  }
  const list = el("ul", "promise-list");
  open.forEach((p) => list.appendChild(promiseItem(p, { editable, detail })));
  block.appendChild(list);
  return block;
}

/**
 * The handlers, each (scope, button) → promise | undefined.
 * host: {customerOf(scope), callSidOf(scope), message(scope, text, kind), refresh(scope, customerId),
 * draft(scope, action, owner)?}.
 */
export function promiseActions(host) {
  function promiseOf(scope, node) {
    const item = node.closest("[data-promise-id]");
    const id = Number(item.getAttribute("data-promise-id"));
    const customer = host.customerOf(scope);
    const found = ((customer && customer.promises) || []).find((p) => p.id === id);
    const text = item.querySelector(".promise-text");
    return found || { id, text: text ? text.textContent : "" };
  }

  function newPromiseForm(scope, opener) {
    const customer = host.customerOf(scope);
    if (!customer) return;
    openForm(scope.querySelector(".form-slot-promise"), {
      label: "New promise", submit: "Promise", opener,
      draft: host.draft ? host.draft(scope, "promise-new", null) : undefined,
      discardQuestion: "Discard this promise?",
      fields: [
        { name: "text", label: "What we promised", placeholder: "e.g. refund the delivery fee", maxlength: 500 },
        { name: "due_at", label: "By", type: "date" },
      ],
      onSubmit(form) {
        const data = values(form);
        const body = { text: data.text || "" };
        // "By 3 Dec" means all of the 3rd, where the agent is.
        if (data.due_at) body.due_at = endOfDay(data.due_at);
        const callSid = host.callSidOf(scope);
        if (callSid) body.call_sid = callSid;
        return api.addPromise(customer.id, body).then((promise) => {
          host.message(scope, "Promised: " + ((promise && promise.text) || body.text) +
            (promise && promise.due_at ? ", by " + shortDate(promise.due_at) : "") + ".", "ok");
          return host.refresh(scope, customer.id);
        });
      },
    });
  }

  function settle(scope, target, status) {
    const promise = promiseOf(scope, target);
    const customer = host.customerOf(scope);
    target.disabled = true;
    return api.updatePromise(promise.id, { status }).then(() => {
      host.message(scope, (status === "kept" ? "Kept: " : "Broken: ") + promise.text + ".", "ok");
      return host.refresh(scope, customer && customer.id);
    }, (error) => {
      if (target.isConnected) target.disabled = false;
      host.message(scope, "Could not mark “" + promise.text + "” " + status + ": " + error.message, "error");
      throw error;
    });
  }

  return {
    "promise-new": (scope, target) => newPromiseForm(scope, target),
    "promise-kept": (scope, target) => settle(scope, target, "kept"),
    "promise-broken": (scope, target) => settle(scope, target, "broken"),
  };
}

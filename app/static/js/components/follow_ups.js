/* KnownCaller: the follow-ups someone owes a customer (SPEC §10), one implementation for the
 * desktop's call card, its "My follow-ups" panel and the customer page.
 *
 * `followUpsBlock` renders the open ones (soonest due first; overdue ones in red, and saying so)
 * and the slot the new-follow-up form opens in; `followUpItem` renders one. Buttons carry
 * data-action names (follow-up-done, follow-up-new) and `followUpActions(host)` answers them:
 * closing one asks what came of it (the outcome is required). The host is the page (see
 * preferences.js); in the panel the scope holds follow-ups of many customers, so each item says
 * whose it is (data-customer-id).
 */
import * as api from "../lib/api.js";
import { followUpReasonLabel, isOverdue, soonestDue } from "../lib/care.js";
import { button, el, link, values } from "../lib/dom.js";
import { dateTime, dueText, endOfDay } from "../lib/format.js";
import { itemSlot, openForm } from "./inline_form.js";

/**
 * One follow-up. `editable` adds Done (an open one). `customerUrl` (the panel) leads with the
 * customer's name, a link to their record; `me` ({id}) says "you" for my own; `detail` (the
 * customer page) adds when it was opened and who owns it.
 */
export function followUpItem(f, { editable = false, customerUrl = null, me = null, detail = false, past = false } = {}) {
  const id = f.id || f.follow_up_id;
  const open = !f.status || f.status === "open";
  const overdue = open && isOverdue(f);
  const item = el("li", "follow-up" + (overdue ? " follow-up-overdue" : "") + (open ? "" : " follow-up-done"));
  item.setAttribute("data-follow-up-id", String(id));
  if (f.customer_id) item.setAttribute("data-customer-id", String(f.customer_id));
  const top = el("div", "follow-up-top");
  if (overdue) top.appendChild(el("span", "badge badge-overdue", "Overdue"));
  if (customerUrl && f.customer_id) {
    const name = link(customerUrl + encodeURIComponent(f.customer_id), f.customer_name || "Customer #" + f.customer_id,
      "follow-up-customer");
    // A record opens in a tab of its own: the desktop and what is typed in it stay.
    name.setAttribute("target", "_blank");
    name.setAttribute("rel", "noopener noreferrer");
    top.appendChild(name);
  } else if (customerUrl) {
    top.appendChild(el("span", "follow-up-customer", f.customer_name || "Caller not yet known"));
  }
  top.appendChild(el("span", "follow-up-reason", followUpReasonLabel(f.reason)));
  item.appendChild(top);
  // What it is about, in the words of whoever opened it, before when and whose.
  if (f.note) item.appendChild(el("p", "follow-up-note", f.note));
  const meta = el("div", "follow-up-meta");
  if (open && f.due_at) {
    const due = el("span", "due", dueText(f.due_at));
    due.title = dateTime(f.due_at);
    meta.appendChild(due);
  }
  if (!open) meta.appendChild(el("span", null, "done"));
  if (f.owner && (detail || !me || f.owner.id !== me.id)) {
    meta.appendChild(el("span", "follow-up-owner", me && f.owner.id === me.id ? "yours" : "owner " + f.owner.name));
  } else if (!f.owner && open) {
    meta.appendChild(el("span", "follow-up-owner", "nobody owns it"));
  }
  if (detail && f.created_at) meta.appendChild(el("span", null, "opened " + dateTime(f.created_at)));
  if (editable && open) {
    const tools = el("span", "row-tools");
    const done = button("Done", "button-small button-ghost", "follow-up-done");
    done.setAttribute("aria-label", "Done: " + followUpReasonLabel(f.reason) + (f.customer_name ? ", " + f.customer_name : ""));
    tools.appendChild(done);
    meta.appendChild(tools);
  }
  item.appendChild(meta);
  if ((past || !open) && f.outcome) item.appendChild(el("p", "follow-up-note follow-up-outcome", "Outcome: " + f.outcome));
  return item;
}

/** The new-follow-up slot and the open follow-ups; "None open." only when `empty` says so. */
export function followUpsBlock(followUps, { editable, customerUrl = null, me = null, detail = false, empty = null }) {
  const block = document.createDocumentFragment();
  block.appendChild(el("div", "form-slot form-slot-follow-up"));
  const open = soonestDue((followUps || []).filter((f) => !f.status || f.status === "open"));
  if (!open.length) {
    if (empty) block.appendChild(el("p", "muted", empty));
    return block;
  }
  const list = el("ul", "follow-up-list");
  open.forEach((f) => list.appendChild(followUpItem(f, { editable, customerUrl, me, detail })));
  block.appendChild(list);
  return block;
}

/**
 * The handlers, each (scope, button) → promise | undefined.
 * host: {customerOf(scope), callSidOf(scope), message(scope, text, kind), refresh(scope, customerId),
 * draft(scope, action, owner)?} — customerOf may be null in a scope of many customers (the panel).
 */
export function followUpActions(host) {
  function followUpOf(scope, node) {
    const item = node.closest("[data-follow-up-id]");
    const id = Number(item.getAttribute("data-follow-up-id"));
    const customerId = Number(item.getAttribute("data-customer-id")) || null;
    const reason = item.querySelector(".follow-up-reason");
    return { item, id, customerId, reason: reason ? reason.textContent : "Follow-up" };
  }

  function doneForm(scope, opener) {
    const { item, id, customerId, reason } = followUpOf(scope, opener);
    openForm(itemSlot(item), {
      label: "Close follow-up", submit: "Close it", opener, className: "inline-form-row",
      draft: host.draft ? host.draft(scope, "follow-up-done", { attr: "data-follow-up-id", id }) : undefined,
      discardQuestion: "Discard this outcome?",
      fields: [{ name: "outcome", label: "Outcome", placeholder: "What came of it", required: true, maxlength: 1000 }],
      onSubmit(form) {
        const data = values(form);
        // The outcome is required: the server names the field when it is blank (422).
        return api.updateFollowUp(id, { status: "done", outcome: data.outcome || "" }).then(() => {
          host.message(scope, "Follow-up done (" + reason.toLowerCase() + "): " + data.outcome, "ok");
          const customer = host.customerOf(scope);
          return host.refresh(scope, customerId || (customer && customer.id));
        });
      },
    });
  }

  function newForm(scope, opener) {
    const customer = host.customerOf(scope);
    if (!customer) return;
    openForm(scope.querySelector(".form-slot-follow-up"), {
      label: "New follow-up", title: "New follow-up", submit: "Add follow-up", opener,
      hint: "Ctrl+Enter saves · Esc cancels",
      draft: host.draft ? host.draft(scope, "follow-up-new", null) : undefined,
      fields: [
        { name: "note", label: "What to follow up", type: "textarea", rows: 2, maxlength: 2000 },
        { name: "due_at", label: "Due (optional)", type: "date" },
      ],
      onSubmit(form) {
        const data = values(form);
        const body = { note: data.note || "" };
        if (data.due_at) body.due_at = endOfDay(data.due_at);
        const callSid = host.callSidOf(scope);
        if (callSid) body.call_sid = callSid;
        return api.addFollowUp(customer.id, body).then((followUp) => {
          host.message(scope, "Follow-up added" + (followUp && followUp.due_at ? ", " + dueText(followUp.due_at) : "") + ".", "ok");
          return host.refresh(scope, customer.id);
        });
      },
    });
  }

  return {
    "follow-up-done": (scope, target) => doneForm(scope, target),
    "follow-up-new": (scope, target) => newForm(scope, target),
  };
}

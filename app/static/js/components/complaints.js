/* KnownCaller: a customer's complaints (open, update, resolve), one implementation for the
 * desktop's call card and the customer page.
 *
 * `openComplaintsBlock` renders the open ones (overdue first) and the slot the new-complaint form
 * opens in; `complaintItem` renders one, open or past. Buttons carry data-action names
 * (complaint-new, complaint-edit, complaint-resolve) and `complaintActions(host)` answers them; the
 * host is the page (see preferences.js), which may also say which call a complaint is opened on.
 */
import * as api from "../lib/api.js";
import { overdueFirst } from "../lib/calls.js";
import { constants } from "../lib/constants.js";
import { button, el, options, values } from "../lib/dom.js";
import { dateTime, dateToDueAt, dueText, isoToDate } from "../lib/format.js";
import { closeForm, openForm } from "./inline_form.js";

/**
 * One complaint. `editable` adds Update and Resolve; `detail` (the customer page) adds when it was
 * opened and its description; `past` shows a resolved one (a timeline item) with its resolution.
 */
export function complaintItem(c, { editable = false, detail = false, past = false } = {}) {
  const item = el("li", "complaint" + (c.overdue ? " complaint-overdue" : "") + (past ? " complaint-resolved" : ""));
  item.setAttribute("data-complaint-id", String(c.id || c.complaint_id));
  const top = el("div", "complaint-top");
  if (c.overdue) top.appendChild(el("span", "badge badge-overdue", "Overdue"));
  top.appendChild(el("span", "complaint-subject", c.subject));
  item.appendChild(top);
  const meta = el("div", "complaint-meta");
  if (c.severity) meta.appendChild(el("span", "severity severity-" + c.severity, c.severity));
  if (past) {
    meta.appendChild(el("span", null, "resolved " + dateTime(c.at)));
  } else {
    if (c.status && c.status !== "open") meta.appendChild(el("span", "complaint-status", c.status));
    if (detail && c.opened_at) meta.appendChild(el("span", null, "opened " + dateTime(c.opened_at)));
    const due = dueText(c.due_at);
    if (due) meta.appendChild(el("span", "due", due));
  }
  if (editable) {
    const tools = el("span", "row-tools");
    tools.appendChild(button("Update", "button-small button-ghost", "complaint-edit"));
    const resolve = button("Resolve", "button-small button-ghost", "complaint-resolve");
    resolve.setAttribute("aria-keyshortcuts", "x");
    tools.appendChild(resolve);
    meta.appendChild(tools);
  }
  item.appendChild(meta);
  if (detail && c.description) item.appendChild(el("p", "complaint-resolution", c.description));
  if (past && c.resolution) item.appendChild(el("p", "complaint-resolution", "Resolution: " + c.resolution));
  return item;
}

/** The new-complaint slot and the open complaints (or "None open."). */
export function openComplaintsBlock(complaints, { editable, detail = false }) {
  const block = document.createDocumentFragment();
  block.appendChild(el("div", "form-slot form-slot-complaint"));
  if (!complaints.length) {
    block.appendChild(el("p", "muted", "None open."));
    return block;
  }
  const list = el("ul", "complaint-list");
  overdueFirst(complaints).forEach((c) => list.appendChild(complaintItem(c, { editable, detail })));
  block.appendChild(list);
  return block;
}

function itemSlot(item) {
  let slot = item.querySelector(".form-slot");
  if (!slot) {
    slot = el("div", "form-slot");
    item.appendChild(slot);
  }
  return slot;
}

/**
 * The handlers, each (scope, button) → promise | undefined.
 * host: {customerOf(scope), callSidOf(scope), message(scope, text, kind), refresh(scope, customerId),
 * draft(scope, action, owner)?} — `draft`, when the host keeps drafts, gives each form's (inline_form.js).
 */
export function complaintActions(host) {
  const draftOf = (scope, action, id) => (host.draft
    ? host.draft(scope, action, id === undefined ? null : { attr: "data-complaint-id", id }) : undefined);
  const severities = () => options(constants().complaint_severities);
  // Resolving has its own form (with the resolution), so the status select offers the others.
  const statuses = () => options(constants().complaint_statuses.filter((s) => s !== "resolved"));

  function complaintOf(scope, node) {
    const item = node.closest("[data-complaint-id]");
    const id = Number(item.getAttribute("data-complaint-id"));
    const customer = host.customerOf(scope);
    const found = ((customer && customer.open_complaints) || []).find((c) => c.id === id);
    return { item, complaint: found || { id } };
  }

  function newComplaintForm(scope, opener) {
    const customer = host.customerOf(scope);
    if (!customer) return;
    openForm(scope.querySelector(".form-slot-complaint"), {
      label: "New complaint", title: "New complaint", submit: "Open complaint", opener,
      hint: "Ctrl+Enter saves · Esc cancels", draft: draftOf(scope, "complaint-new"),
      fields: [
        { name: "subject", label: "Subject", maxlength: 200 },
        { name: "description", label: "What happened", type: "textarea", rows: 2 },
        { name: "severity", label: "Severity", type: "select", options: severities(), value: "medium" },
        { name: "due_at", label: "Due (optional)", type: "date" },
      ],
      onSubmit(form) {
        const data = values(form);
        const body = { subject: data.subject || "", severity: data.severity || "medium" };
        const callSid = host.callSidOf(scope);
        if (callSid) body.call_sid = callSid;
        if (data.description) body.description = data.description;
        if (data.due_at) body.due_at = dateToDueAt(data.due_at);
        return api.openComplaint(customer.id, body).then((complaint) => {
          host.message(scope, "Complaint opened" + (complaint && complaint.due_at ? ", " + dueText(complaint.due_at) : "") + ".", "ok");
          return host.refresh(scope, customer.id);
        });
      },
    });
  }

  function editComplaintForm(scope, opener) {
    const { item, complaint: c } = complaintOf(scope, opener);
    const initial = {
      subject: c.subject || "", severity: c.severity || "medium", status: c.status || "open",
      due_at: isoToDate(c.due_at), description: c.description || "",
    };
    openForm(itemSlot(item), {
      label: "Update complaint", submit: "Save", opener, hint: "Ctrl+Enter saves · Esc cancels",
      draft: draftOf(scope, "complaint-edit", c.id),
      fields: [
        { name: "subject", label: "Subject", value: initial.subject, maxlength: 200 },
        { name: "status", label: "Status", type: "select", options: statuses(), value: initial.status },
        { name: "severity", label: "Severity", type: "select", options: severities(), value: initial.severity },
        { name: "due_at", label: "Due", type: "date", value: initial.due_at },
        {
          name: "description", type: "textarea", rows: 2, value: initial.description,
          label: initial.description ? "Description" : "Description (blank keeps the current one)",
        },
      ],
      onSubmit(form) {
        const data = values(form, true);
        const changes = {};
        ["subject", "status", "severity"].forEach((name) => {
          if (data[name] !== initial[name]) changes[name] = data[name];
        });
        if (data.due_at !== initial.due_at) changes.due_at = data.due_at ? dateToDueAt(data.due_at) : null;
        if (data.description && data.description !== initial.description) changes.description = data.description;
        if (!Object.keys(changes).length) { closeForm(form); return null; }
        const customer = host.customerOf(scope);
        return api.updateComplaint(c.id, changes).then(() => {
          host.message(scope, "Complaint updated.", "ok");
          return host.refresh(scope, customer && customer.id);
        });
      },
    });
  }

  function resolveForm(scope, opener) {
    const { item, complaint: c } = complaintOf(scope, opener);
    openForm(itemSlot(item), {
      label: "Resolve complaint", submit: "Resolve", opener, className: "inline-form-row",
      draft: draftOf(scope, "complaint-resolve", c.id),
      fields: [{ name: "resolution", label: "Resolution", placeholder: "What was done about it" }],
      onSubmit(form) {
        const data = values(form);
        const body = { status: "resolved" };
        if (data.resolution) body.resolution = data.resolution;
        const customer = host.customerOf(scope);
        return api.updateComplaint(c.id, body).then(() => {
          host.message(scope, "Resolved: " + (c.subject || "complaint") + ".", "ok");
          return host.refresh(scope, customer && customer.id);
        });
      },
    });
  }

  return {
    "complaint-new": (scope, target) => newComplaintForm(scope, target),
    "complaint-edit": (scope, target) => editComplaintForm(scope, target),
    "complaint-resolve": (scope, target) => resolveForm(scope, target),
  };
}

/* KnownCaller desktop: what the card records about the customer — preferences ("Remember this":
 * add, edit, remove) and complaints (open, update, resolve). Registers its actions with work.js,
 * which owns the card's forms, messages and the refresh after a change.
 */
(function () {
  "use strict";

  var KC = window.KC;
  var Work = window.KnownCallerWork;
  if (!KC || !Work) return;
  var el = KC.el;
  var openForm = Work.openForm, closeForm = Work.closeForm, message = Work.message, failed = Work.failed;
  var refresh = Work.refresh, callOf = Work.callOf, customerIdOf = Work.customerIdOf;
  var slotIn = Work.slotIn, sidOf = Work.sidOf, path = Work.path;

  // ---------------------------------------------------------------- preferences

  function preferenceForm(card, opener, preference) {
    var customerId = customerIdOf(card);
    if (!customerId) return;
    openForm(slotIn(card, "preference"), {
      label: preference ? "Edit preference" : "Remember this", opener: opener,
      submit: preference ? "Save" : "Remember",
      className: "inline-form-row",
      fields: [
        { name: "key", label: "What", placeholder: "e.g. callbacks", value: preference && preference.key, maxlength: 100 },
        { name: "value", label: "Preference", placeholder: "e.g. evenings after 6", value: preference && preference.value, maxlength: 500 }
      ],
      onSubmit: function (form) {
        var data = KC.values(form, true);
        var request = preference
          ? KC.api("PATCH", path("/preferences/", preference.id), { key: data.key, value: data.value })
          : KC.api("POST", "/customers/" + customerId + "/preferences", { key: data.key, value: data.value });
        return request.then(function () {
          message(card, preference ? "Preference updated." : "Remembered: " + data.key + " — " + data.value, "ok");
          return refresh(card, customerId);
        });
      }
    });
  }

  function preferenceOf(card, node) {
    var row = node.closest("[data-preference-id]");
    var id = Number(row.getAttribute("data-preference-id"));
    var call = callOf(card);
    return ((call && call.pop.customer && call.pop.customer.preferences) || []).filter(function (p) {
      return p.id === id;
    })[0] || { id: id, key: row.querySelector("dt").textContent, value: row.querySelector("dd").textContent };
  }

  /** Remove asks once more on the button itself: a second press (or Enter) removes. */
  function removePreference(card, button) {
    var preference = preferenceOf(card, button);
    if (!button.hasAttribute("data-confirm")) {
      button.setAttribute("data-confirm", "");
      button.textContent = "Remove?";
      button.classList.add("button-danger");
      button.setAttribute("aria-label", "Confirm removing " + preference.key);
      return Promise.resolve();
    }
    button.disabled = true;
    var customerId = customerIdOf(card);
    return KC.api("DELETE", path("/preferences/", preference.id)).then(function () {
      message(card, "Removed " + preference.key + ".", "ok");
      return refresh(card, customerId);
    }).catch(failed(card, "Could not remove " + preference.key));
  }

  // ---------------------------------------------------------------- complaints

  function complaintOf(card, node) {
    var item = node.closest("[data-complaint-id]");
    var id = Number(item.getAttribute("data-complaint-id"));
    var call = callOf(card);
    var found = ((call && call.pop.customer && call.pop.customer.open_complaints) || []).filter(function (c) {
      return c.id === id;
    })[0];
    return { item: item, complaint: found || { id: id } };
  }

  function itemSlot(item) {
    var slot = item.querySelector(".form-slot");
    if (!slot) {
      slot = el("div", "form-slot");
      item.appendChild(slot);
    }
    return slot;
  }

  function newComplaintForm(card, opener) {
    var customerId = customerIdOf(card);
    if (!customerId) return;
    openForm(slotIn(card, "complaint"), {
      label: "New complaint", title: "New complaint", submit: "Open complaint", opener: opener,
      hint: "Ctrl+Enter saves · Esc cancels",
      fields: [
        { name: "subject", label: "Subject", maxlength: 200 },
        { name: "description", label: "What happened", type: "textarea", rows: 2 },
        { name: "severity", label: "Severity", type: "select", options: KC.options(KC.SEVERITIES), value: "medium" },
        { name: "due_at", label: "Due (optional)", type: "date" }
      ],
      onSubmit: function (form) {
        var data = KC.values(form);
        var body = { subject: data.subject || "", severity: data.severity || "medium", call_sid: sidOf(card) };
        if (data.description) body.description = data.description;
        if (data.due_at) body.due_at = KC.dateToDueAt(data.due_at);
        return KC.api("POST", "/customers/" + customerId + "/complaints", body).then(function (complaint) {
          message(card, "Complaint opened" + (complaint && complaint.due_at ? ", " + KC.dueText(complaint.due_at) : "") + ".", "ok");
          return refresh(card, customerId);
        });
      }
    });
  }

  function editComplaintForm(card, opener) {
    var found = complaintOf(card, opener);
    var c = found.complaint;
    var initial = {
      subject: c.subject || "", severity: c.severity || "medium", status: c.status || "open",
      due_at: KC.isoToDate(c.due_at)
    };
    openForm(itemSlot(found.item), {
      label: "Update complaint", submit: "Save", opener: opener, hint: "Ctrl+Enter saves · Esc cancels",
      fields: [
        { name: "subject", label: "Subject", value: initial.subject, maxlength: 200 },
        { name: "status", label: "Status", type: "select", options: KC.options(["open", "in-progress"]), value: initial.status },
        { name: "severity", label: "Severity", type: "select", options: KC.options(KC.SEVERITIES), value: initial.severity },
        { name: "due_at", label: "Due", type: "date", value: initial.due_at },
        { name: "description", label: "Description (blank keeps the current one)", type: "textarea", rows: 2 }
      ],
      onSubmit: function (form) {
        var data = KC.values(form, true);
        var changes = {};
        ["subject", "status", "severity"].forEach(function (name) {
          if (data[name] !== initial[name]) changes[name] = data[name];
        });
        if (data.due_at !== initial.due_at) changes.due_at = data.due_at ? KC.dateToDueAt(data.due_at) : null;
        if (data.description) changes.description = data.description;
        if (!Object.keys(changes).length) { closeForm(form); return null; }
        var customerId = customerIdOf(card);
        return KC.api("PATCH", path("/complaints/", c.id), changes).then(function () {
          message(card, "Complaint updated.", "ok");
          return refresh(card, customerId);
        });
      }
    });
  }

  function resolveForm(card, opener) {
    var found = complaintOf(card, opener);
    var c = found.complaint;
    openForm(itemSlot(found.item), {
      label: "Resolve complaint", submit: "Resolve", opener: opener, className: "inline-form-row",
      fields: [{ name: "resolution", label: "Resolution", placeholder: "What was done about it" }],
      onSubmit: function (form) {
        var data = KC.values(form);
        var body = { status: "resolved" };
        if (data.resolution) body.resolution = data.resolution;
        var customerId = customerIdOf(card);
        return KC.api("PATCH", path("/complaints/", c.id), body).then(function () {
          message(card, "Resolved: " + (c.subject || "complaint") + ".", "ok");
          return refresh(card, customerId);
        });
      }
    });
  }

  Work.register({
    remember: function (card, button) { preferenceForm(card, button, null); },
    "preference-edit": function (card, button) { preferenceForm(card, button, preferenceOf(card, button)); },
    "preference-remove": function (card, button) { return removePreference(card, button); },
    "complaint-new": function (card, button) { newComplaintForm(card, button); },
    "complaint-edit": function (card, button) { editComplaintForm(card, button); },
    "complaint-resolve": function (card, button) { resolveForm(card, button); }
  });
})();

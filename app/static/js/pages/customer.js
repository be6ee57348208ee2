/* KnownCaller: /customers/<id> — everything known about one customer, and where to change it.
 *
 * Details and numbers, preferences, open and past complaints, and the timeline of every touchpoint
 * (GET /api/v1/customers/<id>/timeline, newest first). Every change goes through the API and then
 * the page reads the customer again, so it shows what is stored.
 */
(function () {
  "use strict";

  var KC = window.KC;
  var el = KC.el;
  var page = document.getElementById("customer-page");
  if (!page) return;
  var id = page.getAttribute("data-customer-id");
  var base = "/customers/" + encodeURIComponent(id);
  var status = document.getElementById("customer-status");
  var customer = null;

  function setStatus(text, kind) {
    status.textContent = text || "";
    status.className = "status-line" + (kind ? " status-line-" + kind : "");
    status.hidden = !text;
  }

  // ---------------------------------------------------------------- load and render

  function load() {
    return Promise.all([KC.api("GET", base), KC.api("GET", base + "/timeline").catch(function (error) {
      return { items: [], error: error };
    })]).then(function (results) {
      customer = results[0];
      render(customer, results[1]);
    }, function (error) {
      setStatus(error.status === 404 ? "This customer does not exist, or was deleted." : "Could not load the customer: " + error.message, "error");
      document.getElementById("customer-body").hidden = true;
    });
  }

  function render(c, timeline) {
    document.title = c.name + " · KnownCaller";
    document.getElementById("customer-name").textContent = c.name;
    var tier = document.getElementById("customer-tier");
    tier.textContent = "";
    if (c.tier) tier.appendChild(el("span", "badge badge-tier-" + c.tier, KC.TIER_LABELS[c.tier] || c.tier));
    var form = document.getElementById("customer-edit-form");
    // Rebuild the details only when not mid-edit: a save re-renders with what was stored.
    if (!form.hasAttribute("data-built") || form.getAttribute("data-saved") === "true") {
      buildEditForm(form, c);
    }
    renderPreferences(c.preferences || []);
    renderOpenComplaints(c.open_complaints || []);
    renderPast(timeline.items || []);
    renderTimeline(timeline);
    document.getElementById("customer-body").hidden = false;
    setStatus(linkProblem());
  }

  function linkProblem() {
    var problem = new URLSearchParams(window.location.search).get("link_failed");
    return problem ? "Created, but the call could not be linked: " + problem : "";
  }

  function buildEditForm(form, c) {
    window.KCCustomerForm.build(form, c, {
      submitLabel: "Save changes",
      onSubmit: function (body) {
        form.setAttribute("data-saved", "false");
        return KC.api("PATCH", base, body).then(function () {
          form.setAttribute("data-saved", "true");
          return load().then(function () { return "Saved."; });
        });
      }
    });
    form.setAttribute("data-built", "");
    form.setAttribute("data-saved", "false");
  }

  // ---------------------------------------------------------------- preferences

  function renderPreferences(prefs) {
    var list = document.getElementById("preference-list");
    list.textContent = "";
    if (!prefs.length) list.appendChild(el("li", "muted", "None recorded."));
    prefs.forEach(function (p) {
      var row = el("li", "pref-row");
      row.setAttribute("data-preference-id", String(p.id));
      row.appendChild(el("span", "pref-key", p.key));
      row.appendChild(el("span", "pref-value", p.value));
      var tools = el("span", "row-tools");
      var edit = KC.button("Edit", "button-small button-ghost");
      edit.setAttribute("aria-label", "Edit " + p.key);
      edit.addEventListener("click", function () { editPreference(row, p); });
      var remove = KC.button("Remove", "button-small button-ghost");
      remove.setAttribute("aria-label", "Remove " + p.key);
      remove.addEventListener("click", function () { confirmThen(remove, "Remove?", function () {
        return KC.api("DELETE", "/preferences/" + p.id).then(load);
      }); });
      tools.appendChild(edit);
      tools.appendChild(remove);
      row.appendChild(tools);
      list.appendChild(row);
    });
    var add = document.getElementById("preference-add-form");
    if (!add.hasChildNodes()) preferenceForm(add, null, function (body) {
      return KC.api("POST", base + "/preferences", body).then(function () {
        add.textContent = "";
        return load();
      });
    });
  }

  function preferenceForm(form, p, save) {
    form.textContent = "";
    form.noValidate = true;
    var grid = el("div", "inline-form-fields");
    grid.appendChild(KC.field({ name: "key", label: p ? "What" : "Remember: what", value: p && p.key, placeholder: "e.g. callbacks" }));
    grid.appendChild(KC.field({ name: "value", label: "Preference", value: p && p.value, placeholder: "e.g. evenings after 6" }));
    form.appendChild(grid);
    var actions = el("div", "inline-form-actions");
    var submit = el("button", "button button-primary button-small", p ? "Save" : "Add preference");
    submit.type = "submit";
    actions.appendChild(submit);
    form.appendChild(actions);
    form.onsubmit = function (event) {
      event.preventDefault();
      KC.clearErrors(form);
      var values = KC.values(form, true);
      KC.busy(form, save({ key: values.key, value: values.value })).catch(function (error) {
        KC.showErrors(form, error);
      });
    };
    return form;
  }

  function editPreference(row, p) {
    var form = el("form", "inline-form");
    form.setAttribute("aria-label", "Edit " + p.key);
    preferenceForm(form, p, function (body) {
      return KC.api("PATCH", "/preferences/" + p.id, body).then(load);
    });
    var cancel = KC.button("Cancel", "button-small button-ghost");
    cancel.addEventListener("click", load);
    form.querySelector(".inline-form-actions").appendChild(cancel);
    row.textContent = "";
    row.appendChild(form);
    form.querySelector("input").focus();
  }

  /** A destructive button asks once more on itself; the second press does it. */
  function confirmThen(button, question, action) {
    if (!button.hasAttribute("data-confirm")) {
      button.setAttribute("data-confirm", "");
      button.textContent = question;
      button.classList.add("button-danger");
      return;
    }
    button.disabled = true;
    action().catch(function (error) {
      button.disabled = false;
      setStatus(error.message, "error");
    });
  }

  // ---------------------------------------------------------------- complaints

  function complaintItem(c, past) {
    var item = el("li", "complaint" + (c.overdue ? " complaint-overdue" : "") + (past ? " complaint-resolved" : ""));
    item.setAttribute("data-complaint-id", String(c.id || c.complaint_id));
    var top = el("div", "complaint-top");
    if (c.overdue) top.appendChild(el("span", "badge badge-overdue", "Overdue"));
    top.appendChild(el("span", "complaint-subject", c.subject));
    item.appendChild(top);
    var meta = el("div", "complaint-meta");
    if (c.severity) meta.appendChild(el("span", "severity severity-" + c.severity, c.severity));
    if (!past && c.status && c.status !== "open") meta.appendChild(el("span", "complaint-status", c.status));
    if (past) meta.appendChild(el("span", null, "resolved " + KC.dateTime(c.at)));
    else {
      if (c.opened_at) meta.appendChild(el("span", null, "opened " + KC.dateTime(c.opened_at)));
      var due = KC.dueText(c.due_at);
      if (due) meta.appendChild(el("span", "due", due));
    }
    item.appendChild(meta);
    if (c.description) item.appendChild(el("p", "complaint-resolution", c.description));
    if (past && c.resolution) item.appendChild(el("p", "complaint-resolution", "Resolution: " + c.resolution));
    return item;
  }

  function renderOpenComplaints(complaints) {
    var list = document.getElementById("open-complaints");
    list.textContent = "";
    if (!complaints.length) list.appendChild(el("li", "muted", "None open."));
    complaints.slice().sort(function (a, b) { return (b.overdue ? 1 : 0) - (a.overdue ? 1 : 0); }).forEach(function (c) {
      var item = complaintItem(c, false);
      var tools = el("div", "table-actions");
      var update = KC.button("Update", "button-small button-ghost");
      update.addEventListener("click", function () { complaintForm(item, c); });
      var resolve = KC.button("Resolve", "button-small button-ghost");
      resolve.addEventListener("click", function () { resolveForm(item, c); });
      tools.appendChild(update);
      tools.appendChild(resolve);
      item.appendChild(tools);
      list.appendChild(item);
    });
  }

  function renderPast(items) {
    var list = document.getElementById("past-complaints");
    list.textContent = "";
    var resolved = items.filter(function (i) { return i.kind === "complaint" && i.event === "resolved"; });
    if (!resolved.length) list.appendChild(el("li", "muted", "None resolved yet."));
    resolved.forEach(function (c) { list.appendChild(complaintItem(c, true)); });
  }

  function simpleForm(slot, label, fields, submitLabel, save) {
    var existing = slot.querySelector("form");
    if (existing) existing.remove();
    var form = el("form", "inline-form");
    form.noValidate = true;
    form.setAttribute("aria-label", label);
    var grid = el("div", "inline-form-fields");
    fields.forEach(function (spec) { grid.appendChild(KC.field(spec)); });
    form.appendChild(grid);
    var actions = el("div", "inline-form-actions");
    var submit = el("button", "button button-primary button-small", submitLabel);
    submit.type = "submit";
    actions.appendChild(submit);
    var cancel = KC.button("Cancel", "button-small button-ghost");
    cancel.addEventListener("click", function () { form.remove(); });
    actions.appendChild(cancel);
    form.appendChild(actions);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") form.remove();
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
    });
    form.onsubmit = function (event) {
      event.preventDefault();
      KC.clearErrors(form);
      KC.busy(form, save(KC.values(form, true))).catch(function (error) { KC.showErrors(form, error); });
    };
    slot.appendChild(form);
    form.querySelector("input, textarea, select").focus();
    return form;
  }

  function newComplaint() {
    simpleForm(document.getElementById("complaint-new-slot"), "New complaint", [
      { name: "subject", label: "Subject" },
      { name: "severity", label: "Severity", type: "select", options: KC.options(KC.SEVERITIES), value: "medium" },
      { name: "due_at", label: "Due (optional)", type: "date" },
      { name: "description", label: "What happened", type: "textarea", rows: 2 }
    ], "Open complaint", function (v) {
      var body = { subject: v.subject, severity: v.severity };
      if (v.description) body.description = v.description;
      if (v.due_at) body.due_at = KC.dateToDueAt(v.due_at);
      return KC.api("POST", base + "/complaints", body).then(function () {
        document.getElementById("complaint-new-slot").textContent = "";
        return load();
      });
    });
  }

  function complaintForm(item, c) {
    var initial = { subject: c.subject || "", status: c.status, severity: c.severity, due_at: KC.isoToDate(c.due_at),
      description: c.description || "" };
    simpleForm(item, "Update complaint", [
      { name: "subject", label: "Subject", value: initial.subject },
      { name: "status", label: "Status", type: "select", options: KC.options(["open", "in-progress"]), value: initial.status },
      { name: "severity", label: "Severity", type: "select", options: KC.options(KC.SEVERITIES), value: initial.severity },
      { name: "due_at", label: "Due", type: "date", value: initial.due_at },
      { name: "description", label: "Description", type: "textarea", rows: 2, value: initial.description }
    ], "Save", function (v) {
      var changes = {};
      ["subject", "status", "severity", "description"].forEach(function (name) {
        if (v[name] !== initial[name]) changes[name] = v[name];
      });
      if (v.due_at !== initial.due_at) changes.due_at = v.due_at ? KC.dateToDueAt(v.due_at) : null;
      if (!Object.keys(changes).length) return load();
      return KC.api("PATCH", "/complaints/" + c.id, changes).then(load);
    });
  }

  function resolveForm(item, c) {
    simpleForm(item, "Resolve complaint", [
      { name: "resolution", label: "Resolution", placeholder: "What was done about it" }
    ], "Resolve", function (v) {
      var body = { status: "resolved" };
      if (v.resolution) body.resolution = v.resolution;
      return KC.api("PATCH", "/complaints/" + c.id, body).then(load);
    });
  }

  // ---------------------------------------------------------------- timeline

  function person(p) { return p && p.name ? p.name : null; }

  function describe(item) {
    switch (item.kind) {
      case "call":
        return {
          title: "Call" + (item.status ? " · " + item.status : "") +
            (item.duration !== null && item.duration !== undefined ? " · " + minutes(item.duration) : ""),
          detail: [person(item.agent) ? "taken by " + person(item.agent) : "not taken",
            item.disposition ? "disposition: " + item.disposition : null].filter(Boolean).join(" · ")
        };
      case "note":
        return { title: "Note" + (person(item.agent) ? " by " + person(item.agent) : ""), detail: item.text };
      case "complaint":
        return {
          title: "Complaint " + (item.event || "opened") + ": " + item.subject,
          detail: [item.severity, item.event === "resolved" && item.resolution ? "resolution: " + item.resolution : null]
            .filter(Boolean).join(" · ")
        };
      case "preference":
        return {
          title: "Preference recorded: " + item.key,
          detail: item.value + (person(item.recorded_by) ? " (by " + person(item.recorded_by) + ")" : "")
        };
      default:
        return { title: item.kind, detail: "" };
    }
  }

  function renderTimeline(timeline) {
    var list = document.getElementById("timeline");
    list.textContent = "";
    if (timeline.error) {
      list.appendChild(el("li", "status-line status-line-error", "Timeline unavailable: " + timeline.error.message));
      return;
    }
    var items = timeline.items || [];
    if (!items.length) list.appendChild(el("li", "muted", "Nothing yet."));
    items.forEach(function (item) {
      var text = describe(item);
      var li = el("li", "timeline-item timeline-" + item.kind);
      li.setAttribute("data-kind", item.kind);
      li.appendChild(el("div", "timeline-when", KC.dateTime(item.at)));
      li.appendChild(el("div", "timeline-title", text.title));
      if (text.detail) li.appendChild(el("div", "timeline-detail", text.detail));
      list.appendChild(li);
    });
  }

  function minutes(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  // ---------------------------------------------------------------- delete (supervisors, admins)

  function askDelete() {
    var area = document.getElementById("delete-area");
    area.textContent = "";
    var box = el("div", "confirm-box");
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-label", "Confirm deletion");
    box.appendChild(el("span", null, "Delete " + (customer ? customer.name : "this customer") + " for good?"));
    var yes = KC.button("Yes, delete", "button-danger");
    var no = KC.button("Cancel", "button-ghost");
    yes.addEventListener("click", function () {
      yes.disabled = true;
      KC.api("DELETE", base).then(function () {
        window.location.assign("/customers?deleted=" + encodeURIComponent(customer ? customer.name : ""));
      }, function (error) {
        yes.disabled = false;
        setStatus("Could not delete: " + error.message, "error");
      });
    });
    no.addEventListener("click", resetDelete);
    box.appendChild(yes);
    box.appendChild(no);
    area.appendChild(box);
    no.focus();
  }

  function resetDelete() {
    var area = document.getElementById("delete-area");
    area.textContent = "";
    var again = KC.button("Delete customer…", "");
    again.id = "delete-button";
    again.addEventListener("click", askDelete);
    area.appendChild(again);
  }

  var deleteButton = document.getElementById("delete-button");
  if (deleteButton) deleteButton.addEventListener("click", askDelete);
  document.getElementById("complaint-new-button").addEventListener("click", newComplaint);

  load();
})();

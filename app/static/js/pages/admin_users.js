/* KnownCaller: /admin/users — create users, change their role and how calls reach them, reset a
 * password, deactivate (which cuts them off at once) or reactivate. Admins only; data via /api/v1/users. */
import * as api from "../lib/api.js";
import { constants } from "../lib/constants.js";
import { busy, button, clearErrors, currentUser, el, field, options, showErrors, values } from "../lib/dom.js";

const page = document.getElementById("users-page");
const REACH_LABELS = { client: "Browser (Twilio Client)", phone: "Phone number", sip: "SIP address" };

function start() {
  const ROLES = constants().roles;
  const REACH = options(constants().reach_kinds, function (kind) { return REACH_LABELS[kind]; });
  const status = document.getElementById("users-status");
  const tbody = document.querySelector("#users-table tbody");
  const me = currentUser();

  function setStatus(text, kind) {
    status.textContent = text || "";
    status.className = "status-line" + (kind ? " status-line-" + kind : "");
  }

  function actionsRow(form, label) {
    const actions = el("div", "form-actions");
    const submit = el("button", "button button-primary button-small", label);
    submit.type = "submit";
    actions.appendChild(submit);
    form.appendChild(actions);
    return actions;
  }

  function wire(form, save) {
    form.noValidate = true;
    form.onsubmit = function (event) {
      event.preventDefault();
      clearErrors(form);
      busy(form, save(values(form, true))).catch(function (error) { showErrors(form, error); });
    };
  }

  // ---------------------------------------------------------------- create

  function buildCreate() {
    const form = document.getElementById("user-create-form");
    form.textContent = "";
    const grid = el("div", "form-grid");
    grid.appendChild(field({ name: "username", label: "Username", autocomplete: "off" }));
    grid.appendChild(field({ name: "display_name", label: "Display name", autocomplete: "off" }));
    grid.appendChild(field({ name: "password", label: "Password (8+ characters)", type: "password", autocomplete: "new-password" }));
    grid.appendChild(field({ name: "role", label: "Role", type: "select", options: options(ROLES), value: "agent" }));
    grid.appendChild(field({ name: "reach_kind", label: "Calls reach them by", type: "select", options: REACH, value: "client" }));
    grid.appendChild(field({ name: "reach_address", label: "Address (identity, number or sip:…)", autocomplete: "off" }));
    form.appendChild(grid);
    actionsRow(form, "Create user");
    wire(form, function (v) {
      const body = { username: v.username, password: v.password, role: v.role, reach_kind: v.reach_kind };
      if (v.display_name) body.display_name = v.display_name;
      if (v.reach_address) body.reach_address = v.reach_address;
      return api.createUser(body).then(function (user) {
        buildCreate();
        setStatus("Created " + user.username + ".", "");
        return load();
      });
    });
  }

  // ---------------------------------------------------------------- list and row actions

  function reachText(user) {
    const kind = REACH.filter(function (r) { return r[0] === user.reach_kind; })[0];
    return (kind ? kind[1] : user.reach_kind || "") + (user.reach_address ? ": " + user.reach_address : "");
  }

  function rowFor(user) {
    const tr = el("tr", user.active ? "" : "row-inactive");
    tr.setAttribute("data-user-id", String(user.id));
    tr.setAttribute("data-username", user.username);
    tr.appendChild(el("td", "num", user.username));
    tr.appendChild(el("td", null, user.display_name));
    tr.appendChild(el("td", null, user.role));
    tr.appendChild(el("td", null, reachText(user)));
    const state = el("td");
    state.appendChild(el("span", "badge", user.active ? (user.online ? "online" : "active") : "deactivated"));
    tr.appendChild(state);
    const actions = el("td");
    const tools = el("div", "table-actions");
    const edit = button("Edit", "button-small button-ghost");
    edit.addEventListener("click", function () { editRow(tr, user); });
    const reset = button("Reset password", "button-small button-ghost");
    reset.addEventListener("click", function () { passwordRow(tr, user); });
    tools.appendChild(edit);
    tools.appendChild(reset);
    if (user.id !== me.id) {
      const toggle = button(user.active ? "Deactivate" : "Reactivate", "button-small button-ghost");
      toggle.addEventListener("click", function () {
        if (user.active && !toggle.hasAttribute("data-confirm")) {
          toggle.setAttribute("data-confirm", "");
          toggle.textContent = "Deactivate " + user.username + "?";
          toggle.classList.add("button-danger");
          return;
        }
        toggle.disabled = true;
        api.updateUser(user.id, { active: !user.active }).then(function (updated) {
          setStatus((updated.active ? "Reactivated " : "Deactivated ") + updated.username + ".", "");
          return load();
        }, function (error) {
          toggle.disabled = false;
          setStatus(error.message, "error");
        });
      });
      tools.appendChild(toggle);
    }
    actions.appendChild(tools);
    tr.appendChild(actions);
    return tr;
  }

  /** An editing row under the user's row, spanning the table. */
  function formRow(tr, label) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("row-form")) next.remove();
    const row = el("tr", "row-form");
    const cell = el("td");
    cell.colSpan = 6;
    const form = el("form", "inline-form");
    form.setAttribute("aria-label", label);
    cell.appendChild(form);
    row.appendChild(cell);
    tr.after(row);
    return form;
  }

  function cancelButton(form) {
    const cancel = button("Cancel", "button-small button-ghost");
    cancel.addEventListener("click", function () { form.closest("tr").remove(); });
    return cancel;
  }

  function editRow(tr, user) {
    const form = formRow(tr, "Edit " + user.username);
    const grid = el("div", "inline-form-fields");
    grid.appendChild(field({ name: "display_name", label: "Display name", value: user.display_name }));
    grid.appendChild(field({ name: "role", label: "Role", type: "select", options: options(ROLES), value: user.role }));
    grid.appendChild(field({ name: "reach_kind", label: "Calls reach them by", type: "select", options: REACH, value: user.reach_kind }));
    grid.appendChild(field({ name: "reach_address", label: "Address", value: user.reach_address || "" }));
    form.appendChild(grid);
    actionsRow(form, "Save").appendChild(cancelButton(form));
    wire(form, function (v) {
      const body = { display_name: v.display_name, role: v.role, reach_kind: v.reach_kind, reach_address: v.reach_address || null };
      return api.updateUser(user.id, body).then(function (updated) {
        setStatus("Saved " + updated.username + ".", "");
        return load();
      });
    });
    form.querySelector("input").focus();
  }

  function passwordRow(tr, user) {
    const form = formRow(tr, "Reset the password of " + user.username);
    const grid = el("div", "inline-form-fields");
    grid.appendChild(field({ name: "password", label: "New password for " + user.username, type: "password", autocomplete: "new-password" }));
    form.appendChild(grid);
    actionsRow(form, "Set password").appendChild(cancelButton(form));
    wire(form, function (v) {
      return api.updateUser(user.id, { password: v.password }).then(function () {
        form.closest("tr").remove();
        setStatus("New password set for " + user.username + ".", "");
      });
    });
    form.querySelector("input").focus();
  }

  function load() {
    return api.listUsers().then(function (data) {
      tbody.textContent = "";
      (data.items || []).forEach(function (user) { tbody.appendChild(rowFor(user)); });
      document.getElementById("users-table").hidden = false;
      if (status.textContent === "Loading…") setStatus("");
    }, function (error) {
      setStatus("Could not load users: " + error.message, "error");
    });
  }

  buildCreate();
  load();
}

if (page) start();

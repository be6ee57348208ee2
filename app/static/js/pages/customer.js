/* KnownCaller: /customers/<id> — everything known about one customer, and where to change it.
 *
 * Details and numbers (components/customer_form.js), open promises and follow-ups, preferences and
 * open complaints (the same components as the desktop's call card), past complaints, surveys
 * (and whether to survey them at all), and the timeline of every touchpoint (newest first). Every change goes through the API and then the page reads the customer again,
 * so it shows what is stored.
 */
import * as api from "../lib/api.js";
import { scoreKind, stageLabel, surveyChannelLabel, surveyStatusLabel } from "../lib/care.js";
import { button, el, link, onAction, setStatusLine, showErrors } from "../lib/dom.js";
import { dateTime, tierLabel } from "../lib/format.js";
import { describe } from "../lib/timeline.js";
import { complaintActions, complaintItem, openComplaintsBlock } from "../components/complaints.js";
import { followUpActions, followUpsBlock } from "../components/follow_ups.js";
import { carryForms } from "../components/inline_form.js";
import { promiseActions, promisesBlock } from "../components/promises.js";
import { buildCustomerForm, warnBeforeLeaving } from "../components/customer_form.js";
import { changedFields, describeChanges } from "../lib/changes.js";
import { preferenceActions, preferencesBlock, resetUnconfirmedRemovals } from "../components/preferences.js";

const page = document.getElementById("customer-page");
const id = page && page.getAttribute("data-customer-id");
const status = document.getElementById("customer-status");
let customer = null;

function setStatus(text, kind) { setStatusLine(status, text, kind); }

// ---------------------------------------------------------------- load and render

function load() {
  return Promise.all([
    api.getCustomer(id),
    api.getTimeline(id).catch((error) => ({ items: [], error })),
    api.listSurveys({ customer_id: id }).catch((error) => ({ items: [], error })),
  ]).then(([found, timeline, surveys]) => {
    customer = found;
    render(customer, timeline);
    renderSurveys(surveys);
  }, (error) => {
    setStatus(error.status === 404 ? "This customer does not exist, or was deleted." : "Could not load the customer: " + error.message, "error");
    document.getElementById("customer-body").hidden = true;
  });
}

function render(c, timeline) {
  document.title = c.name + " · KnownCaller";
  document.getElementById("customer-name").textContent = c.name;
  const tier = document.getElementById("customer-tier");
  tier.textContent = "";
  if (c.tier) tier.appendChild(el("span", "badge badge-tier-" + c.tier, tierLabel(c.tier)));
  const stage = document.getElementById("customer-stage");
  stage.textContent = "";
  if (c.stage) {
    const badge = el("span", "badge badge-stage-" + c.stage, stageLabel(c.stage));
    badge.setAttribute("data-role", "stage");
    stage.appendChild(badge);
  }
  const form = document.getElementById("customer-edit-form");
  // Rebuild the details only when not mid-edit: a save re-renders with what was stored.
  if (!form.hasAttribute("data-built") || form.getAttribute("data-saved") === "true") {
    buildEditForm(form, c);
  }
  replaceKeepingForms(document.getElementById("promises"),
    promisesBlock(c.promises || [], { editable: true, detail: true, empty: "None open." }));
  replaceKeepingForms(document.getElementById("follow-ups"),
    followUpsBlock(c.follow_ups || [], { editable: true, detail: true, empty: "None open." }));
  renderSurveySwitch(c);
  document.getElementById("preferences").replaceChildren(preferencesBlock(c.preferences || [], { editable: true }));
  document.getElementById("open-complaints").replaceChildren(
    openComplaintsBlock(c.open_complaints || [], { editable: true, detail: true }));
  renderShared(c);
  renderPast(timeline.items || []);
  renderTimeline(timeline);
  document.getElementById("customer-body").hidden = false;
  setStatus(linkProblem());
}

/** Put `block` in `container`, moving the forms open there (with their typing) into it. */
function replaceKeepingForms(container, block) {
  const fresh = el("div");
  fresh.appendChild(block);
  const settle = carryForms(container, fresh);
  container.replaceChildren(...fresh.childNodes);
  settle();
}

// ---------------------------------------------------------------- surveys

function renderSurveySwitch(c) {
  const box = document.getElementById("do-not-survey");
  if (!box || box.hasAttribute("aria-busy")) return;
  box.checked = !!c.do_not_survey;
}

/** "Don't survey": saved as soon as it is ticked, on the version this page shows (SPEC §9a). */
function watchSurveySwitch() {
  const box = document.getElementById("do-not-survey");
  if (!box) return;
  const wrap = box.closest("[data-field]");
  box.addEventListener("change", () => {
    if (!customer) return;
    const wanted = box.checked;
    const error = wrap.querySelector(".field-error");
    error.textContent = "";
    box.removeAttribute("aria-invalid");
    box.disabled = true;
    box.setAttribute("aria-busy", "true");
    const done = () => { box.disabled = false; box.removeAttribute("aria-busy"); };
    api.updateCustomer(id, { do_not_survey: wanted, version: customer.version }).then(() => {
      done();
      return load().then(() => setStatus(wanted ? "They will not be surveyed." : "They may be surveyed again.", "ok"));
    }, (failure) => {
      done();
      box.checked = !wanted;
      if (failure.status === 409) {
        // Someone changed the customer meanwhile: show what is stored now, and ask to tick again.
        return load().then(() => {
          error.textContent = "Someone else changed this customer meanwhile: nothing was saved. Check and tick again.";
        });
      }
      showErrors(wrap, failure.fields && failure.fields.do_not_survey ? failure : { fields: { do_not_survey: [failure.message] } });
      return null;
    }).catch(() => { /* shown already */ });
  });
}

function surveyItem(s) {
  const item = el("li", "survey" + (s.score !== null && s.score !== undefined ? " survey-" + scoreKind(s.score) : ""));
  item.setAttribute("data-survey-id", String(s.id));
  const answered = s.score !== null && s.score !== undefined;
  item.appendChild(el("span", "survey-score badge badge-score-" + (scoreKind(s.score) || "passive"),
    answered ? s.score + "/10" : "No score"));
  const meta = [surveyChannelLabel(s.channel), surveyStatusLabel(s.status),
    dateTime(s.answered_at || s.sent_at), s.agent && s.agent.name ? "call taken by " + s.agent.name : null];
  item.appendChild(el("span", "survey-meta", meta.filter(Boolean).join(" · ")));
  if (s.comment) item.appendChild(el("p", "survey-comment", "“" + s.comment + "”"));
  return item;
}

function renderSurveys(surveys) {
  const list = document.getElementById("surveys");
  list.textContent = "";
  if (surveys.error) {
    list.appendChild(el("li", "status-line status-line-error", "Surveys unavailable: " + surveys.error.message));
    return;
  }
  const items = surveys.items || [];
  if (!items.length) list.appendChild(el("li", "muted", "Never surveyed."));
  items.forEach((s) => list.appendChild(surveyItem(s)));
}

/** "(415) 555-0111 is also Wei Huang's number", each name a link (new tab: this page keeps its edits).
 *  Masked (MASK_NUMBERS), a shared number has no e164 and its own masked `display`. */
function renderShared(c) {
  const list = document.getElementById("shared-numbers");
  list.textContent = "";
  const shown = {};
  (c.phone_numbers || []).forEach((n) => { if (n.e164) shown[n.e164] = n.display || n.e164; });
  (c.shared_numbers || []).forEach((shared) => {
    const others = shared.customers || [];
    if (!others.length) return;
    const item = el("li", "shared-number");
    if (shared.e164) item.setAttribute("data-e164", shared.e164);
    const number = (shared.e164 && shown[shared.e164]) || shared.display || shared.e164 || "One of their numbers";
    item.appendChild(document.createTextNode(number + " is also "));
    others.forEach((other, i) => {
      if (i) item.appendChild(document.createTextNode(i === others.length - 1 ? " and " : ", "));
      const a = link("/customers/" + encodeURIComponent(other.id), other.name);
      a.target = "_blank";
      a.rel = "noopener";
      item.appendChild(a);
      item.appendChild(document.createTextNode("'s"));
    });
    item.appendChild(document.createTextNode(" number."));
    list.appendChild(item);
  });
  list.hidden = !list.childElementCount;
}

function linkProblem() {
  const problem = new URLSearchParams(window.location.search).get("link_failed");
  return problem ? "Created, but the call could not be linked: " + problem : "";
}

function buildEditForm(form, c) {
  // What the form started from: a save sends what was changed since then, so after a refused save
  // the second try still sends only those fields, now on top of the colleague's version.
  const base = c;
  buildCustomerForm(form, c, {
    submitLabel: "Save changes",
    onSubmit(body) {
      // Only what this edit changed, from the version it was made on: a number a colleague (or an
      // import) added meanwhile is not overwritten, and a stale save is refused, not applied.
      const changes = changedFields(base, body);
      if (!Object.keys(changes).length) return Promise.resolve("Nothing changed.");
      form.setAttribute("data-saved", "false");
      const before = customer;
      return api.updateCustomer(id, { ...changes, version: customer.version }).then(() => {
        form.setAttribute("data-saved", "true");
        return load().then(() => "Saved.");
      }, (error) => {
        if (error.status !== 409 || !error.fields || !error.fields.version) throw error;
        // Read it again (the form keeps what was typed), and say what changed meanwhile.
        return load().then(() => {
          const meanwhile = describeChanges(before, customer) || "its record";
          throw new Error("Someone else changed this customer while you were editing: " + meanwhile +
            ". Nothing was saved; your edits are still in the form: check them and save again.");
        });
      });
    },
  });
  form.setAttribute("data-built", "");
  form.setAttribute("data-saved", "false");
}

// ---------------------------------------------------------------- preferences and complaints

/** What the preference and complaint components ask of this page (the scope is the page). */
const records = {
  customerOf: () => customer,
  callSidOf: () => null,
  // What was saved shows once the page has read the customer again; only failures need words.
  message(scope, text, kind) { if (kind === "error") setStatus(text, "error"); },
  refresh: () => load(),
};

function renderPast(items) {
  const list = document.getElementById("past-complaints");
  list.textContent = "";
  const resolved = items.filter((i) => i.kind === "complaint" && i.event === "resolved");
  if (!resolved.length) list.appendChild(el("li", "muted", "None resolved yet."));
  resolved.forEach((c) => list.appendChild(complaintItem(c, { past: true, detail: true })));
}

// ---------------------------------------------------------------- timeline

function renderTimeline(timeline) {
  const list = document.getElementById("timeline");
  list.textContent = "";
  if (timeline.error) {
    list.appendChild(el("li", "status-line status-line-error", "Timeline unavailable: " + timeline.error.message));
    return;
  }
  const items = timeline.items || [];
  if (!items.length) list.appendChild(el("li", "muted", "Nothing yet."));
  items.forEach((item) => {
    const text = describe(item);
    const li = el("li", "timeline-item timeline-" + item.kind);
    li.setAttribute("data-kind", item.kind);
    li.appendChild(el("div", "timeline-when", dateTime(item.at)));
    li.appendChild(el("div", "timeline-title", text.title));
    if (text.detail) li.appendChild(el("div", "timeline-detail", text.detail));
    list.appendChild(li);
  });
}

// ---------------------------------------------------------------- delete (supervisors, admins)

function askDelete() {
  const area = document.getElementById("delete-area");
  area.textContent = "";
  const box = el("div", "confirm-box");
  box.setAttribute("role", "alertdialog");
  box.setAttribute("aria-label", "Confirm deletion");
  box.appendChild(el("span", null, "Delete " + (customer ? customer.name : "this customer") + " for good?"));
  const yes = button("Yes, delete", "button-danger", "delete-confirm");
  const no = button("Cancel", "button-ghost", "delete-cancel");
  box.appendChild(yes);
  box.appendChild(no);
  area.appendChild(box);
  no.focus();
}

function confirmDelete(yes) {
  yes.disabled = true;
  api.deleteCustomer(id).then(() => {
    window.location.assign("/customers?deleted=" + encodeURIComponent(customer ? customer.name : ""));
  }, (error) => {
    yes.disabled = false;
    setStatus("Could not delete: " + error.message, "error");
  });
}

function resetDelete() {
  const area = document.getElementById("delete-area");
  area.textContent = "";
  const again = button("Delete customer…", "", "delete");
  again.id = "delete-button";
  area.appendChild(again);
}

// ---------------------------------------------------------------- merging a duplicate

function startMerge(form) {
  const confirmBox = document.getElementById("merge-confirm");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const duplicateId = parseInt(form.elements.duplicate_id.value, 10);
    if (!duplicateId) { setStatus("Give the duplicate's customer number (the # in its address).", "error"); return; }
    confirmBox.textContent = "";
    confirmBox.appendChild(el("p", null, "Merge customer #" + duplicateId + " into " +
      (customer ? customer.name : "this customer") + "? Their record is removed once everything has moved here."));
    const yes = button("Yes, merge", "button-primary", "merge-confirm");
    yes.setAttribute("data-duplicate-id", String(duplicateId));
    confirmBox.append(yes, button("Cancel", "", "merge-cancel"));
    confirmBox.hidden = false;
  });
}

function confirmMerge(yes) {
  const duplicateId = parseInt(yes.getAttribute("data-duplicate-id"), 10);
  yes.disabled = true;
  api.mergeCustomer(id, duplicateId).then(() => {
    cancelMerge();
    document.getElementById("merge-form").reset();
    // The numbers changed under the details form: show them (a deliberate action, so rebuild it).
    document.getElementById("customer-edit-form").setAttribute("data-saved", "true");
    return load().then(() => setStatus("Merged customer #" + duplicateId + " into this one."));
  }, (error) => {
    yes.disabled = false;
    setStatus("Could not merge: " + error.message, "error");
  });
}

function cancelMerge() {
  const confirmBox = document.getElementById("merge-confirm");
  confirmBox.textContent = "";
  confirmBox.hidden = true;
}

// ---------------------------------------------------------------- one listener for the page

if (page) {
  const handlers = {
    delete: askDelete,
    "delete-confirm": confirmDelete,
    "delete-cancel": resetDelete,
    "merge-confirm": confirmMerge,
    "merge-cancel": cancelMerge,
  };
  const recordActions = {
    ...preferenceActions(records), ...complaintActions(records), ...promiseActions(records), ...followUpActions(records),
  };
  Object.entries(recordActions).forEach(([name, handler]) => {
    handlers[name] = (target) => Promise.resolve(handler(page, target)).catch(() => { /* shown already */ });
  });
  onAction(page, handlers);
  resetUnconfirmedRemovals(page);
  const mergeForm = document.getElementById("merge-form");
  if (mergeForm) startMerge(mergeForm);
  warnBeforeLeaving(document.getElementById("customer-edit-form"));
  watchSurveySwitch();
  load();
}

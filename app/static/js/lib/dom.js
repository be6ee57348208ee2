/* KnownCaller: building DOM and forms the same way on every page.
 *
 * Customer text only ever reaches the DOM through `el` (textContent) and attributes set one by
 * one, never innerHTML, so a customer named "<img onerror=…>" is shown as those characters.
 * Buttons carry a data-action name; `onAction` is the one way a page listens to them.
 */
import { optionLabel } from "./format.js";

/** A new element with a class and text (as text, never markup). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function attrs(node, values) {
  Object.keys(values).forEach((name) => {
    const value = values[name];
    if (value === false || value === null || value === undefined) return;
    node.setAttribute(name, value === true ? "" : String(value));
  });
  return node;
}

export function button(text, className, action) {
  const node = el("button", "button " + (className || ""), text);
  node.type = "button";
  if (action) node.setAttribute("data-action", action);
  return node;
}

export function link(href, text, className) {
  const a = el("a", className, text);
  a.setAttribute("href", href);
  return a;
}

/** [[value, label]] for a select: labels from `labels(value)`, else the value capitalised. */
export function options(list, labels) {
  return list.map((value) => [value, (labels && labels(value)) || optionLabel(value)]);
}

/**
 * Clicks on [data-action] inside `root` call `handlers[name](target, event)`; a modified click on
 * a link opens its page (new tab) as links do. Returns the handlers, so more can be added.
 */
export function onAction(root, handlers) {
  root.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    if (!target || !root.contains(target)) return;
    const handler = handlers[target.getAttribute("data-action")];
    if (!handler) return;
    if (target.tagName === "A" && (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)) return;
    event.preventDefault();
    handler(target, event);
  });
  return handlers;
}

let uid = 0;

/**
 * A labelled form field with a slot for its error messages right beside it.
 * spec: {name, label, type ("text", "email", "tel", "textarea", "select", "date", "password",
 * "checkbox"), value, options: [[value, label]], required, placeholder, autocomplete}
 */
export function field(spec) {
  const id = "f" + (++uid) + "-" + spec.name.replace(/[^a-z0-9_-]/gi, "");
  const wrap = el("div", "field field-" + (spec.type || "text"));
  wrap.setAttribute("data-field", spec.name);
  const label = el("label", null, spec.label);
  label.setAttribute("for", id);
  let input;
  if (spec.type === "textarea") {
    input = el("textarea");
    input.rows = spec.rows || 3;
  } else if (spec.type === "select") {
    input = el("select");
    (spec.options || []).forEach((option) => {
      const node = el("option", null, option[1]);
      node.value = option[0];
      input.appendChild(node);
    });
  } else {
    input = el("input");
    input.type = spec.type || "text";
  }
  input.id = id;
  input.name = spec.name;
  if (spec.type === "checkbox") input.checked = !!spec.value;
  else if (spec.value !== undefined && spec.value !== null) input.value = spec.value;
  attrs(input, {
    required: !!spec.required, placeholder: spec.placeholder, autocomplete: spec.autocomplete,
    maxlength: spec.maxlength, "aria-describedby": id + "-error",
  });
  const error = el("span", "field-error");
  error.id = id + "-error";
  error.setAttribute("data-error-for", spec.name);
  error.setAttribute("aria-live", "polite");
  if (spec.type === "checkbox") {
    label.textContent = "";
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + spec.label));
    wrap.appendChild(label);
  } else {
    wrap.appendChild(label);
    wrap.appendChild(input);
  }
  wrap.appendChild(error);
  return wrap;
}

/** The first field a server error name points at: "phones.0" → phones.0, then phones, phone. */
function fieldFor(form, name) {
  const candidates = [name, name.split(".")[0]];
  if (name.indexOf("phones") === 0) candidates.push("phone");
  for (const candidate of candidates) {
    const slot = form.querySelector('[data-error-for="' + CSS.escape(candidate) + '"]');
    if (slot) return slot;
  }
  return null;
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((slot) => { slot.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  const message = form.querySelector(".form-message");
  if (message) { message.textContent = ""; message.hidden = true; }
}

/** The inputs a server error name is about: "phones.1" → the second of several same-named inputs. */
function inputsFor(slot, name) {
  const inputs = Array.from(slot.parentNode.querySelectorAll("input, select, textarea"));
  const index = /\.(\d+)$/.exec(name);
  if (index && inputs[Number(index[1])]) return [inputs[Number(index[1])]];
  return inputs.slice(0, 1);
}

/**
 * Put every field's messages next to it at once (the server names every bad field in one answer);
 * what fits no field goes to the form's message line. The cursor goes to the first bad field in
 * the form's own order, not the server's (its keys come sorted: "email" before "name").
 */
export function showErrors(form, error) {
  clearErrors(form);
  const leftover = [];
  const fields = (error && error.fields) || {};
  const invalid = [];
  Object.keys(fields).forEach((name) => {
    const slot = fieldFor(form, name);
    const text = [].concat(fields[name]).join(" ");
    if (!slot) { leftover.push(name + ": " + text); return; }
    slot.textContent = slot.textContent ? slot.textContent + " " + text : text;
    inputsFor(slot, name).forEach((input) => {
      input.setAttribute("aria-invalid", "true");
      invalid.push(input);
    });
  });
  if (!Object.keys(fields).length || leftover.length) {
    formMessage(form, Object.keys(fields).length ? leftover.join("; ") : (error && error.message) || "Something went wrong.");
  }
  const first = invalid.sort((a, b) =>
    (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))[0];
  if (first) first.focus();
}

export function formMessage(form, text, kind) {
  let message = form.querySelector(".form-message");
  if (!message) {
    message = el("p", "form-message");
    message.setAttribute("role", "alert");
    form.insertBefore(message, form.firstChild);
  }
  message.className = "form-message form-message-" + (kind || "error");
  message.textContent = text;
  message.hidden = !text;
}

/** The form's named values, trimmed; blank ones are left out unless `keepBlank`. */
export function values(form, keepBlank) {
  const out = {};
  Array.prototype.forEach.call(form.elements, (input) => {
    if (!input.name || input.disabled) return;
    if (input.type === "checkbox") { out[input.name] = input.checked; return; }
    if (input.type === "file") return;
    const value = input.value.trim();
    if (value || keepBlank) out[input.name] = value;
  });
  return out;
}

/** Disable a form's buttons while its request runs; re-enable whatever happens. */
export function busy(form, promise) {
  const controls = form.querySelectorAll("button, input[type=submit]");
  controls.forEach((c) => { c.disabled = true; });
  form.setAttribute("aria-busy", "true");
  const done = () => {
    controls.forEach((c) => { c.disabled = false; });
    form.removeAttribute("aria-busy");
  };
  return promise.then((value) => { done(); return value; }, (error) => { done(); throw error; });
}

/** A status line (role=status) showing `text`, styled by `kind` ("error", "ok"), hidden when empty. */
export function setStatusLine(line, text, kind, { hideWhenEmpty = true } = {}) {
  line.textContent = text || "";
  line.className = "status-line" + (kind ? " status-line-" + kind : "");
  if (hideWhenEmpty) line.hidden = !text;
}

/** Who is logged in, from the <body> data attributes base.html writes. */
export function currentUser() {
  const body = document.body;
  return {
    id: Number(body.getAttribute("data-user-id")) || null,
    role: body.getAttribute("data-user-role") || "agent",
  };
}

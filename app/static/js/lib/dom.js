/* KnownCaller: what every page shares — calling the JSON API, building DOM, showing errors.
 *
 * `KC.api(method, path, body)` calls /api/v1 with the session cookie and, for anything that changes
 * data, the page's CSRF token. It resolves with the JSON body (null for 204) and rejects with an
 * ApiError carrying the contract's {code, message, fields}. Customer text only ever reaches the DOM
 * through `KC.el` (textContent), never innerHTML.
 */
(function () {
  "use strict";

  var API = "/api/v1";

  function ApiError(status, body) {
    var error = (body && body.error) || {};
    this.name = "ApiError";
    this.status = status;
    this.code = error.code || (status ? "http_" + status : "network");
    this.message = error.message || (status ? "The server answered " + status + "." : "The server could not be reached.");
    this.fields = error.fields || {};
  }
  ApiError.prototype = Object.create(Error.prototype);

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /** Call the API; `body` is sent as JSON, or as-is when it is FormData (uploads). */
  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    var options = { method: method, credentials: "same-origin", headers: headers };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path.indexOf("/") === 0 && path.indexOf(API) !== 0 ? API + path : path, options)
      .then(function (response) {
        if (response.status === 204) return null;
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (!response.ok) throw new ApiError(response.status, data);
          return data;
        });
      }, function () { throw new ApiError(0, null); });
  }

  /** A new element with a class and text (as text, never markup). */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function attrs(node, values) {
    Object.keys(values).forEach(function (name) {
      var value = values[name];
      if (value === false || value === null || value === undefined) return;
      node.setAttribute(name, value === true ? "" : String(value));
    });
    return node;
  }

  function button(text, className, action) {
    var node = el("button", "button " + (className || ""), text);
    node.type = "button";
    if (action) node.setAttribute("data-action", action);
    return node;
  }

  var uid = 0;

  /**
   * A labelled form field with a slot for its error messages right beside it.
   * spec: {name, label, type ("text", "email", "tel", "textarea", "select", "date", "password",
   * "checkbox"), value, options: [[value, label]], required, placeholder, autocomplete}
   */
  function field(spec) {
    var id = "f" + (++uid) + "-" + spec.name.replace(/[^a-z0-9_-]/gi, "");
    var wrap = el("div", "field field-" + (spec.type || "text"));
    wrap.setAttribute("data-field", spec.name);
    var label = el("label", null, spec.label);
    label.setAttribute("for", id);
    var input;
    if (spec.type === "textarea") {
      input = el("textarea");
      input.rows = spec.rows || 3;
    } else if (spec.type === "select") {
      input = el("select");
      (spec.options || []).forEach(function (option) {
        var node = el("option", null, option[1]);
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
      maxlength: spec.maxlength, "aria-describedby": id + "-error"
    });
    var error = el("span", "field-error");
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
    var candidates = [name, name.split(".")[0]];
    if (name.indexOf("phones") === 0) candidates.push("phone");
    for (var i = 0; i < candidates.length; i++) {
      var slot = form.querySelector('[data-error-for="' + cssEscape(candidates[i]) + '"]');
      if (slot) return slot;
    }
    return null;
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\]/g, "\\$&");
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (slot) { slot.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    var message = form.querySelector(".form-message");
    if (message) { message.textContent = ""; message.hidden = true; }
  }

  /** Put each field's messages next to it; what fits no field goes to the form's message line. */
  function showErrors(form, error) {
    clearErrors(form);
    var leftover = [];
    var fields = (error && error.fields) || {};
    var first = null;
    Object.keys(fields).forEach(function (name) {
      var slot = fieldFor(form, name);
      var text = [].concat(fields[name]).join(" ");
      if (!slot) { leftover.push(name + ": " + text); return; }
      slot.textContent = slot.textContent ? slot.textContent + " " + text : text;
      var input = slot.parentNode.querySelector("input, select, textarea");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        if (!first) first = input;
      }
    });
    if (!Object.keys(fields).length || leftover.length) {
      formMessage(form, Object.keys(fields).length ? leftover.join("; ") : (error && error.message) || "Something went wrong.");
    }
    if (first) first.focus();
  }

  function formMessage(form, text, kind) {
    var message = form.querySelector(".form-message");
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
  function values(form, keepBlank) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.disabled) return;
      if (input.type === "checkbox") { out[input.name] = input.checked; return; }
      if (input.type === "file") return;
      var value = input.value.trim();
      if (value || keepBlank) out[input.name] = value;
    });
    return out;
  }

  /** Disable a form's buttons while its request runs; re-enable whatever happens. */
  function busy(form, promise) {
    var controls = form.querySelectorAll("button, input[type=submit]");
    controls.forEach(function (c) { c.disabled = true; });
    form.setAttribute("aria-busy", "true");
    function done() {
      controls.forEach(function (c) { c.disabled = false; });
      form.removeAttribute("aria-busy");
    }
    return promise.then(function (value) { done(); return value; }, function (error) { done(); throw error; });
  }

  // ---------------------------------------------------------------- dates

  /** "2026-11-30" (a date input) → the end of that local day as ISO 8601 UTC, or null. */
  function dateToDueAt(value) {
    if (!value) return null;
    var parts = value.split("-").map(Number);
    if (parts.length !== 3 || parts.some(isNaN)) return null;
    return new Date(parts[0], parts[1] - 1, parts[2], 23, 59, 0).toISOString();
  }

  /** An ISO time → "2026-11-30" in local time, for a date input. */
  function isoToDate(iso) {
    var date = iso ? new Date(iso) : null;
    if (!date || isNaN(date.getTime())) return "";
    return date.getFullYear() + "-" + String(date.getMonth() + 1).padStart(2, "0") + "-" +
      String(date.getDate()).padStart(2, "0");
  }

  function dateTime(iso) {
    var date = iso ? new Date(iso) : null;
    if (!date || isNaN(date.getTime())) return "";
    return date.toLocaleString([], { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  /** "due 2 days ago", "due today", "due in 3 days". */
  function dueText(iso) {
    var due = iso ? new Date(iso) : null;
    if (!due || isNaN(due.getTime())) return "";
    var hours = (due.getTime() - Date.now()) / 3600000;
    if (Math.abs(hours) < 24) {
      var h = Math.round(Math.abs(hours));
      if (h === 0) return hours < 0 ? "due just now" : "due within the hour";
      return hours < 0 ? "due " + h + (h === 1 ? " hour" : " hours") + " ago" : "due in " + h + (h === 1 ? " hour" : " hours");
    }
    var days = Math.round(hours / 24);
    if (days < 0) return "due " + (-days) + (days === -1 ? " day" : " days") + " ago";
    return "due in " + days + (days === 1 ? " day" : " days");
  }

  var SEVERITIES = ["low", "medium", "high", "critical"];
  var TIERS = ["standard", "silver", "gold", "vip"];
  var COMPLAINT_STATUSES = ["open", "in-progress", "resolved"];
  var TIER_LABELS = { vip: "VIP", gold: "Gold", silver: "Silver", standard: "Standard" };

  function options(list, labels) {
    return list.map(function (v) { return [v, (labels && labels[v]) || v.charAt(0).toUpperCase() + v.slice(1)]; });
  }

  /** Is this text a phone number rather than a name, email or account id? */
  function looksLikePhone(text) {
    var digits = (text.match(/\d/g) || []).length;
    return digits >= 5 && /^[\d\s()+.\-\/]+$/.test(text.trim());
  }

  function currentUser() {
    var body = document.body;
    return {
      id: Number(body.getAttribute("data-user-id")) || null,
      role: body.getAttribute("data-user-role") || "agent"
    };
  }

  window.KC = {
    api: api,
    ApiError: ApiError,
    csrfToken: csrfToken,
    el: el,
    attrs: attrs,
    button: button,
    field: field,
    clearErrors: clearErrors,
    showErrors: showErrors,
    formMessage: formMessage,
    values: values,
    busy: busy,
    dateToDueAt: dateToDueAt,
    isoToDate: isoToDate,
    dateTime: dateTime,
    dueText: dueText,
    looksLikePhone: looksLikePhone,
    currentUser: currentUser,
    SEVERITIES: SEVERITIES,
    TIERS: TIERS,
    TIER_LABELS: TIER_LABELS,
    COMPLAINT_STATUSES: COMPLAINT_STATUSES,
    options: options
  };
})();

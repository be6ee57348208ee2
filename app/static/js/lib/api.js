/* KnownCaller: the JSON API (/api/v1), one function per endpoint. No other module builds an API URL.
 *
 * Requests carry the session cookie and, for anything that changes data, the page's CSRF token
 * (X-CSRFToken, from <meta name="csrf-token">). Each function resolves with the JSON body (null for
 * 204) and rejects with an ApiError carrying the contract's {code, message, fields}; a network
 * failure is an ApiError too (status 0, code "network"). `paths` is pure, for tests.
 */

const API = "/api/v1";
const SAFE_METHODS = new Set(["GET", "HEAD"]);

export class ApiError extends Error {
  /** `body` is the parsed answer, if any: {"error": {"code", "message", "fields"}}. */
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || (status ? "The server answered " + status + "." : "The server could not be reached."));
    this.name = "ApiError";
    this.status = status;
    this.code = error.code || (status ? "http_" + status : "network");
    this.fields = error.fields || {};
  }
}

const segment = encodeURIComponent;

/** "/api/v1/customers?q=x": a path under the API and its query (blank values left out). */
export function apiUrl(path, params) {
  const query = new URLSearchParams();
  Object.entries(params || {}).forEach(([name, value]) => {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  });
  const text = query.toString();
  return API + path + (text ? "?" + text : "");
}

/** Every API address the pages use. */
export const paths = {
  calls: (params) => apiUrl("/calls", params),
  call: (sid) => apiUrl("/calls/" + segment(sid)),
  claim: (sid) => apiUrl("/calls/" + segment(sid) + "/claim"),
  release: (sid) => apiUrl("/calls/" + segment(sid) + "/release"),
  close: (sid) => apiUrl("/calls/" + segment(sid) + "/close"),
  customers: (params) => apiUrl("/customers", params),
  customer: (id) => apiUrl("/customers/" + segment(id)),
  timeline: (id) => apiUrl("/customers/" + segment(id) + "/timeline"),
  preferences: (customerId) => apiUrl("/customers/" + segment(customerId) + "/preferences"),
  preference: (id) => apiUrl("/preferences/" + segment(id)),
  complaints: (customerId) => apiUrl("/customers/" + segment(customerId) + "/complaints"),
  complaint: (id) => apiUrl("/complaints/" + segment(id)),
  promises: (customerId) => apiUrl("/customers/" + segment(customerId) + "/promises"),
  promise: (id) => apiUrl("/promises/" + segment(id)),
  customerFollowUps: (customerId) => apiUrl("/customers/" + segment(customerId) + "/follow-ups"),
  followUps: (params) => apiUrl("/follow-ups", params),
  followUp: (id) => apiUrl("/follow-ups/" + segment(id)),
  surveys: (params) => apiUrl("/surveys", params),
  imports: () => apiUrl("/imports"),
  importJob: (id) => apiUrl("/imports/" + segment(id)),
  refusedRows: (id) => apiUrl("/imports/" + segment(id) + "/refused.csv"),
  users: () => apiUrl("/users"),
  user: (id) => apiUrl("/users/" + segment(id)),
  me: () => apiUrl("/me"),
  myStatus: () => apiUrl("/me/status"),
  agents: () => apiUrl("/agents"),
  queue: () => apiUrl("/queue"),
  voiceToken: () => apiUrl("/voice/token"),
};

function csrfToken() {
  const meta = globalThis.document && globalThis.document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

/** The one fetch: `body` goes as JSON, or as-is when it is FormData (uploads). */
export async function request(method, url, body) {
  const headers = { Accept: "application/json" };
  const options = { method, credentials: "same-origin", headers };
  if (!SAFE_METHODS.has(method)) headers["X-CSRFToken"] = csrfToken();
  if (typeof FormData !== "undefined" && body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new ApiError(0, null);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// ---------------------------------------------------------------- calls

export const listCalls = (params) => request("GET", paths.calls(params));
export const activeCalls = () => listCalls({ active: "true" });
export const unwrappedCalls = () => listCalls({ unwrapped: "true" });
export const getCall = (sid) => request("GET", paths.call(sid));
export const claimCall = (sid) => request("POST", paths.claim(sid));
/** Give back a call you hold ("Give back"): nobody holds it then, and every desktop hears so. */
export const releaseCall = (sid) => request("POST", paths.release(sid));
/** End a ghost call as canceled (supervisors, admins; SPEC §3): 409 if it has news or has ended. */
export const closeCall = (sid) => request("POST", paths.close(sid));
/** Link a customer ({customer_id}) and/or wrap up ({notes, disposition}). */
export const updateCall = (sid, changes) => request("PATCH", paths.call(sid), changes);

// ---------------------------------------------------------------- customers and their records

export const searchCustomers = (params) => request("GET", paths.customers(params));
export const createCustomer = (body) => request("POST", paths.customers(), body);
export const getCustomer = (id) => request("GET", paths.customer(id));
export const updateCustomer = (id, changes) => request("PATCH", paths.customer(id), changes);
export const deleteCustomer = (id) => request("DELETE", paths.customer(id));
export const mergeCustomer = (id, duplicateId) =>
  request("POST", paths.customer(id) + "/merge", { duplicate_id: duplicateId });
export const getTimeline = (id) => request("GET", paths.timeline(id));
export const addPreference = (customerId, body) => request("POST", paths.preferences(customerId), body);
export const updatePreference = (id, changes) => request("PATCH", paths.preference(id), changes);
export const deletePreference = (id) => request("DELETE", paths.preference(id));
export const openComplaint = (customerId, body) => request("POST", paths.complaints(customerId), body);
export const updateComplaint = (id, changes) => request("PATCH", paths.complaint(id), changes);

// ---------------------------------------------------------------- the service loop (SPEC §10)

/** A commitment to the customer: {text, due_at, call_sid?} → the open promise. */
export const addPromise = (customerId, body) => request("POST", paths.promises(customerId), body);
/** {status: "kept" | "broken"}, or a new {text} / {due_at}. */
export const updatePromise = (id, changes) => request("PATCH", paths.promise(id), changes);
/** {status?: "open" | "done", owner?: "me" | id} → {items}, soonest due first. */
export const listFollowUps = (params) => request("GET", paths.followUps(params));
/** The follow-ups I still owe, soonest due first (each with its customer_name). */
export const myFollowUps = () => listFollowUps({ status: "open", owner: "me" });
/** {note, due_at?, owner_id?, call_sid?} → the open follow-up. */
export const addFollowUp = (customerId, body) => request("POST", paths.customerFollowUps(customerId), body);
/** {status: "done", outcome} closes it (the outcome is required), or {owner_id} hands it on. */
export const updateFollowUp = (id, changes) => request("PATCH", paths.followUp(id), changes);
/** {customer_id?, agent_id?, since?, until?} → {items}. */
export const listSurveys = (params) => request("GET", paths.surveys(params));

// ---------------------------------------------------------------- admin

export const startImport = (formData) => request("POST", paths.imports(), formData);
export const getImport = (id) => request("GET", paths.importJob(id));
export const listUsers = () => request("GET", paths.users());
export const createUser = (body) => request("POST", paths.users(), body);
export const updateUser = (id, changes) => request("PATCH", paths.user(id), changes);
export const me = () => request("GET", paths.me());

// ---------------------------------------------------------------- routing (SPEC §11)

/** Available or away, as I choose ({"status"}) → {status, state, call_sid}; another value is a 422. */
export const setMyStatus = (status) => request("PUT", paths.myStatus(), { status });
/** My own settings ({watch_all}) → the /me shape. */
export const updateMe = (changes) => request("PATCH", paths.me(), changes);
/** Every agent's status (supervisors, admins) → {items: [{id, name, status, call_sid}]}. */
export const listAgents = () => request("GET", paths.agents());
/** The callers waiting, in the order they will be answered → {items: [{call_sid, position, …}]}. */
export const queue = () => request("GET", paths.queue());

// ---------------------------------------------------------------- the browser phone (SPEC §13)

/** A Twilio Access Token for this user's browser phone → {token, identity, expires_at}; 503 when
 *  the voice settings are missing (the message names them), 409 for a user reached by phone or SIP. */
export const voiceToken = () => request("GET", paths.voiceToken());

/** A JSON page endpoint outside the API (its URL comes from the template, e.g. dashboard counts). */
export const getPageData = (url) => request("GET", url);

/** An import's refused rows as the CSV text the download gives (its page lists their reasons). */
export async function getRefusedRows(id) {
  let response;
  try {
    response = await fetch(paths.refusedRows(id), { credentials: "same-origin", headers: { Accept: "text/csv" } });
  } catch (error) {
    throw new ApiError(0, null);
  }
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    throw new ApiError(response.status, data);
  }
  return response.text();
}

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import * as api from "../../app/static/js/lib/api.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  delete globalThis.document;
});

/** Answer every fetch with `status` and `body`, recording what was asked. */
function answer(status, body) {
  const seen = [];
  globalThis.fetch = async (url, options) => {
    seen.push({ url, options });
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  };
  globalThis.document = {
    querySelector: (selector) => (selector === 'meta[name="csrf-token"]' ? { getAttribute: () => "tok-123" } : null),
  };
  return seen;
}

test("every path sits under /api/v1, ids are escaped, blank query values are left out", () => {
  assert.equal(api.paths.call("CA 1/2"), "/api/v1/calls/CA%201%2F2");
  assert.equal(api.paths.claim("CA1"), "/api/v1/calls/CA1/claim");
  assert.equal(api.paths.release("CA1"), "/api/v1/calls/CA1/release");
  assert.equal(api.paths.close("CA1"), "/api/v1/calls/CA1/close");
  assert.equal(api.paths.preferences(7), "/api/v1/customers/7/preferences");
  assert.equal(api.paths.refusedRows(3), "/api/v1/imports/3/refused.csv");
  assert.equal(api.paths.customers({ q: "ali ce", phone: "", page: 2, per_page: undefined }),
    "/api/v1/customers?q=ali+ce&page=2");
  assert.equal(api.paths.calls({ active: "true" }), "/api/v1/calls?active=true");
});

test("the service loop's paths (SPEC §10)", () => {
  assert.equal(api.paths.promises(7), "/api/v1/customers/7/promises");
  assert.equal(api.paths.promise(3), "/api/v1/promises/3");
  assert.equal(api.paths.customerFollowUps(7), "/api/v1/customers/7/follow-ups");
  assert.equal(api.paths.followUp(4), "/api/v1/follow-ups/4");
  assert.equal(api.paths.followUps({ status: "open", owner: "me" }), "/api/v1/follow-ups?status=open&owner=me");
  assert.equal(api.paths.surveys({ customer_id: 7 }), "/api/v1/surveys?customer_id=7");
});

test("routing's paths (SPEC §11)", () => {
  assert.equal(api.paths.myStatus(), "/api/v1/me/status");
  assert.equal(api.paths.agents(), "/api/v1/agents");
  assert.equal(api.paths.queue(), "/api/v1/queue");
});

test("my status is a PUT and watch_all a PATCH of /me, with the CSRF token; a refusal carries the server's message", async () => {
  const seen = answer(200, { status: "away", state: "away", call_sid: null });
  await api.setMyStatus("away");
  await api.updateMe({ watch_all: true });
  assert.deepEqual(seen.map((s) => [s.options.method, s.url, s.options.body]), [
    ["PUT", "/api/v1/me/status", JSON.stringify({ status: "away" })],
    ["PATCH", "/api/v1/me", JSON.stringify({ watch_all: true })],
  ]);
  assert.ok(seen.every((s) => s.options.headers["X-CSRFToken"] === "tok-123"));
  answer(422, { error: { code: "validation_error", message: "Not a status: busy", fields: { status: ["Must be one of: available, away."] } } });
  await assert.rejects(api.setMyStatus("busy"), (error) => error.status === 422 && error.message === "Not a status: busy");
});

test("closing a follow-up and keeping a promise are PATCHes with the CSRF token", async () => {
  const seen = answer(200, { id: 1 });
  await api.updateFollowUp(4, { status: "done", outcome: "Refunded" });
  await api.updatePromise(3, { status: "kept" });
  await api.addPromise(7, { text: "Refund", due_at: "2026-12-03T23:59:59-05:00", call_sid: "CA1" });
  await api.myFollowUps();
  assert.deepEqual(seen.map((s) => [s.options.method, s.url]), [
    ["PATCH", "/api/v1/follow-ups/4"], ["PATCH", "/api/v1/promises/3"], ["POST", "/api/v1/customers/7/promises"],
    ["GET", "/api/v1/follow-ups?status=open&owner=me"],
  ]);
  assert.equal(seen[0].options.headers["X-CSRFToken"], "tok-123");
  assert.equal(seen[0].options.body, '{"status":"done","outcome":"Refunded"}');
});

test("a change carries the CSRF token and a JSON body; a read carries neither", async () => {
  const seen = answer(200, { id: 1 });
  assert.deepEqual(await api.updatePreference(5, { value: "oat" }), { id: 1 });
  await api.getCustomer(1);
  const [patch, get] = seen;
  assert.equal(patch.url, "/api/v1/preferences/5");
  assert.equal(patch.options.method, "PATCH");
  assert.equal(patch.options.headers["X-CSRFToken"], "tok-123");
  assert.equal(patch.options.headers["Content-Type"], "application/json");
  assert.equal(patch.options.body, '{"value":"oat"}');
  assert.equal(patch.options.credentials, "same-origin");
  assert.equal(get.options.method, "GET");
  assert.equal(get.options.headers["X-CSRFToken"], undefined);
  assert.equal(get.options.body, undefined);
});

test("204 resolves with null", async () => {
  answer(204);
  assert.equal(await api.deletePreference(5), null);
});

test("the contract's error body becomes an ApiError with code, message and fields", async () => {
  answer(409, { error: { code: "conflict", message: "Taken by Frank", fields: { version: ["stale"] } } });
  const error = await api.claimCall("CA1").catch((e) => e);
  assert.ok(error instanceof api.ApiError && error instanceof Error);
  assert.deepEqual([error.status, error.code, error.message, error.fields], [409, "conflict", "Taken by Frank", { version: ["stale"] }]);
});

test("an answer without the error body, and no answer at all, are ApiErrors too", async () => {
  answer(502);
  const bad = await api.getCall("CA1").catch((e) => e);
  assert.deepEqual([bad.status, bad.code, bad.message, bad.fields], [502, "http_502", "The server answered 502.", {}]);
  globalThis.fetch = async () => { throw new TypeError("Failed to fetch"); };
  const down = await api.getCall("CA1").catch((e) => e);
  assert.deepEqual([down.status, down.code, down.message], [0, "network", "The server could not be reached."]);
});

test("giving a call back and closing a ghost are POSTs with the CSRF token and no body", async () => {
  const seen = answer(200, { call_sid: "CA1", agent: null });
  assert.deepEqual(await api.releaseCall("CA1"), { call_sid: "CA1", agent: null });
  await api.closeCall("CA2");
  assert.deepEqual(seen.map((s) => [s.options.method, s.url, s.options.headers["X-CSRFToken"], s.options.body]), [
    ["POST", "/api/v1/calls/CA1/release", "tok-123", undefined],
    ["POST", "/api/v1/calls/CA2/close", "tok-123", undefined],
  ]);
});

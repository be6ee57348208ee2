import assert from "node:assert/strict";
import test from "node:test";

import { changedFields, describeChanges } from "../../app/static/js/lib/changes.js";

const read = { name: "Alice Wong", phones: ["+14155550100"], email: null, tier: "vip", external_id: "C-1" };

test("only the fields an edit changed are sent, and blank equals null", () => {
  const body = { name: "Alice W.", phones: ["+14155550100"], email: "", tier: "vip", external_id: "C-1" };
  assert.deepEqual(changedFields(read, body), { name: "Alice W." });
  assert.deepEqual(changedFields(read, { ...body, name: "Alice Wong" }), {});
  assert.deepEqual(changedFields(read, { ...body, phones: ["+14155550100", "+14155550177"] }),
    { name: "Alice W.", phones: ["+14155550100", "+14155550177"] });
});

test("what a colleague changed meanwhile is named with its new value", () => {
  const after = { ...read, phones: ["+14155550100", "+14155550177"], email: "" };
  assert.equal(describeChanges(read, after), "phones (now +14155550100, +14155550177)");
  assert.equal(describeChanges(read, { ...read, external_id: null }), "external id (now empty)");
  assert.equal(describeChanges(read, read), "");
});

test("changed numbers are described as people read them, when the record says how", () => {
  const before = { phones: ["+14155550150"] };
  const after = { phones: ["+14155550150", "+14155550177"], phone_numbers: [
    { e164: "+14155550150", display: "(415) 555-0150" }, { e164: "+14155550177", display: "(415) 555-0177" }] };
  assert.equal(describeChanges(before, after), "phones (now (415) 555-0150, (415) 555-0177)");
});

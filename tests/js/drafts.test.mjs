import assert from "node:assert/strict";
import { test } from "node:test";

import { createDrafts, MAX_AGE_MS, memoryStorage, sameValues, storageKey } from "../../app/static/js/lib/drafts.js";

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

test("a draft is kept per call and form, and read back as it was typed", () => {
  const drafts = createDrafts(memoryStorage());
  drafts.save("CA1", "complaint-new", { values: { subject: "Broken lid ", severity: "high" }, action: "complaint-new" });
  drafts.save("CA1", "complaint-edit:3", {
    values: { subject: "Late" }, action: "complaint-edit", owner: { attr: "data-complaint-id", id: 3 },
  });
  drafts.save("CA2", "wrapup", { values: { notes: "Refund agreed" }, action: "wrapup" });

  assert.deepEqual(drafts.load("CA1", "complaint-new").values, { subject: "Broken lid ", severity: "high" });
  assert.deepEqual(drafts.load("CA1", "complaint-edit:3").owner, { attr: "data-complaint-id", id: 3 });
  assert.ok(drafts.has("CA2", "wrapup"));
  assert.ok(!drafts.has("CA1", "wrapup"));
  assert.deepEqual(drafts.of("CA1").map((d) => d.key).sort(), ["complaint-edit:3", "complaint-new"]);
  assert.deepEqual(drafts.scopes().sort(), ["CA1", "CA2"]);
});

test("saved, cancelled or wrapped up: remove forgets one draft, removeScope a call's, but what it keeps", () => {
  const drafts = createDrafts(memoryStorage());
  ["wrapup", "remember", "find"].forEach((key) => drafts.save("CA1", key, { values: { q: key } }));
  drafts.save("CA2", "find", { values: { query: "hopper" } });

  drafts.remove("CA1", "find");
  assert.equal(drafts.load("CA1", "find"), null);
  drafts.removeScope("CA1", ["remember"]);
  assert.deepEqual(drafts.of("CA1").map((d) => d.key), ["remember"]);
  assert.ok(drafts.has("CA2", "find"));  // another call's drafts are not touched
});

test("other keys in the storage, unreadable drafts and old ones are left out or pruned", () => {
  const storage = memoryStorage();
  const { time, now } = clock();
  const drafts = createDrafts(storage, { user: 7, now });
  storage.setItem("unrelated", "1");
  storage.setItem(storageKey("7", "CA1", "find"), "{not json");
  drafts.save("CA1", "wrapup", { values: { notes: "old" } });
  time.now += MAX_AGE_MS + 1;
  drafts.save("CA2", "wrapup", { values: { notes: "fresh" } });

  assert.equal(drafts.load("CA1", "find"), null);
  drafts.prune();
  assert.deepEqual(drafts.scopes(), ["CA2"]);
  assert.equal(storage.getItem("unrelated"), "1");
});

test("a draft is its user's: another user on the same tab neither sees it nor keeps it", () => {
  const storage = memoryStorage();
  createDrafts(storage, { user: 7 }).save("CA1", "wrapup", { values: { notes: "private" } });
  const next = createDrafts(storage, { user: 8 });
  assert.equal(next.load("CA1", "wrapup"), null);
  assert.deepEqual(next.scopes(), []);
  next.prune();
  assert.equal(createDrafts(storage, { user: 7 }).load("CA1", "wrapup"), null);
});

test("a storage that refuses writes (full, or disabled) loses the draft but never throws", () => {
  const storage = memoryStorage();
  storage.setItem = () => { throw new Error("QuotaExceededError"); };
  const drafts = createDrafts(storage);
  drafts.save("CA1", "wrapup", { values: { notes: "x" } });
  assert.equal(drafts.load("CA1", "wrapup"), null);
});

test("without sessionStorage (Node, or a browser that forbids it) drafts live in memory", () => {
  const drafts = createDrafts();
  drafts.save("CA9", "find", { values: { query: "wei" } });
  assert.deepEqual(drafts.load("CA9", "find").values, { query: "wei" });
});

test("values are the same when every field says the same, a missing field counting as blank", () => {
  assert.ok(sameValues({ notes: "", disposition: "" }, { notes: "" }));
  assert.ok(sameValues({ done: false }, { done: false }));
  assert.ok(!sameValues({ notes: "a" }, { notes: "a " }));
  assert.ok(!sameValues({ done: true }, { done: false }));
  assert.ok(!sameValues({ key: "milk" }, {}));
});

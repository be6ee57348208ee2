import assert from "node:assert/strict";
import test from "node:test";

import { oneReadAtATime } from "../../app/static/js/lib/reads.js";

function gate() {
  let open;
  const opened = new Promise((resolve) => { open = resolve; });
  return { opened, open };
}

test("a read asked for during another runs once, right after it", async () => {
  const gates = [];
  let started = 0;
  const reads = oneReadAtATime(() => { started += 1; const g = gate(); gates.push(g); return g.opened; }, 10);
  const first = reads.refresh();
  assert.equal(reads.refresh(), first);  // the same read, not a second one at once
  reads.refresh();
  assert.equal(started, 1);
  assert.equal(reads.pending(), true);
  gates[0].open();
  await first;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(started, 2);  // three asked during one read: one more read, not two
  assert.equal(reads.pending(), false);
  gates[1].open();
});

test("a failed read does not stop the next one", async () => {
  let calls = 0;
  const reads = oneReadAtATime(() => { calls += 1; return calls === 1 ? Promise.reject(new Error("down")) : Promise.resolve(); }, 10);
  await assert.rejects(reads.refresh(), /down/);
  await reads.refresh();
  assert.equal(calls, 2);
});

test("soon reads once a burst has settled", async () => {
  let calls = 0;
  const reads = oneReadAtATime(() => { calls += 1; return Promise.resolve(); }, 20);
  reads.soon(); reads.soon(); reads.soon();
  assert.equal(calls, 0);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(calls, 1);
});

import assert from "node:assert/strict";
import { test } from "node:test";

import { constants, parseConstants } from "../../app/static/js/lib/constants.js";
import { CONSTANTS_JSON } from "./constants_fixture.mjs";

test("the constants block parses into frozen values", () => {
  const c = parseConstants(CONSTANTS_JSON);
  assert.deepEqual(c.tiers, ["standard", "silver", "gold", "vip"]);
  assert.equal(c.call_status_rank["in-progress"], 3);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.tiers));
  assert.throws(() => { c.tiers.push("platinum"); }, TypeError);
});

test("a block missing a key is refused, naming it", () => {
  const data = JSON.parse(CONSTANTS_JSON);
  delete data.dispositions;
  assert.throws(() => parseConstants(JSON.stringify(data)), /missing dispositions/);
  assert.throws(() => parseConstants("null"), /not a JSON object/);
});

test("the page's block is read once, then kept", () => {
  let reads = 0;
  const doc = { getElementById: (id) => { reads += 1; return id === "kc-constants" ? { textContent: CONSTANTS_JSON } : null; } };
  assert.equal(constants(doc).roles[0], "agent");
  assert.equal(constants(doc), constants());
  assert.equal(reads, 1);
});

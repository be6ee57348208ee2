import assert from "node:assert/strict";
import { test } from "node:test";

import { nextDirection, ratio, sortRows } from "../../app/static/js/lib/sorting.js";

const rows = [
  { name: "dana", nps: 20 }, { name: "Ann", nps: null }, { name: "frank", nps: 50 }, { name: "Bea", nps: 20 },
];

test("rows sort by a column either way, names without regard to case", () => {
  assert.deepEqual(sortRows(rows, (r) => r.name).map((r) => r.name), ["Ann", "Bea", "dana", "frank"]);
  assert.deepEqual(sortRows(rows, (r) => r.name, "descending").map((r) => r.name), ["frank", "dana", "Bea", "Ann"]);
});

test("a missing value sorts last both ways, ties keep their order", () => {
  assert.deepEqual(sortRows(rows, (r) => r.nps, "descending").map((r) => r.name), ["frank", "dana", "Bea", "Ann"]);
  assert.deepEqual(sortRows(rows, (r) => r.nps, "ascending").map((r) => r.name), ["dana", "Bea", "frank", "Ann"]);
  assert.equal(rows[0].name, "dana");  // the input is left as it was
});

test("a click flips the same column, another column starts at its first direction", () => {
  assert.equal(nextDirection({ key: "nps", direction: "descending" }, "nps"), "ascending");
  assert.equal(nextDirection({ key: "nps", direction: "ascending" }, "nps"), "descending");
  assert.equal(nextDirection({ key: "nps", direction: "ascending" }, "calls", "descending"), "descending");
  assert.equal(nextDirection(null, "name"), "ascending");
});

test("a ratio is null when there was nothing to do", () => {
  assert.equal(ratio(3, 4), 0.75);
  assert.equal(ratio(0, 0), null);
  assert.equal(ratio(null, 4), null);
});

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  dateToDueAt, duration, dueText, endOfDay, isoToDate, localIso, optionLabel, shortDate, tierLabel,
} from "../../app/static/js/lib/format.js";

test("duration reads minutes and seconds, hours only when there are some", () => {
  assert.equal(duration(0), "0:00");
  assert.equal(duration(42), "0:42");
  assert.equal(duration(95), "1:35");
  assert.equal(duration(725), "12:05");
  assert.equal(duration(3723), "1:02:03");
});

test("duration drops fractions, clamps negatives, and is blank when unknown", () => {
  assert.equal(duration(41.9), "0:41");
  assert.equal(duration(-5), "0:00");
  assert.equal(duration(null), "");
  assert.equal(duration(undefined), "");
});

test("a due date from a date input is the end of that local day", () => {
  const due = new Date(dateToDueAt("2026-11-30"));
  assert.deepEqual([due.getFullYear(), due.getMonth(), due.getDate(), due.getHours(), due.getMinutes()],
    [2026, 10, 30, 23, 59]);
  assert.equal(isoToDate(dateToDueAt("2026-11-30")), "2026-11-30");
  assert.equal(dateToDueAt(""), null);
  assert.equal(dateToDueAt("30/11/2026"), null);
  assert.equal(isoToDate("not a date"), "");
});

test("due text says how far off the due time is, in hours within a day", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  const at = (hours) => new Date(now + hours * 3600000).toISOString();
  assert.equal(dueText(at(-48), now), "due 2 days ago");
  assert.equal(dueText(at(-24), now), "due 1 day ago");
  assert.equal(dueText(at(-1), now), "due 1 hour ago");
  assert.equal(dueText(at(0.2), now), "due within the hour");
  assert.equal(dueText(at(-0.2), now), "due just now");
  assert.equal(dueText(at(5), now), "due in 5 hours");
  assert.equal(dueText(at(72), now), "due in 3 days");
  assert.equal(dueText(null, now), "");
});

test("labels: VIP is spelled out, other values are capitalised", () => {
  assert.equal(tierLabel("vip"), "VIP");
  assert.equal(tierLabel("gold"), "Gold");
  assert.equal(optionLabel("in-progress"), "In-progress");
});


/** Run `fn` with the process in time zone `tz` (Node reads TZ again whenever it is set). */
function inZone(tz, fn) {
  const before = process.env.TZ;
  process.env.TZ = tz;
  try { return fn(); } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

test("a promise's date is the last second of that day where the agent is, with the local offset", () => {
  assert.equal(inZone("America/New_York", () => endOfDay("2026-12-03")), "2026-12-03T23:59:59-05:00");
  assert.equal(inZone("America/New_York", () => endOfDay("2026-07-03")), "2026-07-03T23:59:59-04:00");
  assert.equal(inZone("Asia/Kolkata", () => endOfDay("2026-12-03")), "2026-12-03T23:59:59+05:30");
  assert.equal(inZone("UTC", () => endOfDay("2026-12-03")), "2026-12-03T23:59:59+00:00");
  // The same instant as the local end of day, whatever the zone.
  inZone("Australia/Adelaide", () => {
    const end = new Date(endOfDay("2026-12-03"));
    assert.deepEqual([end.getDate(), end.getHours(), end.getMinutes(), end.getSeconds()], [3, 23, 59, 59]);
  });
});

test("a date input that is blank, malformed or impossible gives no due date", () => {
  assert.equal(endOfDay(""), null);
  assert.equal(endOfDay(null), null);
  assert.equal(endOfDay("03/12/2026"), null);
  assert.equal(endOfDay("2026-02-31"), null);
});

test("localIso writes the local wall time and offset; shortDate the day alone", () => {
  assert.equal(inZone("America/St_Johns", () => localIso(new Date(Date.UTC(2026, 0, 5, 12, 0, 7)))),
    "2026-01-05T08:30:07-03:30");
  assert.equal(shortDate("not a date"), "");
  assert.match(inZone("UTC", () => shortDate("2026-12-03T10:00:00Z")), /3/);
});

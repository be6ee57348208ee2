import assert from "node:assert/strict";
import { test } from "node:test";

import {
  change, chartPercent, dayLabel, earlierText, figure, figureText, formatFigure, hourLabel, lastDaysRange, rangeDays,
  rangeFor, serviceLevelVerdict, todayRange,
} from "../../app/static/js/lib/figures.js";

const plain = (text) => text.replace(/\u00a0/g, " ").replace(/\u2212/g, "-");

test("rates read as whole percents, a little above nothing as <1 %", () => {
  assert.equal(plain(formatFigure(0.82, "rate")), "82 %");
  assert.equal(plain(formatFigure(0.825, "rate")), "83 %");
  assert.equal(plain(formatFigure(0, "rate")), "0 %");
  assert.equal(plain(formatFigure(1, "rate")), "100 %");
  assert.equal(plain(formatFigure(0.001, "rate")), "<1 %");
});

test("times read in seconds, minutes, hours", () => {
  assert.equal(plain(formatFigure(12, "seconds")), "12 s");
  assert.equal(plain(formatFigure(12.4, "seconds")), "12 s");
  assert.equal(plain(formatFigure(60, "seconds")), "1 min");
  assert.equal(plain(formatFigure(245, "seconds")), "4 min 5 s");
  assert.equal(plain(formatFigure(3720, "seconds")), "1 h 2 min");
});

test("an NPS is signed, counts are plain", () => {
  assert.equal(formatFigure(32, "nps"), "+32");
  assert.equal(plain(formatFigure(-10, "nps")), "-10");
  assert.equal(formatFigure(0, "nps"), "0");
  assert.equal(formatFigure(7, "count"), "7");
});

test("a figure with nothing to count is a dash that says why", () => {
  for (const value of [null, undefined, NaN]) assert.equal(formatFigure(value, "rate"), "—");
  const shown = figureText(null, figure("nps"));
  assert.equal(shown.text, "—");
  assert.match(shown.title, /no survey was answered/);
  assert.equal(figureText(12, figure("nps")).title, "");
});

test("today against an earlier range: points for rates, better or worse by the figure", () => {
  const sl = change(0.82, 0.78, figure("service_level"));
  assert.equal(plain(sl.text), "+4 pts");
  assert.equal(sl.direction, "up");
  assert.equal(sl.verdict, "better");
  assert.equal(sl.words, "4 points higher (better)");
  assert.equal(plain(change(0.71, 0.72, figure("service_level")).text), "-1 pt");
  const abandoned = change(0.1, 0.05, figure("abandonment_rate"));
  assert.equal(abandoned.verdict, "worse");
  const asa = change(30, 42, figure("asa_seconds"));
  assert.equal(plain(asa.text), "-12 s");
  assert.equal(asa.verdict, "better");
  assert.equal(change(300, 200, figure("aht_seconds")).verdict, "neutral");
  assert.equal(change(0.5, 0.5, figure("service_level")).text, "same");
  assert.equal(change(null, 0.5, figure("service_level")), null);
  assert.equal(change(0.5, null, figure("service_level")), null);
});

test("an earlier range's counts are compared a day at a time", () => {
  const calls = figure("calls");
  assert.equal(earlierText(70, calls, 7), "10 a day");
  assert.equal(earlierText(75, calls, 7), "10.7 a day");
  assert.equal(earlierText(48, calls, 1), "48");
  assert.equal(change(12, 70, calls, 7).text, "+2");
  assert.equal(plain(earlierText(0.78, figure("service_level"), 7)), "78 %");
  assert.equal(earlierText(null, calls, 7), "—");
  assert.equal(rangeDays("2026-11-24T00:00:00Z", "2026-12-01T00:00:00Z"), 7);
});

test("the service level says its target, met or missed as shown", () => {
  const met = serviceLevelVerdict(0.82, 0.8);
  assert.equal(plain(met.text), "82 % · target 80 %");
  assert.deepEqual([met.met, met.label], [true, "Met"]);
  assert.deepEqual([serviceLevelVerdict(0.75, 0.8).met, serviceLevelVerdict(0.75, 0.8).label], [false, "Missed"]);
  assert.equal(serviceLevelVerdict(0.796, 0.8).met, true);  // reads "80 %": not missed
  assert.equal(serviceLevelVerdict(null, 0.8).met, null);
  assert.equal(plain(serviceLevelVerdict(0.9, undefined).text), "90 % · target 80 %");
});

test("today and the offered ranges are UTC days before today", () => {
  const now = Date.parse("2026-12-01T15:30:00Z");
  assert.deepEqual(todayRange(now), { since: "2026-12-01T00:00:00Z", until: "2026-12-02T00:00:00Z" });
  assert.deepEqual(rangeFor("yesterday", now), { since: "2026-11-30T00:00:00Z", until: "2026-12-01T00:00:00Z", label: "yesterday" });
  assert.equal(rangeFor("7d", now).since, "2026-11-24T00:00:00Z");
  assert.equal(rangeFor("30d", now).until, "2026-12-01T00:00:00Z");
  assert.deepEqual(lastDaysRange(30, now), { since: "2026-11-02T00:00:00Z", until: "2026-12-02T00:00:00Z" });
});

test("a custom range runs from its first day to the end of its last, or says what is wrong", () => {
  const now = Date.parse("2026-12-01T15:30:00Z");
  assert.deepEqual(rangeFor("custom", now, { since: "2026-11-01", until: "2026-11-03" }),
    { since: "2026-11-01T00:00:00Z", until: "2026-11-04T00:00:00Z", label: "2026-11-01 to 2026-11-03" });
  assert.equal(rangeFor("custom", now, { since: "2026-11-03", until: "2026-11-03" }).label, "2026-11-03");
  assert.match(rangeFor("custom", now, { since: "", until: "2026-11-03" }).error, /first day/);
  assert.match(rangeFor("custom", now, { since: "2026-11-03", until: "2026-02-31" }).error, /last day/);
  assert.match(rangeFor("custom", now, { since: "2026-11-03", until: "2026-11-01" }).error, /before/);
});

test("chart labels and values", () => {
  assert.equal(hourLabel("2026-12-01T07:00:00Z"), "07:00");
  assert.equal(dayLabel("2026-12-03T00:00:00Z"), "3 Dec");
  assert.equal(hourLabel("nope"), "");
  assert.equal(chartPercent(0.825), 82.5);
  assert.equal(chartPercent(null), null);
});

import assert from "node:assert/strict";
import { test } from "node:test";

import { insightPaths } from "../../app/static/js/lib/insight_api.js";

const range = { since: "2026-11-24T00:00:00Z", until: "2026-12-01T00:00:00Z" };
const query = (url) => Object.fromEntries(new URL(url, "http://x").searchParams);

test("figures and series over a range, today when none is given", () => {
  assert.equal(insightPaths.metrics(), "/api/v1/metrics");
  assert.deepEqual(query(insightPaths.metrics(range)), range);
  assert.deepEqual(query(insightPaths.series(range, "hour")), { ...range, bucket: "hour" });
  assert.equal(insightPaths.metricsCsv(range, "day").split("?")[0], "/api/v1/metrics.csv");
  assert.deepEqual(query(insightPaths.metricsCsv(range, "day")), { ...range, by: "day" });
  assert.equal(insightPaths.scorecardsCsv(range).split("?")[0], "/api/v1/scorecards.csv");
});

test("an agent's calls and surveys, the care list and its writes", () => {
  assert.deepEqual(query(insightPaths.agentCalls(3, range)), { agent_id: "3", ...range, per_page: "100" });
  assert.deepEqual(query(insightPaths.agentSurveys(3, range)), { agent_id: "3", ...range });
  assert.equal(insightPaths.careList({ owner: "me", reason: "" }), "/api/v1/care-list?owner=me");
  assert.equal(insightPaths.careAssign(), "/api/v1/care-list/assign");
  assert.equal(insightPaths.callbacks(), "/api/v1/callbacks");
  assert.equal(insightPaths.myFigures(), "/api/v1/me/figures");
});

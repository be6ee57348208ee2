/* KnownCaller: the supervisor's view in the JSON API (SPEC §12) — figures, series, scorecards, the
 * care list, callbacks, my own figures — one function per endpoint, on top of lib/api.js (its
 * `apiUrl` and `request`: the same cookie, CSRF header and ApiError). `insightPaths` is pure, for
 * tests. A range is {since, until} (ISO 8601 UTC); left out, the server counts today.
 */
import { apiUrl, request } from "./api.js";

function range(r) {
  return r ? { since: r.since, until: r.until } : {};
}

/** Every address of the supervisor's view the pages use (the CSV downloads are links). */
export const insightPaths = {
  metrics: (r) => apiUrl("/metrics", range(r)),
  series: (r, bucket) => apiUrl("/metrics/series", { ...range(r), bucket }),
  metricsCsv: (r, by) => apiUrl("/metrics.csv", { ...range(r), by }),
  scorecards: (r, agentId) => apiUrl("/scorecards", { ...range(r), agent_id: agentId }),
  scorecardsCsv: (r) => apiUrl("/scorecards.csv", range(r)),
  agentCalls: (agentId, r) => apiUrl("/calls", { agent_id: agentId, ...range(r), per_page: 100 }),
  agentSurveys: (agentId, r) => apiUrl("/surveys", { agent_id: agentId, ...range(r) }),
  myFigures: () => apiUrl("/me/figures"),
  careList: (params) => apiUrl("/care-list", params),
  careAssign: () => apiUrl("/care-list/assign"),
  callbacks: () => apiUrl("/callbacks"),
};

/** The figures over a range → {calls, answered, …, service_level_target}. */
export const getMetrics = (r) => request("GET", insightPaths.metrics(r));
/** The figures bucket by bucket ("hour" | "day") → {bucket, items: [{start, …}]}. */
export const getSeries = (r, bucket) => request("GET", insightPaths.series(r, bucket));
/** Every agent's scorecard over a range (an agent: their own) → {items: [{agent, calls, …}]}. */
export const getScorecards = (r) => request("GET", insightPaths.scorecards(r));
/** An agent's calls over a range, newest first → {items: [call]}. */
export const agentCalls = (agentId, r) => request("GET", insightPaths.agentCalls(agentId, r));
/** The surveys on an agent's calls over a range → {items: [survey]}. */
export const agentSurveys = (agentId, r) => request("GET", insightPaths.agentSurveys(agentId, r));
/** My own figures for today → {calls, aht_seconds, nps, surveys, follow_ups_due, follow_ups_overdue}. */
export const myFigures = () => request("GET", insightPaths.myFigures());
/** {reason?, owner? ("me" | "none" | id), limit?} → {items, counts, callbacks: {available, reason}}. */
export const careList = (params) => request("GET", insightPaths.careList(params));
/** Give a care-list item ("follow_up:12") to someone (`ownerId`) → {item, owner, follow_up_id}. */
export const assignCare = (item, ownerId) => request("POST", insightPaths.careAssign(), { item, owner_id: ownerId });
/** Call a customer back ({customer_id?, follow_up_id?}): my phone rings first → 201 the outbound call. */
export const callBack = (body) => request("POST", insightPaths.callbacks(), body);

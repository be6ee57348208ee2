// The constants in the shape app/client_constants.py renders them (with a shorter dispositions
// list); the browser tests run the pages against the real block.
export const CONSTANTS_JSON = JSON.stringify({
  call_status_rank: {
    queued: 0, initiated: 1, ringing: 2, "in-progress": 3,
    completed: 4, busy: 4, "no-answer": 4, canceled: 4, failed: 4,
  },
  terminal_statuses: ["busy", "canceled", "completed", "failed", "no-answer"],
  tiers: ["standard", "silver", "gold", "vip"],
  complaint_severities: ["low", "medium", "high", "critical"],
  complaint_statuses: ["open", "in-progress", "resolved"],
  dispositions: ["resolved", "follow-up needed"],
  roles: ["agent", "supervisor", "admin"],
  reach_kinds: ["client", "phone", "sip"],
});

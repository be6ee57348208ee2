/* KnownCaller: /dashboard (supervisors, admins) — the agents and their status, the callers waiting,
 * live calls and who took them, complaint counts, what we owe customers and is late (follow-ups,
 * promises), recent calls.
 *
 * Live over the page's own socket (SPEC §11: a supervisor connected is not an agent online and is
 * never rung, so watching does not change the routing): `agent_status`, `queue_update`,
 * `screen_pop` and `call_update` keep the agents (dashboard/agents.js), the queue
 * (components/queue_panel.js) and the live calls (dashboard/live_calls.js) as they happen. The
 * figures no event carries (complaints, what is owed, recent calls) are read again shortly after
 * events arrive, and every minute whatever happens. Without the socket client the page polls.
 *
 * Above them, how today is going (SPEC §12): the figures of today beside an earlier range
 * (dashboard/figures.js), the charts (dashboard/charts.js, Chart.js), the care list
 * (components/care_list.js) and the agents' scorecards over that range (dashboard/scorecards.js),
 * read when the page opens and every minute; the earlier range when it is chosen.
 */
import * as api from "../lib/api.js";
import { currentUser, el, onAction } from "../lib/dom.js";
import { dateTime, duration } from "../lib/format.js";
import { createCareList } from "../components/care_list.js";
import { createQueuePanel } from "../components/queue_panel.js";
import { createAgents } from "./dashboard/agents.js";
import { createCharts } from "./dashboard/charts.js";
import { createFigures } from "./dashboard/figures.js";
import { createInsight } from "./dashboard/insight.js";
import { callerNumber, createLiveCalls, customerLink, fill } from "./dashboard/live_calls.js";
import { createScorecards } from "./dashboard/scorecards.js";

const root = document.getElementById("dashboard");

const HEARTBEAT_MS = 30000;
/** The slow re-read of everything, events or not (pub/sub between processes delivers at most once). */
const POLL_MS = 60 * 1000;
/** Without the socket client: the old way, every few seconds. */
const FALLBACK_POLL_MS = 5000;
/** Events come in bursts (a reconnect replays every live call): one read of the counts for the lot. */
const SETTLE_MS = 1000;

const REASONS = { detractor: "Call back: low score", voicemail: "Call back: voicemail",
  callback_requested: "Call back: requested", complaint_reopened: "Complaint reopened", manual: "Follow-up" };

/** One thing we owe a customer and is late: a follow-up (why, and its note) or a promise (what). */
function owedRow(item) {
  let who = { text: "—" };
  if (item.customer) {
    const a = el("a", null, item.customer.name);
    a.href = "/customers/" + encodeURIComponent(item.customer.id);
    who = { node: a };
  }
  const what = item.kind === "promise" ? "Promise: " + item.text
    : (REASONS[item.reason] || "Follow-up") + (item.text && item.text !== item.reason ? " — " + item.text : "");
  return [who, what, item.owner ? item.owner.name : "Nobody yet",
    { node: el("span", "badge badge-overdue", "Overdue since " + dateTime(item.due_at)) }];
}

function start() {
  const updated = document.getElementById("dashboard-updated");
  const connection = document.getElementById("dashboard-connection");
  const live = createLiveCalls({
    onChange(calls) {
      document.getElementById("stat-live").textContent = String(calls.length);
      document.getElementById("stat-unclaimed").textContent = String(calls.filter((c) => !c.agent).length);
      agents.render();
    },
  });
  const agents = createAgents(document.getElementById("agents-panel"), {
    callerOf(sid) {
      const call = live.get(sid);
      if (!call) return "";
      const name = customerLink(call);
      return name.node ? name.node.textContent : name.text;
    },
  });
  const queue = createQueuePanel(document.getElementById("queue-panel"), { customerUrl: "/customers/" });
  const customerUrl = root.getAttribute("data-customer-url") || "/customers/";
  const care = createCareList(document.getElementById("care-panel"), { me: currentUser(), customerUrl });
  createInsight({
    figures: createFigures(document.getElementById("figures"), document.getElementById("figures-status")),
    charts: createCharts(document.getElementById("charts"), document.getElementById("charts-status")),
    scorecards: createScorecards(document.getElementById("scorecards-panel"), document.getElementById("agent-dialog"),
      { customerUrl }),
    care,
  });

  function stamp(text) {
    updated.textContent = text || "Updated " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function setConnection(state, label) {
    connection.setAttribute("data-state", state);
    connection.textContent = label;
  }

  function readLive() {
    const requestedAt = Date.now();
    return api.activeCalls().then((data) => live.replace((data && data.items) || [], requestedAt));
  }

  function readRecent() {
    return api.listCalls({ page: 1, per_page: 20 }).then((data) => {
      fill("recent-table", "recent-empty", ((data && data.items) || []).map((c) => [dateTime(c.started_at), customerLink(c),
        { text: callerNumber(c), className: "num" }, c.status, duration(c.duration), c.agent ? c.agent.name : "—",
        c.disposition || ""]));
    });
  }

  function readCounts() {
    return api.getPageData(root.getAttribute("data-counts-url")).then((c) => {
      document.getElementById("stat-open").textContent = String(c.open);
      document.getElementById("stat-overdue").textContent = String(c.overdue);
      document.getElementById("stat-overdue-box").classList.toggle("stat-danger", c.overdue > 0);
      document.getElementById("stat-follow-ups").textContent = String(c.follow_ups_overdue);
      document.getElementById("stat-follow-ups-box").classList.toggle("stat-danger", c.follow_ups_overdue > 0);
      document.getElementById("stat-promises").textContent = String(c.promises_overdue);
      document.getElementById("stat-promises-box").classList.toggle("stat-danger", c.promises_overdue > 0);
      fill("owed-table", "owed-empty", (c.overdue_items || []).map(owedRow));
    });
  }

  function settled(reads) {
    return Promise.all(reads).then(() => stamp(), (error) => {
      stamp("Could not refresh: " + (error && error.message ? error.message : error));
    });
  }

  /** Everything, over HTTP (on connect, the slow poll, a resync from the server). The agents and
   *  the queue say their own errors in their panels. */
  function refresh() {
    agents.refresh();
    queue.refresh();
    return settled([readLive(), readRecent(), readCounts()]);
  }

  /** What no event carries, read once a burst of events has settled. */
  let timer = null;
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(() => settled([readRecent(), readCounts()]), SETTLE_MS);
  }

  onAction(root, {
    "close-call": function (target) {
      const sid = target.closest("[data-call-sid]").getAttribute("data-call-sid");
      target.disabled = true;
      api.closeCall(sid).then(function () {
        return refresh().then(function () { updated.textContent = "Call closed · " + updated.textContent; });
      }, function (error) {
        target.disabled = false;
        updated.textContent = "Could not close the call: " + error.message;
      });
    },
  });

  // Live times tick every second without re-reading anything.
  setInterval(() => {
    const now = Date.now();
    root.querySelectorAll("#live-table [data-since]").forEach((node) => {
      node.textContent = duration((now - Number(node.getAttribute("data-since"))) / 1000);
    });
  }, 1000);

  if (typeof window.io !== "function") {
    setConnection("offline", "Not live: realtime client missing");
    refresh();
    setInterval(() => { if (document.visibilityState === "visible") refresh(); }, FALLBACK_POLL_MS);
    return;
  }

  // Websocket first; long-polling only when a websocket cannot be opened (a proxy that drops upgrades).
  const socket = window.io({ withCredentials: true, transports: ["websocket", "polling"], tryAllTransports: true });
  socket.on("connect", () => {
    setConnection("connected", "Live");
    socket.emit("heartbeat");
    refresh();
  });
  socket.on("disconnect", (reason) => {
    if (reason !== "io server disconnect") { setConnection("reconnecting", "Reconnecting…"); return; }
    // The server cut us off: if this login still stands, connect again; if not, say so.
    api.me().then(() => socket.connect(), (error) => {
      if (error.status === 401 || error.status === 403) setConnection("offline", "Logged out: reload to log in");
      else setConnection("reconnecting", "Reconnecting…");
    });
  });
  socket.on("connect_error", () => setConnection("reconnecting", "Reconnecting…"));
  socket.on("agent_status", agents.receive);
  socket.on("queue_update", (update) => queue.update(update && update.items));
  // A pop or an ended call may put someone on the care list (a voicemail, a callback asked for).
  socket.on("screen_pop", (pop) => { live.receivePop(pop); soon(); care.soon(); });
  socket.on("call_update", (update) => { if (live.receiveUpdate(update)) { soon(); care.soon(); } });
  socket.on("resync", () => refresh());
  setInterval(() => { if (socket.connected) socket.emit("heartbeat"); }, HEARTBEAT_MS);
  setInterval(() => { if (document.visibilityState === "visible") refresh(); }, POLL_MS);
}

if (root) start();

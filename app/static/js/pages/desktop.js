/* KnownCaller agent desktop (/): live screen pops over Socket.IO, worked from their cards.
 *
 * The entry module of the page: the board (desktop/board.js) keeps one card per call, the card
 * actions (desktop/work.js) and shortcuts (desktop/keys.js) act on them, alerts (desktop/alerts.js)
 * ring. My status and "Show every call" are desktop/presence.js; the callers waiting in the queue
 * are the "Waiting" panel (components/queue_panel.js); the browser phone is desktop/phone.js. The
 * socket.io client and the Twilio Voice SDK are classic scripts loaded before this module
 * (window.io, window.Twilio).
 */
import * as api from "../lib/api.js";
import { createDrafts } from "../lib/drafts.js";
import { duration } from "../lib/format.js";
import { createAlerts } from "./desktop/alerts.js";
import { createBoard } from "./desktop/board.js";
import { createQueuePanel } from "../components/queue_panel.js";
import { createFollowUpsPanel } from "./desktop/follow_ups.js";
import { installKeys } from "./desktop/keys.js";
import { createMyDay } from "./desktop/my_day.js";
import { createPhone } from "./desktop/phone.js";
import { popConcernsMe, updateConcernsMe } from "./desktop/concerns.js";
import { createPresence } from "./desktop/presence.js";
import { createWork } from "./desktop/work.js";

const HEARTBEAT_MS = 30000;
const RESYNC_MS = 30 * 1000;

function start(root) {
  const connection = document.getElementById("connection");
  let alerts = null;
  const drafts = createDrafts(null, { user: root.getAttribute("data-user-id") || "" });
  // A callback I placed rings my phone, not the desk: no alert for an outbound call.
  const desk = createBoard(root, {
    onRinging: (call) => { if (call.pop.direction !== "outbound") alerts.announce(call); }, drafts,
  });
  alerts = createAlerts(document.getElementById("enable-alerts"), desk.log);
  const followUpsPanel = document.getElementById("follow-ups-panel");
  const followUps = followUpsPanel ? createFollowUpsPanel(followUpsPanel, {
    customerUrl: root.getAttribute("data-customer-url"), me: desk.me,
  }) : { refresh() {}, soon() {}, lists: () => false };
  const myDayPanel = document.getElementById("my-day");
  const myDay = myDayPanel ? createMyDay(myDayPanel, { me: desk.me, customerUrl: root.getAttribute("data-customer-url") })
    : { refresh() {}, soon() {} };
  // The browser phone: whatever goes wrong with it, the rest of the desk goes on.
  const noPhone = { actions: {}, attach() {}, setAvailable() {}, stop() {}, answerWaiting: () => false };
  let phone = noPhone;
  const phoneWidget = document.getElementById("phone");
  if (phoneWidget) {
    try { phone = createPhone(phoneWidget, { desk, log: desk.log }); } catch (error) { desk.log("phone not started:", error); }
  }
  const work = createWork(root, desk, drafts, {
    onFollowUpChange: () => { followUps.refresh(); myDay.soon(); }, actions: phone.actions,
  });
  phone.attach(work);
  installKeys(work, { answerWaiting: phone.answerWaiting });
  const queuePanel = document.getElementById("queue-panel");
  const queue = queuePanel ? createQueuePanel(queuePanel, { customerUrl: root.getAttribute("data-customer-url"), newTab: true })
    : { refresh() { return Promise.resolve(); }, update() {} };
  const presenceWidget = document.getElementById("my-status");
  const presence = presenceWidget ? createPresence(presenceWidget, {
    watchAll: document.getElementById("watch-all"), liveStatus: document.getElementById("live-status"),
    me: desk.me, onWatchAllChanged: () => desk.resync(),
    // Twilio rings this browser only while I am available.
    onStatus: (status) => phone.setAvailable(status === "available"),
  }) : { load() {}, receive() {}, offline() {} };
  if (!presenceWidget) phone.setAvailable(false);
  /** Everything the server pushes, read again over HTTP: the calls and the queue. */
  function resync() {
    queue.refresh();
    return desk.resync();
  }
  let draftsRestored = false;

  // Leaving with typing not saved asks first; with nothing to lose it does not.
  window.addEventListener("beforeunload", (event) => {
    if (!work.unsaved()) return;
    event.preventDefault();
    event.returnValue = "";  // what Chromium before 119 needs to ask
  });

  function setConnection(state, label) {
    connection.setAttribute("data-state", state);
    connection.querySelector(".connection-label").textContent = label;
  }

  if (typeof window.io !== "function") {
    setConnection("offline", "Offline: realtime client missing");
    desk.log("socket.io client did not load (is node_modules installed? run npm ci)");
    return;
  }

  // Websocket first; long-polling only when a websocket cannot be opened (a proxy that drops upgrades).
  const socket = window.io({ withCredentials: true, transports: ["websocket", "polling"], tryAllTransports: true });

  let connectedBefore = false;
  socket.on("connect", () => {
    setConnection("connected", "Connected");
    socket.emit("heartbeat");
    presence.load();
    // Back after a drop: what changed meanwhile was told to nobody here (on load they read anyway).
    if (connectedBefore) {
      followUps.soon();
      myDay.soon();
    }
    connectedBefore = true;
    const loaded = Promise.all([resync(), desk.restoreUnwrapped()]);
    // After a reload, once the cards are back: the forms that had drafts open again.
    if (!draftsRestored) {
      draftsRestored = true;
      loaded.then(() => work.restoreDrafts());
    }
  });
  // The server cut us off, or refused us: ask whether this login still stands. If it ended (logged
  // out elsewhere, password reset, account deactivated), the desk stops taking input and says so,
  // instead of looking merely "Offline" while saves fail one by one. Typed drafts stay in the tab.
  let ended = false;
  function checkLogin() {
    api.me().then(
      () => { if (!socket.connected) socket.connect(); },
      (error) => {
        if (error.status === 401 || error.status === 403) endSession();
        else setConnection("reconnecting", "Reconnecting…");
      });
  }
  function endSession() {
    if (ended) return;
    ended = true;
    socket.disconnect();
    phone.stop("logged-out");
    setConnection("offline", "Logged out");
    const main = document.querySelector("main");
    if (main) main.inert = true;
    const notice = document.createElement("div");
    notice.className = "session-ended";
    notice.setAttribute("role", "alert");
    notice.append("Your login has ended (logged out, password changed, or account deactivated): this " +
      "desk no longer takes calls or saves changes. What you typed is kept in this tab. ");
    const again = document.createElement("a");
    again.href = "/login?next=/";
    again.textContent = "Log in again";
    notice.append(again);
    if (main) main.parentNode.insertBefore(notice, main);
    else document.body.append(notice);
    again.focus();
  }
  socket.on("disconnect", (reason) => {
    desk.log("disconnected:", reason);
    presence.offline();
    if (reason === "io server disconnect") {
      setConnection("reconnecting", "Checking your login…");
      checkLogin();
    } else if (socket.active) setConnection("reconnecting", "Reconnecting…");
    else setConnection("offline", "Offline");
  });
  socket.on("connect_error", (error) => {
    desk.log("connection failed:", error && error.message);
    if (socket.active) setConnection("reconnecting", "Reconnecting…");
    else checkLogin();  // refused: the login may have ended
  });
  socket.on("screen_pop", (pop) => {
    desk.receivePop(pop, "socket");
    // A follow-up, promise or complaint of mine may have opened, closed or changed hands on this
    // caller, or the call is mine: then my panels read again; a pop about anyone else's leaves
    // them to their minute (concerns.js).
    if (popConcernsMe(pop, desk.me, followUps.lists)) {
      followUps.soon();
      myDay.soon();
    }
  });
  socket.on("call_update", (update) => {
    desk.receiveUpdate(update);
    // A call of mine moved on: so did my figures, and its end may have opened a follow-up of mine
    // (a low score on the line).
    if (updateConcernsMe(update, desk.me)) {
      followUps.soon();
      myDay.soon();
    }
  });
  // My status changed (here, in another tab, or a call started or ended): the switch follows.
  socket.on("agent_status", presence.receive);
  socket.on("queue_update", (update) => queue.update(update && update.items));
  // The server may have lost pops on the way (message queue down): read the active calls again.
  socket.on("resync", () => resync());

  window.addEventListener("offline", () => setConnection("offline", "Offline"));
  window.addEventListener("online", () => {
    if (!socket.connected) {
      setConnection("reconnecting", "Reconnecting…");
      socket.connect();
    }
  });

  setInterval(() => { if (socket.connected) socket.emit("heartbeat"); }, HEARTBEAT_MS);
  // A light periodic re-read: pub/sub between server processes delivers at most once, so a pop
  // lost on the way is caught up within this interval even if no other signal arrives.
  setInterval(() => { if (socket.connected) resync(); }, RESYNC_MS);

  // Ringing and talking times tick every second without re-rendering the cards.
  setInterval(() => {
    const now = Date.now();
    desk.liveList.querySelectorAll("[data-since]").forEach((node) => {
      node.textContent = duration((now - Number(node.getAttribute("data-since"))) / 1000);
    });
  }, 1000);

  // The test hook: the one window global the front end sets. Browser tests and tools (e.g. to
  // drop and restore the socket) use it; nothing in the app reads it.
  window.kcTestHook = { socket, calls: desk.calls, resync: desk.resync };
}

const root = document.getElementById("desktop");
if (root) start(root);

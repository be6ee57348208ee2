/* KnownCaller agent desktop: live screen pops over Socket.IO.
 *
 * One card per call, keyed by call_sid: the server replays a `screen_pop` for every active call on
 * each (re)connect and the desktop re-syncs over HTTP too, so the same call arriving twice only
 * updates its card. `call_update` moves a card from ringing to answered to ended, then to Recent.
 */
(function () {
  "use strict";

  var Cards = window.KnownCallerCards;
  var root = document.getElementById("desktop");
  if (!root || !Cards) return;

  var HEARTBEAT_MS = 30000;
  var RESYNC_MS = 30 * 1000;
  var RECENT_LIMIT = 30;
  var urls = {
    activeCalls: root.getAttribute("data-active-calls-url"),
    customer: root.getAttribute("data-customer-url"),
    newCustomer: root.getAttribute("data-new-customer-url")
  };
  var liveList = document.getElementById("live-calls");
  var recentList = document.getElementById("recent-calls");
  var connection = document.getElementById("connection");
  var alertsButton = document.getElementById("enable-alerts");
  var baseTitle = document.title;
  var me = { id: Number(root.getAttribute("data-user-id")) || null };

  /** call_sid -> {pop, status, agent, duration, notes, disposition, holding, since, seenAt, endedAt, el} */
  var calls = new Map();
  /** call_update that came before its pop (should not happen, but never lose one). */
  var pendingUpdates = new Map();

  function log() {
    if (window.console) console.info.apply(console, ["[knowncaller]"].concat([].slice.call(arguments)));
  }

  // ---------------------------------------------------------------- cards and their placement

  function startedAt(pop) {
    var t = Date.parse(pop.received_at || "");
    // A browser clock behind the server's would show negative ringing times; never in the future.
    return isNaN(t) ? Date.now() : Math.min(t, Date.now());
  }

  /** Insert `card` so the list stays newest first by its data-order (ties: latest arrival first). */
  function insertSorted(list, card, order) {
    card.setAttribute("data-order", String(order));
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      if (children[i] !== card && Number(children[i].getAttribute("data-order")) <= order) {
        list.insertBefore(card, children[i]);
        return;
      }
    }
    list.appendChild(card);
  }

  /**
   * Show `call` where it belongs. Its card is patched in place (see Cards.patch), so forms open in
   * it survive; `popChanged` also rebuilds what the pop shows (customer, candidates).
   */
  function place(call, popChanged) {
    var ended = Cards.isEnded(call.status);
    // My own call stays on the desktop after it ends, until I have wrapped it up.
    if (!ended) call.holding = undefined;
    else if (call.holding === undefined) call.holding = isMine(call) && !call.disposition;
    var fresh = Cards.render(call, urls, me);
    var inRecent = ended && !call.holding;
    var list = inRecent ? recentList : liveList;
    if (ended && !call.endedAt) call.endedAt = Date.now();
    var order = inRecent ? call.endedAt : call.since;
    var card = call.el ? Cards.patch(call.el, fresh, popChanged !== false) : fresh;
    if (card.parentNode === list) {
      card.setAttribute("data-order", String(order));
    } else {
      if (card.parentNode) card.remove();
      insertSorted(list, card, order);
    }
    call.el = card;
    trimRecent();
    refreshCounts();
  }

  function isMine(call) { return !!(call.agent && me.id && call.agent.id === me.id); }

  /** JSON with object keys sorted: the API sorts them, the socket keeps the server's order. */
  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (key) {
        return JSON.stringify(key) + ":" + canonical(value[key]);
      }).join(",") + "}";
    }
    return JSON.stringify(value === undefined ? null : value);
  }

  /** What the pop shows beyond the call's state: when it changes, the card body is rebuilt. */
  function popShape(pop) {
    return canonical([pop.match, pop.from, pop.customer, pop.candidates, pop.lookup]);
  }

  function trimRecent() {
    while (recentList.children.length > RECENT_LIMIT) {
      var last = recentList.lastElementChild;
      calls.delete(last.getAttribute("data-call-sid"));
      last.remove();
    }
  }

  function refreshCounts() {
    var live = liveList.children.length, recent = recentList.children.length;
    document.getElementById("live-count").textContent = String(live);
    document.getElementById("recent-count").textContent = String(recent);
    document.getElementById("live-empty").hidden = live > 0;
    document.getElementById("recent-empty").hidden = recent > 0;
    var ringing = liveList.querySelectorAll(".is-ringing").length;
    document.title = ringing ? "(" + ringing + ") Ringing · " + baseTitle : baseTitle;
  }

  /** Move a call forward only: a late or replayed event never brings back an earlier state. */
  function advance(call, status, agent, duration) {
    var changed = false;
    if (status && Cards.rank(status) > Cards.rank(call.status)) {
      call.status = status;
      changed = true;
    }
    if (agent && (!call.agent || call.agent.id !== agent.id)) {
      call.agent = agent;
      changed = true;
    }
    if (duration !== null && duration !== undefined && call.duration !== duration) {
      call.duration = duration;
      changed = true;
    }
    return changed;
  }

  function receivePop(pop, source) {
    if (!pop || !pop.call_sid) return null;
    var call = calls.get(pop.call_sid);
    if (!call) {
      call = {
        pop: pop, status: pop.status || "ringing", agent: pop.agent || null, duration: null,
        notes: null, disposition: null, since: startedAt(pop), seenAt: Date.now(), endedAt: null, el: null
      };
      calls.set(pop.call_sid, call);
      var pending = pendingUpdates.get(pop.call_sid);
      if (pending) {
        pendingUpdates.delete(pop.call_sid);
        advance(call, pending.status, pending.agent, pending.duration);
      }
      place(call);
      if (Cards.isRinging(call.status)) alerts.announce(call, source);
      return call;
    }
    // Same call again (replay, re-sync, or a customer linked to it): refresh what it shows.
    var changed = popShape(call.pop) !== popShape(pop);
    call.pop = pop;
    advance(call, pop.status, pop.agent, null);
    place(call, changed);
    return call;
  }

  function receiveUpdate(update) {
    if (!update || !update.call_sid) return;
    var call = calls.get(update.call_sid);
    if (!call) {
      // Calls routed to other agents never pop here; keep only the latest few waiting.
      if (pendingUpdates.size >= 100) pendingUpdates.delete(pendingUpdates.keys().next().value);
      pendingUpdates.set(update.call_sid, update);
      return;
    }
    if (advance(call, update.status, update.agent, update.duration)) place(call, false);
  }

  /** A call as the API returns it (call fields plus "pop"): take everything it says. */
  function receiveCall(item) {
    if (!item || !item.pop) return null;
    var call = receivePop(item.pop, "sync");
    if (!call) return null;
    var changed = advance(call, item.status, item.agent, item.duration);
    if (item.notes !== undefined && item.notes !== call.notes) { call.notes = item.notes; changed = true; }
    if (item.disposition !== undefined && item.disposition !== call.disposition) {
      call.disposition = item.disposition;
      changed = true;
    }
    if (changed) place(call, false);
    return call;
  }

  /** Ask the server for the call's current state and pop (after this desktop changed something). */
  function refreshCall(sid) {
    return fetchJSON("/api/v1/calls/" + encodeURIComponent(sid)).then(receiveCall);
  }

  // ---------------------------------------------------------------- re-sync over HTTP

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(url + " answered " + response.status);
        return response.json();
      });
  }

  /** After a drop, calls may have ended while we were away: the API says which are still live. */
  function resync() {
    if (!urls.activeCalls) return Promise.resolve();
    var requestedAt = Date.now();
    return fetchJSON(urls.activeCalls).then(function (data) {
      var items = (data && data.items) || [];
      var active = new Set();
      items.forEach(function (item) {
        var pop = item.pop;
        if (!pop || !pop.call_sid) return;
        active.add(pop.call_sid);
        receiveCall(item);
      });
      // A page of results may not be all of them: only conclude "ended" from a complete list.
      if (data && (data.next || (typeof data.total === "number" && data.total > items.length))) return;
      calls.forEach(function (call, sid) {
        if (!Cards.isEnded(call.status) && !active.has(sid) && call.seenAt < requestedAt) {
          call.status = "ended";
          place(call, false);
          settleEnded(sid);
        }
      });
    }).catch(function (error) {
      // Until the API is there (or while it is down) the server's replay on connect is enough.
      log("re-sync skipped:", error && error.message ? error.message : error);
    });
  }

  /** A call that ended while we were disconnected: ask how it ended, for its real duration. */
  function settleEnded(sid) {
    fetchJSON("/api/v1/calls/" + encodeURIComponent(sid)).then(function (detail) {
      var call = calls.get(sid);
      if (!call || !detail) return;
      if (Cards.isEnded(detail.status)) call.status = detail.status;
      if (detail.agent) call.agent = detail.agent;
      if (detail.duration !== null && detail.duration !== undefined) call.duration = detail.duration;
      if (detail.disposition !== undefined) call.disposition = detail.disposition;
      if (detail.notes !== undefined) call.notes = detail.notes;
      place(call, false);
    }).catch(function () { /* the generic "Ended" card is still right */ });
  }

  // ---------------------------------------------------------------- alerts (notification + beep)

  var alerts = (function () {
    var STORAGE_KEY = "knowncaller.alerts";
    var enabled = false;
    var audio = null;

    try { enabled = window.localStorage.getItem(STORAGE_KEY) === "on"; } catch (e) { enabled = false; }

    function unlockAudio() {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      if (!audio) audio = new Ctx();
      if (audio.state === "suspended") audio.resume();
    }

    function beep() {
      if (!audio || audio.state !== "running") return;
      var now = audio.currentTime;
      [0, 0.22].forEach(function (offset) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, now + offset);
        gain.gain.exponentialRampToValueAtTime(0.25, now + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.18);
        osc.connect(gain).connect(audio.destination);
        osc.start(now + offset);
        osc.stop(now + offset + 0.2);
      });
    }

    function notify(call) {
      if (!("Notification" in window) || Notification.permission !== "granted") return;
      // Only when the agent is looking elsewhere; the card itself is the alert otherwise.
      if (document.visibilityState === "visible" && document.hasFocus()) return;
      var pop = call.pop;
      var parts = [Cards.callerNumber(pop)];
      if (pop.customer && pop.customer.tier === "vip") parts.push("VIP");
      var overdue = Cards.overdueCount(pop);
      if (overdue) parts.push(overdue + " overdue complaint" + (overdue > 1 ? "s" : ""));
      var notification = new Notification("Incoming call: " + Cards.titleFor(pop), {
        body: parts.filter(Boolean).join(" · "), tag: pop.call_sid
      });
      notification.onclick = function () { window.focus(); notification.close(); };
    }

    function render() {
      if (!alertsButton) return;
      alertsButton.setAttribute("aria-pressed", enabled ? "true" : "false");
      alertsButton.textContent = enabled ? "Alerts on" : "Enable alerts";
      var blocked = "Notification" in window && Notification.permission === "denied";
      alertsButton.title = enabled
        ? (blocked ? "Sound only: notifications are blocked in this browser" : "Click to mute alerts")
        : "Notify and beep when a call comes in";
    }

    function toggle() {
      enabled = !enabled;
      try { window.localStorage.setItem(STORAGE_KEY, enabled ? "on" : "off"); } catch (e) { /* private mode */ }
      if (enabled) {
        unlockAudio();
        if ("Notification" in window && Notification.permission === "default") {
          Notification.requestPermission().then(render, render);
        }
        beep();
      }
      render();
    }

    if (alertsButton) alertsButton.addEventListener("click", toggle);
    // Browsers only start audio after a gesture: once alerts are on, any click or key unlocks it.
    ["pointerdown", "keydown"].forEach(function (kind) {
      document.addEventListener(kind, function () { if (enabled) unlockAudio(); }, { passive: true });
    });
    render();

    return {
      announce: function (call) {
        if (!enabled) return;
        beep();
        try { notify(call); } catch (e) { log("notification failed:", e); }
      },
      get enabled() { return enabled; }
    };
  })();

  // ---------------------------------------------------------------- connection

  function setConnection(state, label) {
    connection.setAttribute("data-state", state);
    connection.querySelector(".connection-label").textContent = label;
  }

  if (typeof window.io !== "function") {
    setConnection("offline", "Offline: realtime client missing");
    log("socket.io client did not load (is node_modules installed? run npm ci)");
    return;
  }

  // Websocket first; long-polling only when a websocket cannot be opened (a proxy that drops upgrades).
  var socket = window.io({ withCredentials: true, transports: ["websocket", "polling"], tryAllTransports: true });

  socket.on("connect", function () {
    setConnection("connected", "Connected");
    socket.emit("heartbeat");
    resync();
  });
  socket.on("disconnect", function (reason) {
    log("disconnected:", reason);
    if (socket.active) setConnection("reconnecting", "Reconnecting…");
    else setConnection("offline", "Offline");
  });
  socket.on("connect_error", function (error) {
    log("connection failed:", error && error.message);
    if (socket.active) setConnection("reconnecting", "Reconnecting…");
    else setConnection("offline", "Offline: log in again");
  });
  socket.on("screen_pop", function (pop) { receivePop(pop, "socket"); });
  socket.on("call_update", receiveUpdate);
  // The server may have lost pops on the way (message queue down): read the active calls again.
  socket.on("resync", function () { resync(); });

  window.addEventListener("offline", function () { setConnection("offline", "Offline"); });
  window.addEventListener("online", function () {
    if (!socket.connected) {
      setConnection("reconnecting", "Reconnecting…");
      socket.connect();
    }
  });

  setInterval(function () { if (socket.connected) socket.emit("heartbeat"); }, HEARTBEAT_MS);
  // A light periodic re-read: pub/sub between server processes delivers at most once, so a pop
  // lost on the way is caught up within this interval even if no other signal arrives.
  setInterval(function () { if (socket.connected) resync(); }, RESYNC_MS);

  // Ringing and talking times tick every second without re-rendering the cards.
  setInterval(function () {
    var now = Date.now();
    liveList.querySelectorAll("[data-since]").forEach(function (node) {
      node.textContent = Cards.clock((now - Number(node.getAttribute("data-since"))) / 1000);
    });
  }, 1000);

  refreshCounts();

  // For the card actions (work.js, keys.js) and for tests.
  window.knownCaller = {
    socket: socket,
    calls: calls,
    me: me,
    urls: urls,
    resync: resync,
    alerts: alerts,
    place: place,
    advance: advance,
    receivePop: receivePop,
    receiveCall: receiveCall,
    refreshCall: refreshCall,
    csrfToken: window.KC.csrfToken
  };
  document.dispatchEvent(new CustomEvent("knowncaller:ready"));
})();

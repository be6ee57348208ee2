/* KnownCaller agent desktop: the live and recent call lists, one card per call.
 *
 * Keyed by call_sid: the server replays a `screen_pop` for every active call on each (re)connect
 * and the desktop re-syncs over HTTP too, so the same call arriving twice only updates its card.
 * `call_update` moves a card from ringing to answered to ended, then to Recent.
 */
import * as api from "../../lib/api.js";
import { advance, insertionIndex, isEnded, isRinging, popShape, startedAt } from "../../lib/calls.js";
import { patchCard, renderCard } from "../../components/call_card.js";

const RECENT_LIMIT = 30;

function log(...args) { console.info("[knowncaller]", ...args); }

/**
 * The board inside `root` (#desktop). `onRinging(call, source)` hears of every new ringing call
 * (the alerts); `drafts` (lib/drafts.js) says which calls have wrap-up notes not saved yet.
 * Returns what the socket, the card actions and the test hook use.
 */
export function createBoard(root, { onRinging, drafts }) {
  const urls = {
    customer: root.getAttribute("data-customer-url"),
    newCustomer: root.getAttribute("data-new-customer-url"),
  };
  const liveList = document.getElementById("live-calls");
  const recentList = document.getElementById("recent-calls");
  const baseTitle = document.title;
  const me = { id: Number(root.getAttribute("data-user-id")) || null };

  /** call_sid -> {pop, status, agent, duration, notes, disposition, holding, since, seenAt, endedAt, el} */
  const calls = new Map();
  /** call_update that came before its pop (should not happen, but never lose one). */
  const pendingUpdates = new Map();

  /** Insert `card` so the list stays newest first by its data-order (ties: latest arrival first). */
  function insertSorted(list, card, order) {
    card.setAttribute("data-order", String(order));
    const others = Array.from(list.children).filter((child) => child !== card);
    const index = insertionIndex(others.map((child) => Number(child.getAttribute("data-order"))), order);
    if (index < others.length) list.insertBefore(card, others[index]);
    else list.appendChild(card);
  }

  function isMine(call) { return !!(call.agent && me.id && call.agent.id === me.id); }

  /**
   * Show `call` where it belongs. Its card is patched in place (see patchCard), so forms open in
   * it survive; `popChanged` also rebuilds what the pop shows (customer, candidates).
   */
  function place(call, popChanged) {
    const ended = isEnded(call.status);
    // My own call stays on the desktop after it ends, until I have wrapped it up; so does a call
    // whose notes are still being typed (a disposition chosen early, the caller still talking).
    if (!ended) call.holding = undefined;
    else if (call.holding === undefined) {
      call.holding = (isMine(call) && !call.disposition) || !!(drafts && drafts.has(call.pop.call_sid, "wrapup"));
    }
    const fresh = renderCard(call, urls, me);
    const inRecent = ended && !call.holding;
    const list = inRecent ? recentList : liveList;
    if (ended && !call.endedAt) call.endedAt = Date.now();
    const order = inRecent ? call.endedAt : call.since;
    const card = call.el ? patchCard(call.el, fresh, popChanged !== false) : fresh;
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

  function trimRecent() {
    while (recentList.children.length > RECENT_LIMIT) {
      const last = recentList.lastElementChild;
      calls.delete(last.getAttribute("data-call-sid"));
      last.remove();
    }
  }

  function refreshCounts() {
    const live = liveList.children.length, recent = recentList.children.length;
    document.getElementById("live-count").textContent = String(live);
    document.getElementById("recent-count").textContent = String(recent);
    document.getElementById("live-empty").hidden = live > 0;
    document.getElementById("recent-empty").hidden = recent > 0;
    const ringing = liveList.querySelectorAll(".is-ringing").length;
    document.title = ringing ? "(" + ringing + ") Ringing · " + baseTitle : baseTitle;
  }

  /** A pop; `known` is the call it came with from the API, taken before the card is first placed
   *  (whether an ended call stays for its wrap-up depends on its disposition). */
  function receivePop(pop, source, known) {
    if (!pop || !pop.call_sid) return null;
    let call = calls.get(pop.call_sid);
    if (!call) {
      call = {
        pop, status: pop.status || "ringing", agent: pop.agent || null, duration: null,
        notes: null, disposition: null, since: startedAt(pop), seenAt: Date.now(), endedAt: null, el: null,
      };
      calls.set(pop.call_sid, call);
      if (known) {
        advance(call, known.status, known.agent, known.duration);
        if (known.notes !== undefined) call.notes = known.notes;
        if (known.disposition !== undefined) call.disposition = known.disposition;
        takeRecording(call, known.recording_url);
      }
      const pending = pendingUpdates.get(pop.call_sid);
      if (pending) {
        pendingUpdates.delete(pop.call_sid);
        advance(call, pending.status, pending.agent, pending.duration);
      }
      place(call);
      if (isRinging(call.status)) onRinging(call, source);
      return call;
    }
    // Same call again (replay, re-sync, or a customer linked to it): refresh what it shows.
    const changed = popShape(call.pop) !== popShape(pop);
    call.pop = pop;
    advance(call, pop.status, pop.agent, null);
    place(call, changed);
    return call;
  }

  function receiveUpdate(update) {
    if (!update || !update.call_sid) return;
    const call = calls.get(update.call_sid);
    if (!call) {
      // Calls routed to other agents never pop here; keep only the latest few waiting.
      if (pendingUpdates.size >= 100) pendingUpdates.delete(pendingUpdates.keys().next().value);
      pendingUpdates.set(update.call_sid, update);
      return;
    }
    let changed = advance(call, update.status, update.agent, update.duration);
    changed = takeRecording(call, update.recording_url) || changed;
    if (changed) place(call, false);
  }

  /** A voicemail the caller left (call updates and the API carry it); true when it is new here. */
  function takeRecording(call, url) {
    if (!url || url === call.recording_url) return false;
    call.recording_url = url;
    return true;
  }

  /** A call as the API returns it (call fields plus "pop"): take everything it says. */
  function receiveCall(item) {
    if (!item || !item.pop) return null;
    const call = receivePop(item.pop, "sync", item);
    if (!call) return null;
    let changed = advance(call, item.status, item.agent, item.duration);
    if (item.notes !== undefined && item.notes !== call.notes) { call.notes = item.notes; changed = true; }
    if (item.disposition !== undefined && item.disposition !== call.disposition) {
      call.disposition = item.disposition;
      changed = true;
    }
    changed = takeRecording(call, item.recording_url) || changed;
    if (changed) place(call, false);
    return call;
  }

  /** Ask the server for the call's current state and pop (after this desktop changed something). */
  function refreshCall(sid) {
    return api.getCall(sid).then(receiveCall);
  }

  /** After a drop, calls may have ended while we were away: the API says which are still live. */
  function resync() {
    const requestedAt = Date.now();
    return api.activeCalls().then((data) => {
      const items = (data && data.items) || [];
      const active = new Set();
      items.forEach((item) => {
        const pop = item.pop;
        if (!pop || !pop.call_sid) return;
        active.add(pop.call_sid);
        receiveCall(item);
      });
      // A page of results may not be all of them: only conclude "ended" from a complete list.
      if (data && (data.next || (typeof data.total === "number" && data.total > items.length))) return;
      calls.forEach((call, sid) => {
        if (!isEnded(call.status) && !active.has(sid) && call.seenAt < requestedAt) {
          call.status = "ended";
          place(call, false);
          settleEnded(sid);
        }
      });
    }).catch((error) => {
      // While the API is down the server's replay on connect is enough.
      log("re-sync skipped:", error && error.message ? error.message : error);
    });
  }

  /** My calls that ended with no disposition (a reload in the middle of a wrap-up): each comes
   *  back as a card held open for its wrap-up, so no wrap-up is ever out of reach. */
  function restoreUnwrapped() {
    return api.unwrappedCalls().then((data) => {
      ((data && data.items) || []).forEach((item) => receiveCall(item));
    }).catch((error) => {
      log("unwrapped calls not loaded:", error && error.message ? error.message : error);
    });
  }

  /** A call that ended while we were disconnected: ask how it ended, for its real duration. */
  function settleEnded(sid) {
    api.getCall(sid).then((detail) => {
      const call = calls.get(sid);
      if (!call || !detail) return;
      if (isEnded(detail.status)) call.status = detail.status;
      if (detail.agent) call.agent = detail.agent;
      if (detail.duration !== null && detail.duration !== undefined) call.duration = detail.duration;
      if (detail.disposition !== undefined) call.disposition = detail.disposition;
      if (detail.notes !== undefined) call.notes = detail.notes;
      takeRecording(call, detail.recording_url);
      place(call, false);
    }).catch(() => { /* the generic "Ended" card is still right */ });
  }

  refreshCounts();

  return {
    calls, me, place, advance, receivePop, receiveUpdate, receiveCall, refreshCall, resync, restoreUnwrapped,
    liveList, log,
  };
}

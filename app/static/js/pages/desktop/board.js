/* KnownCaller agent desktop: the live and recent call lists, one card per call.
 *
 * Keyed by call_sid: the server replays a `screen_pop` for every active call on each (re)connect
 * and the desktop re-syncs over HTTP too, so the same call arriving twice only updates its card.
 * `call_update` moves a card from ringing to answered to ended, then to Recent.
 *
 * Cards stay where they are while the agent works in them. The live list runs oldest call first,
 * so a new call is added after the others; a card with focus inside it or a form with typing in
 * it is *held*: a call arriving goes where it moves no held card (the end), and a card leaving
 * from before a held one leaves an empty slot of its size (a hole) until nothing after it is held.
 * A held card whose call is over (its wrap-up just saved) stays put, saying so, until the agent
 * moves on (the keyboard goes elsewhere) or LINGER_MS pass; then it goes to Recent. When the card
 * with the keyboard leaves the live list, the keyboard goes to the next waiting call, or another
 * live card, or the live calls' heading — never to the page itself.
 */
import * as api from "../../lib/api.js";
import {
  advance, holesToDrop, insertionIndex, isEnded, isRinging, leavesHole, liveInsertIndex, popShape, startedAt,
  takeAgent, takeNews,
} from "../../lib/calls.js";
import { currentUser } from "../../lib/dom.js";
import { patchCard, renderCard } from "../../components/call_card.js";

const RECENT_LIMIT = 30;
/** How long a card that ended while the agent worked in it stays (its wrap-up just saved, say),
 *  unless the agent moves on sooner. */
export const LINGER_MS = 4000;

function focusLost() { return !document.activeElement || document.activeElement === document.body; }

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
  const me = { id: Number(root.getAttribute("data-user-id")) || null, role: currentUser().role };
  const heading = document.getElementById("live-heading");
  if (heading && !heading.hasAttribute("tabindex")) heading.tabIndex = -1;  // where focus goes when no call is left

  /** call_sid -> {pop, status, agent, duration, notes, disposition, holding, lingering, unsettled,
   *  newsAt, removedCustomer, since, seenAt, heardAt, endedAt, el} */
  const calls = new Map();
  /** call_update that came before its pop (should not happen, but never lose one). */
  const pendingUpdates = new Map();
  /** Who hears that the cards changed (keys.js marks the card its keys act on). */
  const listeners = [];

  // ---------------------------------------------------------------- where cards stand

  function isHole(node) { return node.hasAttribute("data-hole"); }

  /** A card the agent is working in: the keyboard is in it, a form in it holds typing, or its
   *  wrap-up was just saved and it still shows so. */
  function isHeld(node) {
    if (isHole(node)) return false;
    return node.contains(document.activeElement) || node.hasAttribute("data-lingering") ||
      !!node.querySelector("form.inline-form[data-dirty]");
  }

  function liveSlots() {
    return Array.from(liveList.children).map((node) => (isHole(node)
      ? { hole: true } : { since: Number(node.getAttribute("data-order")), pinned: isHeld(node) }));
  }

  /** Put `card` in the live list: in time order, unless that would move a card being worked in. */
  function insertLive(card, since) {
    card.setAttribute("data-order", String(since));
    const index = liveInsertIndex(liveSlots(), since);
    const before = liveList.children[index];
    if (before) liveList.insertBefore(card, before);
    else liveList.appendChild(card);
  }

  /** Take `card` out of the live list; if a card being worked in comes after it, a hole of its
   *  size keeps that one where it is. */
  function leaveLive(card) {
    const index = Array.prototype.indexOf.call(liveList.children, card);
    if (index !== -1 && leavesHole(liveSlots(), index)) {
      const hole = document.createElement("div");
      hole.className = "card-hole";
      hole.setAttribute("data-hole", "");
      hole.setAttribute("aria-hidden", "true");
      hole.style.height = card.offsetHeight + "px";  // CSSOM, not an inline style attribute: the CSP allows it
      card.replaceWith(hole);
    } else {
      card.remove();
    }
  }

  /** Holes no longer holding a card in place go (they close up behind the cards being worked in). */
  function dropHoles() {
    const nodes = Array.from(liveList.children);
    holesToDrop(liveSlots()).forEach((index) => nodes[index].remove());
  }

  let dropScheduled = false;
  function scheduleDropHoles() {
    if (dropScheduled) return;
    dropScheduled = true;
    // After focus has landed (focusout comes before the focusin of where it goes).
    setTimeout(() => { dropScheduled = false; dropHoles(); changed(); }, 0);
  }
  ["focusin", "focusout", "input"].forEach((kind) => liveList.addEventListener(kind, scheduleDropHoles));

  /** Where the keyboard goes when the card that had it left the live list: the longest-waiting
   *  call nobody has taken, else the live card nearest where it stood, else the heading. */
  function focusNext(index) {
    const cards = Array.from(liveList.children).filter((node) => !isHole(node));
    const waiting = cards.filter((node) => node.classList.contains("is-ringing") && !node.classList.contains("is-claimed"));
    const oldest = waiting.sort((a, b) => Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order")))[0];
    const near = Array.from(liveList.children).slice(index).find((node) => !isHole(node)) || cards[cards.length - 1];
    const target = oldest || near || heading;
    if (target) target.focus();
  }

  function changed() { listeners.forEach((listener) => listener()); }

  /** Insert `card` so Recent stays newest first by its data-order (ties: latest arrival first). */
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
    const hadFocus = !!call.el && call.el.contains(document.activeElement);
    const wasLive = !!call.el && call.el.parentNode === liveList;
    if (ended && !call.holding && wasLive && !call.lingered && isHeld(call.el)) linger(call);
    const liveIndex = wasLive ? Array.prototype.indexOf.call(liveList.children, call.el) : -1;
    const typedBefore = call.el ? Array.from(call.el.querySelectorAll('[data-part="body"] form[data-dirty]')) : [];
    const fresh = renderCard(call, urls, me);
    const inRecent = ended && !call.holding && !call.lingering;
    const list = inRecent ? recentList : liveList;
    if (ended && !call.endedAt) call.endedAt = Date.now();
    const order = inRecent ? call.endedAt : call.since;
    const card = call.el ? patchCard(call.el, fresh, popChanged !== false) : fresh;
    if (call.lingering) card.setAttribute("data-lingering", "");
    else card.removeAttribute("data-lingering");
    if (card.parentNode !== list) {
      if (card.parentNode === liveList) leaveLive(card);
      else if (card.parentNode) card.remove();
      if (list === liveList) insertLive(card, order);
      else insertSorted(list, card, order);
    }
    call.el = card;
    // Forms with typing that the new render had no place for (what they were about is gone).
    const lost = typedBefore.filter((form) => !form.isConnected).map((form) => form.getAttribute("aria-label"));
    if (lost.length) {
      note(card, lost.map((label) => "“" + label + "”").join(", ") + " closed: " +
        (call.removedCustomer ? "the customer's record is gone." : "what it was about is gone."));
    }
    if (hadFocus && wasLive && list !== liveList) focusNext(liveIndex);
    else if (hadFocus && focusLost()) card.focus({ preventScroll: true });
    dropHoles();
    trimRecent();
    refreshCounts();
    changed();
  }

  /** Keep the ended `call`'s card where it is until the agent moves on or LINGER_MS pass. */
  function linger(call) {
    call.lingering = true;
    call.lingered = true;  // once: the next place() may move it
    const sid = call.pop.call_sid;
    let timer = null;
    function done() {
      document.removeEventListener("focusin", movedOn);
      clearTimeout(timer);
      const current = calls.get(sid);
      if (!current || !current.lingering) return;
      current.lingering = false;
      place(current, false);
    }
    function movedOn(event) {
      const current = calls.get(sid);
      if (current && current.el && !current.el.contains(event.target)) done();
    }
    document.addEventListener("focusin", movedOn);
    timer = setTimeout(done, LINGER_MS);
  }

  /** A line in the card's message part (work.js writes there too). */
  function note(card, text) {
    const line = card.querySelector('[data-part="message"]');
    if (!line) return;
    line.className = "card-message card-message-error";
    line.setAttribute("role", "alert");
    line.textContent = text;
    line.hidden = false;
  }

  function trimRecent() {
    while (recentList.children.length > RECENT_LIMIT) {
      const last = recentList.lastElementChild;
      calls.delete(last.getAttribute("data-call-sid"));
      last.remove();
    }
  }

  function refreshCounts() {
    const live = liveList.querySelectorAll(":scope > [data-call-sid]").length, recent = recentList.children.length;
    document.getElementById("live-count").textContent = String(live);
    document.getElementById("recent-count").textContent = String(recent);
    document.getElementById("live-empty").hidden = live > 0;
    document.getElementById("recent-empty").hidden = recent > 0;
    const ringing = liveList.querySelectorAll(".is-ringing:not(.is-outbound)").length;  // a callback rings my phone, not the desk
    document.title = ringing ? "(" + ringing + ") Ringing · " + baseTitle : baseTitle;
  }

  /** A pop; `known` is the call it came with from the API, taken before the card is first placed
   *  (whether an ended call stays for its wrap-up depends on its disposition). */
  function receivePop(pop, source, known, requestedAt) {
    if (!pop || !pop.call_sid) return null;
    let call = calls.get(pop.call_sid);
    if (!call) {
      call = {
        pop, status: pop.status || "ringing", agent: pop.agent || null, duration: null,
        notes: null, disposition: null, unsettled: false, newsAt: null, removedCustomer: null,
        since: startedAt(pop), seenAt: Date.now(), heardAt: 0, endedAt: null, el: null,
      };
      calls.set(pop.call_sid, call);
      if (requestedAt === undefined) call.heardAt = call.seenAt;
      takeNews(call, pop);
      takeRemoval(call, pop);
      if (known) {
        advance(call, known.status, known.agent, known.duration);
        takeNews(call, known);
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
    let shapeChanged = popShape(call.pop) !== popShape(pop);
    call.pop = pop;
    advance(call, pop.status, null, null);
    // Who holds it, and whether it is a ghost, only from news no older than the sockets' last word.
    if (fresher(call, requestedAt) && pop.lookup !== "unavailable") {
      if ("agent" in pop) takeAgent(call, pop.agent);
      takeNews(call, pop);
    }
    shapeChanged = takeRemoval(call, pop) || shapeChanged;
    place(call, shapeChanged);
    return call;
  }

  /** Whether an answer to a request sent at `requestedAt` (none: a socket event) is newer than
   *  what the sockets last said of `call`: an older one may not undo a claim or a give-back. */
  function fresher(call, requestedAt) {
    if (requestedAt === undefined) {
      call.heardAt = Date.now();
      return true;
    }
    return requestedAt >= call.heardAt;
  }

  /** The customer of this call was deleted mid-call (the one pop saying so carries
   *  customer_removed): the card says so until the call is linked to someone else. Returns
   *  whether that changed. */
  function takeRemoval(call, pop) {
    const before = call.removedCustomer;
    if (pop.customer_removed) {
      call.removedCustomer = { ...pop.customer_removed, after: pop.customer ? pop.customer.id : null };
    } else if (before && pop.match === "single" && pop.customer && pop.customer.id !== before.after) {
      call.removedCustomer = null;
    }
    return call.removedCustomer !== before;
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
    fresher(call);
    let changed = advance(call, update.status, "agent" in update ? null : update.agent, update.duration);
    if ("agent" in update) changed = takeAgent(call, update.agent) || changed;
    changed = takeNews(call, update) || changed;
    changed = takeRecording(call, update.recording_url) || changed;
    if (changed) place(call, false);
  }

  /** A voicemail the caller left (call updates and the API carry it); true when it is new here. */
  function takeRecording(call, url) {
    if (!url || url === call.recording_url) return false;
    call.recording_url = url;
    return true;
  }

  /** A call as the API returns it (call fields plus "pop"), asked for at `requestedAt` (default:
   *  now): take everything it says that the sockets have not said since. */
  function receiveCall(item, requestedAt = Date.now()) {
    if (!item || !item.pop) return null;
    const call = receivePop(item.pop, "sync", item, requestedAt);
    if (!call) return null;
    let changed = advance(call, item.status, null, item.duration);
    if (fresher(call, requestedAt)) {
      if ("agent" in item) changed = takeAgent(call, item.agent) || changed;
      changed = takeNews(call, item) || changed;
    }
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
    const requestedAt = Date.now();
    return api.getCall(sid).then((item) => receiveCall(item, requestedAt));
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
        receiveCall(item, requestedAt);
      });
      // A page of results may not be all of them: only conclude "ended" from a complete list.
      if (data && (data.next || (typeof data.total === "number" && data.total > items.length))) return;
      calls.forEach((call, sid) => {
        if (!isEnded(call.status) && !active.has(sid) && call.seenAt < requestedAt) settleGone(sid);
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

  /** A live call the active list no longer has: it ended while we were away (ask how, for its
   *  real duration), or it is live but no longer ours to see (SPEC §11: "Show every call" turned
   *  off): then its card goes, unless the agent is working in it. */
  function settleGone(sid) {
    api.getCall(sid).then((detail) => {  // ended: nothing left to undo, so no freshness check
      const call = calls.get(sid);
      if (!call || isEnded(call.status)) return;  // the sockets said meanwhile
      if (detail && !isEnded(detail.status)) { forget(sid); return; }
      call.status = detail && isEnded(detail.status) ? detail.status : "ended";
      if (detail) {
        if (detail.agent) call.agent = detail.agent;
        if (detail.duration !== null && detail.duration !== undefined) call.duration = detail.duration;
        if (detail.disposition !== undefined) call.disposition = detail.disposition;
        if (detail.notes !== undefined) call.notes = detail.notes;
        takeRecording(call, detail.recording_url);
      }
      place(call, false);
    }).catch((error) => {
      const call = calls.get(sid);
      if (!call || isEnded(call.status)) return;
      if (error && (error.status === 403 || error.status === 404)) { forget(sid); return; }
      call.status = "ended";  // the generic "Ended" card is still right
      place(call, false);
    });
  }

  /** Take a live call off this desktop without ending it (it is no longer routed here). A card
   *  being worked in stays: the next re-sync asks again. */
  function forget(sid) {
    const call = calls.get(sid);
    if (!call) return;
    if (call.el && isHeld(call.el)) return;
    if (call.el && call.el.parentNode === liveList) leaveLive(call.el);
    else if (call.el) call.el.remove();
    calls.delete(sid);
    dropHoles();
    refreshCounts();
    changed();
  }

  refreshCounts();

  return {
    calls, me, place, advance, takeAgent, receivePop, receiveUpdate, receiveCall, refreshCall, resync,
    restoreUnwrapped, liveList, log, onChange: (listener) => listeners.push(listener),
  };
}

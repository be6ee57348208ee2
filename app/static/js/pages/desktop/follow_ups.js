/* KnownCaller desktop: "My follow-ups" — what I still owe customers (SPEC §10), soonest due first,
 * overdue ones in red, each closed with its outcome (components/follow_ups.js).
 *
 * Read again when the desktop loads, after each change made here or on a card, on a screen_pop
 * that concerns me (concerns.js: a pop follows every change to a live caller's follow-ups), and
 * every minute (one turns overdue, a colleague hands one over). A re-read never throws away an
 * outcome being typed: the open form moves into the new list (carryForms), and the keyboard stays
 * where it was.
 */
import * as api from "../../lib/api.js";
import { el, onAction, setStatusLine } from "../../lib/dom.js";
import { dueText } from "../../lib/format.js";
import { followUpActions, followUpsBlock } from "../../components/follow_ups.js";
import { carryForms } from "../../components/inline_form.js";
import { oneReadAtATime } from "../../lib/reads.js";

export const FOLLOW_UPS_REFRESH_MS = 60 * 1000;
/** Pops come in bursts (a reconnect replays every live call): one read for the lot. */
const SETTLE_MS = 250;

/**
 * The panel `panel` (#follow-ups-panel): `customerUrl` leads a name to the record ("/customers/"),
 * `me` ({id}) is who is logged in. Returns {refresh, soon, lists}: read now, or once a burst
 * settles; whether the list holds a follow-up for a customer (by id).
 */
export function createFollowUpsPanel(panel, { customerUrl, me }) {
  const host = panel.querySelector("#my-follow-ups");
  const count = panel.querySelector("#follow-ups-count");
  const status = panel.querySelector("#follow-ups-status");
  // After a follow-up is closed here, the next read puts the keyboard back in the panel: the
  // form it was in is gone (its button, disabled while saving, may have dropped it already).
  let refocus = false;
  let shown = null;  // what the list shows now: a read that brings nothing new leaves it be
  let customers = new Set();  // whose follow-ups the list holds (as strings)

  function say(text, kind) { setStatusLine(status, text, kind); }

  /** Where the keyboard was in the old list (a Done button, a name), to put it back after. */
  function focusedItem(old) {
    const active = document.activeElement;
    if (!old || !active || !old.contains(active) || active.closest("form")) return null;
    const item = active.closest("[data-follow-up-id]");
    if (!item) return null;
    return { id: item.getAttribute("data-follow-up-id"), action: active.getAttribute("data-action") };
  }

  function render(items) {
    // The relative due times too: "due in 1 hour" has to become "due just now" some time.
    const shape = JSON.stringify(items.map((f) => [f, dueText(f.due_at)]));
    if (shape === shown && host.firstElementChild) return;
    shown = shape;
    const fresh = el("div", "follow-ups-body");
    fresh.appendChild(followUpsBlock(items, {
      editable: true, customerUrl, me, empty: "Nothing owed: you have no open follow-ups.",
    }));
    const old = host.firstElementChild;
    const keep = focusedItem(old);
    const lost = !document.activeElement || document.activeElement === document.body ||
      (!!old && old.contains(document.activeElement));
    const stale = reads.pending();  // another read follows: this one leaves the keyboard be
    const takeFocus = refocus && !stale && lost;
    if (!stale) refocus = false;
    if (old) {
      const settle = carryForms(old, fresh);
      old.replaceWith(fresh);
      settle();
    } else {
      host.appendChild(fresh);
    }
    if (keep) {
      const item = fresh.querySelector('[data-follow-up-id="' + CSS.escape(keep.id) + '"]');
      const target = item && (keep.action ? item.querySelector('[data-action="' + CSS.escape(keep.action) + '"]') : item.querySelector("a"));
      (target || panel.querySelector("h2")).focus();
    } else if (takeFocus && (!document.activeElement || document.activeElement === document.body)) {
      // The follow-up just closed is gone, and its form with it: on to the next one, or the heading.
      (fresh.querySelector('[data-action="follow-up-done"]') || panel.querySelector("h2")).focus();
    }
    const overdue = items.filter((f) => f.overdue).length;
    count.textContent = String(items.length);
    count.setAttribute("aria-label", items.length + " open follow-ups" + (overdue ? ", " + overdue + " overdue" : ""));
    count.classList.toggle("count-overdue", overdue > 0);
  }

  /** Read my open follow-ups now, or once a burst of pops has settled (lib/reads.js). */
  const reads = oneReadAtATime(() => api.myFollowUps().then((data) => {
    const items = (data && data.items) || [];
    customers = new Set(items.filter((f) => f.customer_id != null).map((f) => String(f.customer_id)));
    render(items);
    if (status.classList.contains("status-line-error")) say("");
  }, (error) => {
    say("Could not read your follow-ups: " + error.message, "error");
  }), SETTLE_MS);
  const { refresh, soon } = reads;

  const actions = followUpActions({
    customerOf: () => null,  // many customers: each item says whose it is
    callSidOf: () => null,
    message: (scope, text, kind) => say(text, kind),
    refresh: () => { refocus = true; return refresh(); },
  });
  onAction(panel, {
    "follow-up-done": (target) => Promise.resolve(actions["follow-up-done"](panel, target)).catch(() => { /* shown */ }),
  });
  panel.querySelector("h2").tabIndex = -1;  // where the keyboard goes when its item is gone

  refresh();
  setInterval(refresh, FOLLOW_UPS_REFRESH_MS);
  return { refresh, soon, lists: (customerId) => customerId != null && customers.has(String(customerId)) };
}

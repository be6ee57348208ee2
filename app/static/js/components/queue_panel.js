/* KnownCaller: the queue (SPEC §11) — the callers waiting for an agent, in the order they will be
 * answered (tier, then wait), each with their place, who they are, their tier and how long they
 * have waited, ticking up here between the server's updates. The desktop's "Waiting" panel and
 * the dashboard's show it alike.
 *
 * Read with GET /api/v1/queue when the page loads or re-syncs; `queue_update` events bring the whole
 * list again whenever it changes, so the panel is simply redrawn from each. Customer text goes in
 * through textContent only.
 */
import * as api from "../lib/api.js";
import { el, setStatusLine } from "../lib/dom.js";
import { tierLabel } from "../lib/format.js";
import { queueCaller, waitingSince, waitingText } from "../lib/routing.js";

const TICK_MS = 1000;

/**
 * The panel `panel` holds [data-role=queue-list] (an <ol>), [data-role=queue-empty],
 * [data-role=queue-count] and [data-role=queue-status]. `customerUrl` ("/customers/") leads a
 * name to its record; `newTab` opens it in a tab of its own (the desktop's sockets stay put).
 * Returns {refresh, update(items), items()}.
 */
export function createQueuePanel(panel, { customerUrl, newTab = false } = {}) {
  const list = panel.querySelector("[data-role=queue-list]");
  const empty = panel.querySelector("[data-role=queue-empty]");
  const count = panel.querySelector("[data-role=queue-count]");
  const status = panel.querySelector("[data-role=queue-status]");
  let current = [];
  let seq = 0;  // an answer to an older read never overwrites a newer list

  function callerNode(item) {
    const name = queueCaller(item);
    if (!item.customer || !customerUrl) return el("span", "queue-caller", name);
    const a = el("a", "queue-caller", name);
    a.href = customerUrl + encodeURIComponent(item.customer.id);
    if (newTab) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  function row(item, since, now) {
    const li = el("li", "queue-item" + (item.customer && item.customer.tier ? " tier-" + item.customer.tier : ""));
    li.setAttribute("data-queued-call", item.call_sid);
    const position = el("span", "queue-position");
    position.appendChild(el("span", "visually-hidden", "Position "));
    position.appendChild(document.createTextNode(String(item.position)));
    li.appendChild(position);
    const who = el("span", "queue-who");
    who.appendChild(callerNode(item));
    if (item.customer && item.customer.tier) {
      who.appendChild(el("span", "badge badge-tier badge-tier-" + item.customer.tier, tierLabel(item.customer.tier)));
    }
    if (item.callback_requested) who.appendChild(el("span", "badge badge-callback", "Callback requested"));
    li.appendChild(who);
    const wait = el("span", "queue-wait");
    wait.appendChild(el("span", "visually-hidden", "waiting "));
    const clock = el("span", "queue-clock", waitingText(since, now));
    clock.setAttribute("data-waiting-since", String(since));
    wait.appendChild(clock);
    li.appendChild(wait);
    return li;
  }

  /** Draw `items` (the server's list, in queue order), as received now. */
  function update(items) {
    seq += 1;
    draw(items || []);
  }

  function draw(items) {
    const now = Date.now();
    current = items;
    // The keyboard stays on the caller it was on, if they are still waiting.
    const active = document.activeElement;
    const focused = active && list.contains(active) ? active.closest("[data-queued-call]") : null;
    const focusedSid = focused ? focused.getAttribute("data-queued-call") : null;
    list.textContent = "";
    items.forEach((item) => list.appendChild(row(item, waitingSince(item, now), now)));
    list.hidden = !items.length;
    empty.hidden = !!items.length;
    count.textContent = String(items.length);
    count.setAttribute("aria-label", items.length === 1 ? "1 caller waiting" : items.length + " callers waiting");
    count.classList.toggle("count-waiting", items.length > 0);
    if (focusedSid) {
      const again = list.querySelector('[data-queued-call="' + CSS.escape(focusedSid) + '"] a');
      (again || panel.querySelector("h2")).focus();
    }
  }

  /** Read the queue now. */
  function refresh() {
    const mine = ++seq;
    return api.queue().then((data) => {
      if (mine !== seq) return;
      draw((data && data.items) || []);
      setStatusLine(status, "");
    }, (error) => {
      if (mine !== seq) return;
      setStatusLine(status, "Could not read the queue: " + error.message, "error");
    });
  }

  function tick() {
    const now = Date.now();
    list.querySelectorAll("[data-waiting-since]").forEach((node) => {
      node.textContent = waitingText(Number(node.getAttribute("data-waiting-since")), now);
    });
  }

  const heading = panel.querySelector("h2");
  if (heading && !heading.hasAttribute("tabindex")) heading.tabIndex = -1;  // where focus goes when its caller left
  setInterval(tick, TICK_MS);
  return { refresh, update, items: () => current };
}

/* KnownCaller: the care list (SPEC §12), the proactive-care worklist — on the dashboard (every
 * item; a supervisor gives any of them to any agent) and in the desktop's "My day" (mine and
 * nobody's; "Take it" makes one mine). Each item says why (its reason and the server's one line
 * of text), whose customer it is (a link to their record), who has it and since when, and offers
 * "Call back": POST /api/v1/callbacks rings my phone first, then the customer; the call then pops
 * on my desktop as an outbound card.
 *
 * When calling back is not set up the server says why (`callbacks.reason`): every Call back
 * button is disabled, and that reason is shown as text above the list, which each button names
 * as its description (aria-describedby) and title. A refused callback (409, 502, 503) says the
 * server's message as text on its item.
 *
 * Re-reads never throw away what is being done: the list is redrawn only when what it shows
 * changed, an owner chosen but not yet assigned stays chosen, and the keyboard stays on the
 * item it was on.
 */
import * as api from "../lib/api.js";
import {
  calleeName, callbackBody, callbackError, callbackState, canAssign, canTake, careReasonLabel, careTotal, ownerText,
  reasonOptions,
} from "../lib/care_list.js";
import { button, el, onAction, setStatusLine } from "../lib/dom.js";
import { dateTime, dueText, tierLabel } from "../lib/format.js";
import * as insight from "../lib/insight_api.js";
import { oneReadAtATime } from "../lib/reads.js";

export const CARE_REFRESH_MS = 60 * 1000;
const SETTLE_MS = 500;

/**
 * The care list in `panel` ([data-role=care-list], care-empty, care-count, care-status,
 * callbacks-off, and optionally care-reason / care-owner selects and care-more). Options:
 * `me` {id, role}; `customerUrl` ("/customers/"); `newTab` (links open a tab of their own: the
 * desktop); `mine` (only my items and nobody's, whatever my role: the desktop's My day, where a
 * supervisor takes work rather than hands it out); `limit` (how many to show before "Show all").
 * Returns {refresh, soon}.
 */
export function createCareList(panel, { me, customerUrl = "/customers/", newTab = false, mine = false,
  limit = 0 } = {}) {
  const list = panel.querySelector("[data-role=care-list]");
  const empty = panel.querySelector("[data-role=care-empty]");
  const count = panel.querySelector("[data-role=care-count]");
  const status = panel.querySelector("[data-role=care-status]");
  const off = panel.querySelector("[data-role=callbacks-off]");
  const reasonSelect = panel.querySelector("[data-role=care-reason]");
  const ownerSelect = panel.querySelector("[data-role=care-owner]");
  const more = panel.querySelector("[data-role=care-more]");
  const assigning = canAssign(me) && !mine;
  let agents = [];
  let data = { items: [], counts: {}, callbacks: { available: true, reason: null } };
  let shown = null;
  let showAll = false;
  /** Messages said on items (a callback placed or refused), kept across redraws: item id -> {text, kind}. */
  const messages = new Map();

  function say(text, kind) { setStatusLine(status, text, kind); }

  function params() {
    const out = mine ? { mine: "true" } : {};
    if (reasonSelect && reasonSelect.value) out.reason = reasonSelect.value;
    if (ownerSelect && ownerSelect.value) out.owner = ownerSelect.value;
    // Showing `limit` items, the list asks for no more: `counts` says how many there are in all.
    // (My day shows 3 and was sent 100, by every desktop, every minute.)
    if (limit && !showAll) out.limit = String(limit);
    return out;
  }

  function customerCell(item) {
    if (!item.customer) return el("span", "care-customer care-unknown", "Caller not yet known");
    const a = el("a", "care-customer", item.customer.name);
    a.href = customerUrl + encodeURIComponent(item.customer.id);
    if (newTab) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  function ownerPicker(item) {
    const wrap = el("span", "care-assign");
    const select = el("select", "care-owner-select");
    select.id = "care-owner-" + item.id.replace(/[^a-z0-9_-]/gi, "-");
    select.setAttribute("data-role", "owner-select");
    const label = el("label", "visually-hidden", "Give " + careReasonLabel(item.reason).toLowerCase() + " of " +
      calleeName(item) + " to");
    label.setAttribute("for", select.id);
    const none = el("option", null, "Choose an agent…");
    none.value = "";
    select.appendChild(none);
    agents.forEach((agent) => {
      const option = el("option", null, agent.name);
      option.value = String(agent.id);
      if (item.owner && item.owner.id === agent.id) option.selected = true;
      select.appendChild(option);
    });
    wrap.appendChild(label);
    wrap.appendChild(select);
    const assign = button("Assign", "button-small", "care-assign");
    assign.setAttribute("aria-label", "Assign " + calleeName(item));
    wrap.appendChild(assign);
    return wrap;
  }

  function row(item) {
    const li = el("li", "care-item care-" + item.reason + (item.overdue ? " care-overdue" : ""));
    li.setAttribute("data-care-item", item.id);
    li.setAttribute("data-reason", item.reason);
    const top = el("div", "care-top");
    top.appendChild(el("span", "badge badge-care badge-care-" + item.reason, careReasonLabel(item.reason)));
    top.appendChild(customerCell(item));
    if (item.customer && item.customer.tier && item.customer.tier !== "standard") {
      top.appendChild(el("span", "badge badge-tier-" + item.customer.tier, tierLabel(item.customer.tier)));
    }
    // "Promise overdue" says it already; a voicemail not called back in time says it here.
    if (item.overdue && !/^overdue_/.test(item.reason)) top.appendChild(el("span", "badge badge-overdue", "Overdue"));
    li.appendChild(top);
    if (item.text) li.appendChild(el("p", "care-text", item.text));
    const meta = el("div", "care-meta");
    if (item.since) {
      const since = el("span", "care-since", "since " + dateTime(item.since));
      since.setAttribute("data-role", "since");
      meta.appendChild(since);
    }
    if (item.due_at) meta.appendChild(el("span", "due", dueText(item.due_at)));
    const owner = el("span", "care-owner", "Owner: " + ownerText(item, me));
    owner.setAttribute("data-role", "owner");
    meta.appendChild(owner);
    li.appendChild(meta);

    const actions = el("div", "care-actions");
    if (assigning) actions.appendChild(ownerPicker(item));
    else if (canTake(item, me)) {
      const take = button("Take it", "button-small", "care-take");
      take.setAttribute("aria-label", "Take it: " + calleeName(item));
      actions.appendChild(take);
    }
    const state = callbackState(item, data.callbacks);
    const call = button("Call back", "button-small button-primary", "care-callback");
    call.setAttribute("aria-label", "Call back " + calleeName(item));
    if (!state.enabled) {
      call.disabled = true;
      call.title = state.reason;
      if (off && !off.hidden) call.setAttribute("aria-describedby", off.id);
      else {
        const why = el("span", "care-why muted", state.reason);
        why.id = "care-why-" + item.id.replace(/[^a-z0-9_-]/gi, "-");
        call.setAttribute("aria-describedby", why.id);
        actions.appendChild(call);
        actions.appendChild(why);
      }
    }
    if (!call.parentNode) actions.appendChild(call);
    li.appendChild(actions);
    const message = el("p", "care-message", "");
    message.setAttribute("data-role", "care-message");
    message.setAttribute("role", "status");
    const said = messages.get(item.id);
    if (said) {
      message.textContent = said.text;
      message.classList.add("care-message-" + said.kind);
    } else message.hidden = true;
    li.appendChild(message);
    return li;
  }

  function render(force) {
    const items = data.items || [];
    const limited = limit && !showAll ? items.slice(0, limit) : items;
    const shape = JSON.stringify([limited, data.callbacks, agents, Array.from(messages), showAll]);
    if (!force && shape === shown) return;
    shown = shape;

    // Calling back not set up: the reason, once, as text above the list.
    if (off) {
      const unavailable = data.callbacks && data.callbacks.available === false;
      off.hidden = !unavailable;
      off.textContent = unavailable ? (data.callbacks.reason || "Calling back is not set up.") : "";
    }

    // What the person is in the middle of: where the keyboard is, owners chosen not yet assigned.
    const active = document.activeElement;
    const focusedItem = active && list.contains(active) ? active.closest("[data-care-item]") : null;
    const focus = focusedItem ? { id: focusedItem.getAttribute("data-care-item"),
      action: active.getAttribute("data-action"), role: active.getAttribute("data-role") } : null;
    const chosen = new Map();
    list.querySelectorAll("[data-care-item]").forEach((node) => {
      const select = node.querySelector("[data-role=owner-select]");
      if (select && select.getAttribute("data-chosen")) chosen.set(node.getAttribute("data-care-item"), select.value);
    });

    list.textContent = "";
    limited.forEach((item) => {
      const node = row(item);
      const select = node.querySelector("[data-role=owner-select]");
      if (select && chosen.has(item.id)) {
        select.value = chosen.get(item.id);
        select.setAttribute("data-chosen", "1");
      }
      list.appendChild(node);
    });
    list.hidden = !limited.length;
    empty.hidden = !!limited.length;
    const total = Math.max(items.length, careTotal(data.counts, reasonSelect ? reasonSelect.value : ""));
    if (count) {
      const overdue = items.filter((i) => i.overdue).length;
      count.textContent = String(total);
      count.setAttribute("aria-label", total + (total === 1 ? " customer" : " customers") +
        " to care for" + (overdue ? ", " + (items.length < total ? "at least " : "") + overdue + " overdue" : ""));
      count.classList.toggle("count-overdue", overdue > 0);
    }
    if (more) {
      more.hidden = !limit || total <= limit;
      more.textContent = showAll ? "Show fewer" : "Show all " + total;
      more.setAttribute("aria-expanded", showAll ? "true" : "false");
    }
    if (reasonSelect) {
      const value = reasonSelect.value;
      reasonSelect.textContent = "";
      reasonOptions(data.counts).forEach(([optionValue, label]) => {
        const option = el("option", null, label);
        option.value = optionValue;
        reasonSelect.appendChild(option);
      });
      reasonSelect.value = value;
    }
    if (focus) {
      const node = list.querySelector('[data-care-item="' + CSS.escape(focus.id) + '"]');
      const target = node && (focus.action ? node.querySelector('[data-action="' + CSS.escape(focus.action) + '"]')
        : focus.role ? node.querySelector('[data-role="' + CSS.escape(focus.role) + '"]') : node.querySelector("a"));
      if (target && !target.disabled) target.focus();
      else if (node) (node.querySelector("button:not([disabled]), a, select") || panel.querySelector("h2, h3")).focus();
      else panel.querySelector("h2, h3").focus();
    }
  }

  /** Read the list now, or once a burst of pops has settled (lib/reads.js). */
  const { refresh, soon } = oneReadAtATime(() => {
    const reads = [insight.careList(params())];
    if (assigning) reads.push(api.listAgents().catch(() => ({ items: agents })));
    return Promise.all(reads).then(([answer, people]) => {
      data = { items: (answer && answer.items) || [], counts: (answer && answer.counts) || {},
        callbacks: (answer && answer.callbacks) || { available: true, reason: null } };
      if (people) agents = ((people && people.items) || []).map((a) => ({ id: a.id, name: a.name }));
      render();
      if (status.classList.contains("status-line-error")) say("");
    }, (error) => {
      say("Could not read the care list: " + error.message, "error");
    });
  }, SETTLE_MS);

  function itemOf(target) {
    const node = target.closest("[data-care-item]");
    const id = node && node.getAttribute("data-care-item");
    return { node, item: (data.items || []).find((i) => i.id === id) || null };
  }

  function tell(item, text, kind) {
    messages.set(item.id, { text, kind });
    render(true);
  }

  function assignTo(target, ownerId) {
    const { item } = itemOf(target);
    if (!item) return Promise.resolve();
    target.disabled = true;
    return insight.assignCare(item.id, ownerId).then((answer) => {
      const who = answer && answer.owner ? (me && answer.owner.id === me.id ? "you" : answer.owner.name) : "them";
      messages.delete(item.id);
      if (answer && answer.item && answer.item !== item.id) messages.delete(answer.item);
      say(calleeName(item) + " is " + (who === "you" ? "yours" : "with " + who) + " now.", "ok");
      return refresh();
    }, (error) => {
      target.disabled = false;
      tell(item, "Could not assign: " + error.message, "error");
    });
  }

  onAction(panel, {
    "care-take": (target) => assignTo(target, me.id),
    "care-assign": (target) => {
      const select = target.parentNode.querySelector("[data-role=owner-select]");
      if (!select || !select.value) {
        const { item } = itemOf(target);
        if (item) tell(item, "Choose an agent first.", "error");
        if (select) select.focus();
        return;
      }
      assignTo(target, Number(select.value));
    },
    "care-callback": (target) => {
      const { item } = itemOf(target);
      if (!item) return;
      target.disabled = true;
      tell(item, "Calling " + calleeName(item) + "… your phone rings first.", "info");
      insight.callBack(callbackBody(item)).then((call) => {
        tell(item, "Calling " + calleeName(item) + " back: answer your phone" +
          (call && call.call_sid ? ", then they are rung." : "."), "ok");
      }, (error) => {
        tell(item, callbackError(error), "error");
      }).finally(() => refresh());
    },
  });
  list.addEventListener("change", (event) => {
    if (event.target.matches("[data-role=owner-select]")) event.target.setAttribute("data-chosen", "1");
  });
  [reasonSelect, ownerSelect].forEach((select) => {
    if (select) select.addEventListener("change", () => refresh());
  });
  if (more) {
    more.addEventListener("click", () => {
      showAll = !showAll;
      render(true);
      if (showAll) refresh();  // the rest of the list was not read yet
    });
  }
  const heading = panel.querySelector("h2, h3");
  if (heading && !heading.hasAttribute("tabindex")) heading.tabIndex = -1;  // where focus goes when its item left

  return { refresh, soon };
}

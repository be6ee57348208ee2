/* KnownCaller desktop: my status (SPEC §11) — the Available / Away switch in the top bar, what the
 * server derives beside it (on a call, wrap-up, offline), and "Show every call" (watch_all).
 *
 * The switch saves with PUT /api/v1/me/status; a refusal puts it back and shows the server's
 * message under it. `agent_status` events about me (another tab, a call starting or ending) move
 * it too. "Show every call" saves with PATCH /api/v1/me, then the desktop reads its calls again:
 * which calls it shows is the server's to say.
 */
import * as api from "../../lib/api.js";
import { setStatusLine } from "../../lib/dom.js";
import { CHOSEN, chosenStatus, derivedNote, stateLabel } from "../../lib/routing.js";

const ERROR_MS = 8000;

/**
 * `widget` is #my-status, `watchAll` the "Show every call" checkbox, `liveStatus` the live calls'
 * status line (where its errors go), `me` {id}. `onWatchAllChanged()` re-syncs the calls;
 * `onStatus(chosen)` hears my chosen status ("available" | "away") whenever it is shown, the page's
 * load included (the browser phone registers while it is "available").
 * Returns {load, receive(event), offline()}.
 */
export function createPresence(widget, { watchAll, liveStatus, me, onWatchAllChanged, onStatus }) {
  const select = widget.querySelector("select");
  const state = widget.querySelector("[data-role=state]");
  const error = widget.querySelector("[role=alert]");
  let status = chosenStatus(widget.getAttribute("data-status"), "available");
  let derived = widget.getAttribute("data-state") || status;
  let errorTimer = null;
  let saving = 0;  // a change being saved: events and reads in the meantime do not move the switch back

  function render() {
    if (CHOSEN.includes(status) && select.value !== status) select.value = status;
    widget.setAttribute("data-status", status);
    widget.setAttribute("data-state", derived);
    const note = derivedNote(status, derived);
    state.textContent = note;
    state.hidden = !note;
    widget.title = "My status: " + stateLabel(status) + (note ? " (" + note + ")" : "");
    if (onStatus) {
      try { onStatus(status); } catch (error) { console.warn("[knowncaller] status listener failed:", error); }
    }
  }

  function showError(text) {
    clearTimeout(errorTimer);
    error.textContent = text;
    error.hidden = !text;
    if (text) errorTimer = setTimeout(() => showError(""), ERROR_MS);
  }

  /** What the server says of me: {status (chosen), state (derived)}, from /me or PUT /me/status. */
  function take(answer) {
    if (!answer) return;
    status = chosenStatus(answer.status, status);
    if (answer.state) derived = answer.state;
    if ("watch_all" in answer && watchAll) watchAll.checked = !!answer.watch_all;
    render();
  }

  /** Read /me again (after a reconnect, or an event that says only the derived state). */
  function load() {
    return api.me().then((answer) => { if (!saving) take(answer); }, () => { /* the desktop's login check says why */ });
  }

  select.addEventListener("change", () => {
    const wanted = select.value;
    const before = status;
    saving += 1;
    select.setAttribute("aria-busy", "true");
    showError("");
    api.setMyStatus(wanted).then((answer) => {
      take(answer || { status: wanted });
    }, (failure) => {
      status = before;
      render();
      showError("Status not changed: " + failure.message);
    }).finally(() => {
      saving -= 1;
      if (!saving) select.removeAttribute("aria-busy");
    });
  });

  /** An `agent_status` event: mine moves the switch. Its `status` is the derived one and `chosen`
   *  the choice; an event without `chosen` saying neither available nor away (on a call…) has the
   *  choice read again. */
  function receive(event) {
    if (!event || !me.id || event.id !== me.id) return;
    if (saving) return;  // the save's own answer settles it
    derived = event.status || derived;
    const choice = CHOSEN.includes(event.chosen) ? event.chosen : CHOSEN.includes(event.status) ? event.status : null;
    if (choice) status = choice;
    render();
    if (!choice) load();
  }

  /** The socket dropped: nobody can ring me now. */
  function offline() {
    derived = "offline";
    render();
  }

  if (watchAll) {
    watchAll.addEventListener("change", () => {
      const wanted = watchAll.checked;
      watchAll.disabled = true;
      setStatusLine(liveStatus, "");
      api.updateMe({ watch_all: wanted }).then((answer) => {
        watchAll.checked = answer && "watch_all" in answer ? !!answer.watch_all : wanted;
        setStatusLine(liveStatus, watchAll.checked ? "Showing every call." : "Showing the calls routed to you.", "ok");
        return onWatchAllChanged();
      }, (failure) => {
        watchAll.checked = !wanted;
        setStatusLine(liveStatus, "Could not change which calls show: " + failure.message, "error");
      }).finally(() => {
        watchAll.disabled = false;
        watchAll.focus();
      });
    });
  }

  render();
  return { load, receive, offline };
}

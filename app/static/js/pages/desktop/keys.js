/* KnownCaller desktop: keyboard shortcuts, for an agent with a headset on and no hand for the mouse.
 *
 *   c  take the call ("I'm taking this")   g  give the call back
 *   n  notes and wrap-up                    r  remember a preference
 *   o  open a complaint                     x  resolve the first open complaint
 *   p  record a promise                     a  answer the call ringing in this browser
 *   j / k  next / previous call             Esc  close the open form (asks first if typed in)
 *   ?  this list
 *
 * Letters only act when no field has focus, so typing a note never claims a call. Every key acts
 * on the card with focus inside it; when no card has focus, on the live call that has waited
 * longest among those that offer what the key does (work.targetCard). A key that cannot act on
 * the focused card says why there, and acts on no other card.
 */
import { KEY_ACTIONS } from "./work.js";

/** What the card with focus says when a key has nothing to do there. */
const NOT_HERE = {
  claim: "This call is not waiting to be taken.",
  release: "You do not hold this call, so there is nothing to give back.",
  wrapup: "This call has no wrap-up to write.",
  remember: "There is no customer record to remember this on yet.",
  "complaint-new": "There is no customer record to open a complaint on yet.",
  "complaint-resolve": "No open complaint here.",
  "promise-new": "There is no customer record to promise anything on yet.",
  "phone-answer": "This call is not ringing in your browser.",
};

/** Listen for the shortcuts; `work` is the desktop's card actions (work.js); `answerWaiting()`
 *  answers a call ringing in the browser whose card has not arrived (desktop/phone.js). */
export function installKeys(work, { answerWaiting = () => false } = {}) {
  const help = document.getElementById("shortcuts");

  function typing(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  /** Press `action`'s button on the card it is for (see the top of this file). */
  function press(action) {
    const card = work.targetCard(action);
    if (!card) return false;
    const button = card.querySelector('[data-action="' + action + '"]');
    if (!button || !work.mayWork(card)) {
      work.say(card, NOT_HERE[action] || "", "info");
      return true;
    }
    work.run(action, card, button);
    return true;
  }

  function move(step) {
    const cards = work.liveCards();
    if (!cards.length) return false;
    const index = cards.indexOf(work.focusedCard());
    const next = index === -1 ? cards[step > 0 ? 0 : cards.length - 1]
      : cards[Math.min(cards.length - 1, Math.max(0, index + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
    return true;
  }

  function closeOpenForm() {
    const card = work.targetCard(null);
    const form = card && card.querySelector("form.inline-form");
    if (!form) return false;
    work.requestClose(form);
    return true;
  }

  function toggleHelp() {
    if (!help) return false;
    if (help.open) help.close();
    else help.showModal();
    return true;
  }

  const KEYS = {
    c: () => press(KEY_ACTIONS.c),
    g: () => press(KEY_ACTIONS.g),
    n: () => press("wrapup"),
    r: () => press("remember"),
    o: () => press("complaint-new"),
    x: () => press("complaint-resolve"),
    p: () => press("promise-new"),
    // The card ringing in this browser, else a browser call whose card has not come yet.
    a: () => {
      const card = work.targetCard(KEY_ACTIONS.a);
      if (card && card.querySelector('[data-action="phone-answer"]')) return press(KEY_ACTIONS.a);
      return answerWaiting() || press(KEY_ACTIONS.a);
    },
    j: () => move(1),
    k: () => move(-1),
    "?": toggleHelp,
    Escape: closeOpenForm,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key !== "Escape" && typing(event.target)) return;
    if (help && help.open && event.key !== "?") return;  // the dialog handles its own keys
    const handler = KEYS[event.key];
    if (handler && handler()) event.preventDefault();
  });

  if (help) {
    help.addEventListener("click", function (event) {
      if (event.target === help || event.target.closest("[data-close]")) help.close();
    });
  }
  const opener = document.getElementById("show-shortcuts");
  if (opener) opener.addEventListener("click", toggleHelp);
}

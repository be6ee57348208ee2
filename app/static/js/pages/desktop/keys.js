/* KnownCaller desktop: keyboard shortcuts, for an agent with a headset on and no hand for the mouse.
 *
 *   c  take the newest ringing call        n  notes and wrap-up on the active call
 *   r  remember a preference               o  open a complaint
 *   x  resolve the first open complaint    j / k  next / previous call
 *   Esc  close the open form               ?  this list
 *
 * Letters only act when no field has focus, so typing a note never claims a call. The "active"
 * call is the card with focus, else the one last touched, else my newest call, else the newest.
 */

/** Listen for the shortcuts; `work` is the desktop's card actions (work.js). */
export function installKeys(work) {
  const help = document.getElementById("shortcuts");

  function typing(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function press(card, action, selector) {
    if (!card) return false;
    const button = card.querySelector(selector || '[data-action="' + action + '"]');
    if (!button) return false;
    work.run(action, card, button);
    return true;
  }

  function claimNewestRinging() {
    // The live list is newest first; the first card still offering "I'm taking this" wins.
    let cards = work.liveCards().filter(function (card) {
      return card.classList.contains("is-ringing") && card.querySelector('[data-action="claim"]');
    });
    if (!cards.length) cards = work.liveCards().filter(function (card) { return card.querySelector('[data-action="claim"]'); });
    return press(cards[0], "claim");
  }

  function move(step) {
    const cards = work.liveCards();
    if (!cards.length) return false;
    const index = cards.indexOf(work.activeCard());
    const next = cards[Math.min(cards.length - 1, Math.max(0, index + step))];
    work.setActive(next);
    next.focus();
    next.scrollIntoView({ block: "nearest" });
    return true;
  }

  function closeOpenForm() {
    const card = work.activeCard();
    const form = card && card.querySelector("form.inline-form");
    if (!form) return false;
    work.closeForm(form);
    return true;
  }

  function toggleHelp() {
    if (!help) return false;
    if (help.open) help.close();
    else help.showModal();
    return true;
  }

  const KEYS = {
    c: claimNewestRinging,
    n: function () { return press(work.activeCard(), "wrapup"); },
    r: function () { return press(work.activeCard(), "remember"); },
    o: function () { return press(work.activeCard(), "complaint-new"); },
    x: function () { return press(work.activeCard(), "complaint-resolve"); },
    j: function () { return move(1); },
    k: function () { return move(-1); },
    "?": toggleHelp,
    Escape: closeOpenForm
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

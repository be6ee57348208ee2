/* KnownCaller: one read of a panel at a time. Pops and call updates come in bursts (a reconnect
 * replays every live call); each may ask a panel to read its list again. */

/**
 * `read()` (returning a promise) run one at a time. `refresh()` reads now, or, while a read is
 * under way, once more right after it (what the burst changed is always read, never twice at
 * once); `soon()` reads once a burst has settled for `settleMs`; `pending()` says whether
 * another read follows the current one (what it shows is about to be replaced).
 */
export function oneReadAtATime(read, settleMs) {
  let reading = null;
  let again = false;
  let timer = null;

  function refresh() {
    if (reading) { again = true; return reading; }
    reading = new Promise((resolve) => resolve(read())).finally(() => {
      reading = null;
      if (again) { again = false; refresh(); }
    });
    return reading;
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, settleMs);
  }

  return { refresh, soon, pending: () => again };
}

/* KnownCaller desktop: alerts for a new ringing call — a notification when the agent is looking
 * elsewhere, and a beep. Off until the agent turns them on (#enable-alerts); the choice is kept in
 * localStorage. Browsers only start audio after a gesture, so any click or key unlocks it.
 */
import { callerNumber, overdueCount, titleFor } from "../../lib/calls.js";

const STORAGE_KEY = "knowncaller.alerts";

export function createAlerts(toggleButton, log) {
  let enabled = false;
  let audio = null;

  try { enabled = window.localStorage.getItem(STORAGE_KEY) === "on"; } catch (e) { enabled = false; }

  function unlockAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume();
  }

  function beep() {
    if (!audio || audio.state !== "running") return;
    const now = audio.currentTime;
    [0, 0.22].forEach((offset) => {
      const osc = audio.createOscillator(), gain = audio.createGain();
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
    const pop = call.pop;
    const parts = [callerNumber(pop)];
    if (pop.customer && pop.customer.tier === "vip") parts.push("VIP");
    const overdue = overdueCount(pop);
    if (overdue) parts.push(overdue + " overdue complaint" + (overdue > 1 ? "s" : ""));
    const notification = new Notification("Incoming call: " + titleFor(pop), {
      body: parts.filter(Boolean).join(" · "), tag: pop.call_sid,
    });
    notification.onclick = () => { window.focus(); notification.close(); };
  }

  function render() {
    if (!toggleButton) return;
    toggleButton.setAttribute("aria-pressed", enabled ? "true" : "false");
    // Two labels: the full one (its name), and "Alerts" for a narrow top bar (the pressed look
    // says whether they are on); the name contains the short one's text (WCAG 2.5.3).
    const full = toggleButton.querySelector(".alerts-label");
    if (full) full.textContent = enabled ? "Alerts on" : "Enable alerts";
    else toggleButton.textContent = enabled ? "Alerts on" : "Enable alerts";
    const blocked = "Notification" in window && Notification.permission === "denied";
    toggleButton.title = enabled
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

  if (toggleButton) toggleButton.addEventListener("click", toggle);
  ["pointerdown", "keydown"].forEach((kind) => {
    document.addEventListener(kind, () => { if (enabled) unlockAudio(); }, { passive: true });
  });
  render();

  return {
    announce(call) {
      if (!enabled) return;
      beep();
      try { notify(call); } catch (e) { log("notification failed:", e); }
    },
    get enabled() { return enabled; },
  };
}

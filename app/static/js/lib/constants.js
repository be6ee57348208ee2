/* KnownCaller: the vocabulary the server defines (call statuses and their ranks, tiers, complaint
 * severities and statuses, dispositions, roles, reach kinds), read once from the page.
 *
 * base.html renders app/client_constants.py into <script type="application/json" id="kc-constants">;
 * nothing here copies a value from the Python. `parseConstants` is pure (tests feed it text);
 * `constants()` reads the page's block the first time it is asked, then keeps the result.
 */

const REQUIRED = [
  "call_status_rank", "terminal_statuses", "tiers", "complaint_severities", "complaint_statuses",
  "dispositions", "roles", "reach_kinds",
];

/** The constants in `text` (the data block's JSON), frozen; a missing key is a server bug, said so. */
export function parseConstants(text) {
  const data = JSON.parse(text);
  if (!data || typeof data !== "object") throw new Error("kc-constants: not a JSON object");
  const missing = REQUIRED.filter((key) => !(key in data));
  if (missing.length) throw new Error("kc-constants: missing " + missing.join(", "));
  Object.values(data).forEach((value) => Object.freeze(value));
  return Object.freeze(data);
}

let cached = null;

/** The page's constants (read from #kc-constants on first use). */
export function constants(doc = globalThis.document) {
  if (!cached) {
    const block = doc && doc.getElementById("kc-constants");
    if (!block) throw new Error("kc-constants: the page has no constants block");
    cached = parseConstants(block.textContent);
  }
  return cached;
}

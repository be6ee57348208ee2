/* KnownCaller desktop: a callback (an outbound call placed from the care list, SPEC §12) as its
 * card reads it — "Calling back Alice Wong", not an incoming call. Pure: no DOM, so `node --test`
 * covers it (tests/js/outbound.test.mjs).
 */

/** Whether the pop is of a call we placed (a callback), not one that came in. */
export function isOutbound(pop) {
  return !!pop && pop.direction === "outbound";
}

/** The card's name for the call: "Calling back Alice Wong", "Calling back (415) 555-0100". */
export function outboundTitle(pop) {
  const who = pop && pop.customer && pop.customer.name ? pop.customer.name : (pop && pop.from_display) || "the caller";
  return "Calling back " + who;
}

/**
 * The state pill of a callback, {kind, text}: while the provider rings my phone and then theirs,
 * "Calling back…"; once connected, "Callback in progress"; null once it ended (the usual
 * ended words say how).
 */
export function outboundPill(status) {
  if (status === "queued" || status === "initiated" || status === "ringing") return { kind: "outbound", text: "Calling back…" };
  if (status === "in-progress") return { kind: "answered", text: "Callback in progress" };
  return null;
}

/* KnownCaller desktop: whether a socket event can have changed what my own panels show ("My
 * follow-ups", "My day": my figures and my part of the care list).
 *
 * Every pop and call update used to read both panels again: on a floor where each call is offered
 * to ten agents, ten desktops re-read their follow-ups, figures and care list for every call, most
 * of them about a call that was never theirs (1,000 agents at 20 calls/s: hundreds of reads a
 * second). Only an event about a call I hold, or a customer with something of mine on them
 * (a follow-up I own, a promise I made, a complaint I was given), or a customer my follow-ups list
 * (one of mine may have closed or changed hands on them), leads to a read; the rest (a colleague's
 * change, an item turning overdue) waits for the panels' own minute.
 */

const sameId = (a, b) => a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);

/** Whether `person` ({id} or null) is me ({id}). */
export function isMe(person, me) {
  return !!person && !!me && sameId(person.id, me.id);
}

/** Whether the customer card `customer` (a pop's) shows something of mine. */
export function showsMine(customer, me) {
  if (!customer) return false;
  const mine = (person) => isMe(person, me);
  return (customer.follow_ups || []).some((f) => mine(f.owner)) ||
    (customer.promises || []).some((p) => mine(p.made_by)) ||
    (customer.complaints || []).some((c) => mine(c.assigned_to) || sameId(c.assigned_to_id, me && me.id));
}

/** Whether a pop can have changed my panels: `listed(customerId)` says whether my follow-ups list
 * that customer now. */
export function popConcernsMe(pop, me, listed = () => false) {
  if (!pop) return false;
  if (isMe(pop.agent, me)) return true;
  const customer = pop.customer;
  if (customer && (showsMine(customer, me) || listed(customer.id))) return true;
  return (pop.candidates || []).some((c) => listed(c.id));
}

/** Whether a call update can have changed my panels: it is about a call I hold (its end moves my
 * figures, and a low score given on the line opened a follow-up of mine). */
export function updateConcernsMe(update, me) {
  return !!update && isMe(update.agent, me);
}

/* What an edit changed, and what a colleague changed meanwhile: pure, for the customer page. */

const FIELDS = ["name", "phones", "email", "tier", "external_id"];

function same(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    const left = a || [], right = b || [];
    return left.length === right.length && left.every((value, i) => value === right[i]);
  }
  return (a === undefined || a === null || a === "" ? null : a) === (b === undefined || b === null || b === "" ? null : b);
}

/** The fields of `body` (a form's values) that differ from `record` (the customer as read). */
export function changedFields(record, body, fields = FIELDS) {
  const changes = {};
  fields.forEach((name) => {
    if (name in body && !same(record ? record[name] : undefined, body[name])) changes[name] = body[name];
  });
  return changes;
}

/** "phones (now (415) 555-0100, +44…), tier (now gold)": what differs between two reads of a customer. */
export function describeChanges(before, after, fields = FIELDS) {
  return fields.filter((name) => !same(before[name], after[name])).map((name) => {
    let value = after[name];
    if (name === "phones" && after.phone_numbers) {
      // As people read them, when the record says how.
      const display = {};
      after.phone_numbers.forEach((n) => { display[n.e164] = n.display || n.e164; });
      value = (value || []).map((e164) => display[e164] || e164);
    }
    const shown = Array.isArray(value) ? value.join(", ") : value;
    return name.replace("_", " ") + " (now " + (shown === null || shown === undefined || shown === "" ? "empty" : shown) + ")";
  }).join(", ");
}

/* KnownCaller: sorting a table's rows by a column (the dashboard's scorecards). Pure: no DOM, so
 * `node --test` covers it (tests/js/sorting.test.mjs).
 *
 * Directions are the words aria-sort takes ("ascending", "descending"). A missing value (null,
 * undefined, NaN) sorts last whichever way the column runs: "no NPS" is not the worst NPS.
 */

function missing(value) {
  return value === null || value === undefined || (typeof value === "number" && isNaN(value));
}

function compare(a, b) {
  if (typeof a === "string" || typeof b === "string") {
    return String(a).localeCompare(String(b), undefined, { sensitivity: "base", numeric: true });
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `rows` sorted by `value(row)` in `direction`; missing values last, ties in their first order. A new array. */
export function sortRows(rows, value, direction = "ascending") {
  const sign = direction === "descending" ? -1 : 1;
  return (rows || []).map((row, index) => ({ row, index, key: value(row) }))
    .sort((a, b) => {
      const am = missing(a.key), bm = missing(b.key);
      if (am || bm) return am === bm ? a.index - b.index : am ? 1 : -1;
      return sign * compare(a.key, b.key) || a.index - b.index;
    })
    .map((entry) => entry.row);
}

/**
 * The direction after a click on column `clicked`: the same column flips; another column starts
 * at its own first direction (`first`: names A→Z, figures highest first).
 */
export function nextDirection(current, clicked, first = "ascending") {
  if (current && current.key === clicked) return current.direction === "ascending" ? "descending" : "ascending";
  return first;
}

/** done ÷ of as a fraction, or null when there was nothing to do ("3 of 4 on time"). */
export function ratio(done, of) {
  return typeof done === "number" && typeof of === "number" && of > 0 ? done / of : null;
}

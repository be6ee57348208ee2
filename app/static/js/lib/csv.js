/* KnownCaller: reading a CSV the server wrote (the import's refused rows): pure, for Node's tests. */

/** Rows of cells from CSV text: quoted cells may hold commas, quotes ("") and line breaks. */
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quoted) {
      if (ch === '"' && source[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(cell); cell = ""; }
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && source[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += ch;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** The refused rows' {line, column, reason}: the report's last three columns, after the file's own. */
export function refusals(text) {
  const rows = parseCsv(text);
  const header = rows.shift() || [];
  const at = header.length - 3;  // the file's own columns come first, whatever they are named
  if (at < 0 || header[at] !== "line") return [];
  return rows.map((cells) => ({ line: cells[at] || "", column: cells[at + 1] || "", reason: cells[at + 2] || "" }));
}

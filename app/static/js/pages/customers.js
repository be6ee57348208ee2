/* KnownCaller: /customers — search by name, number (any format), email or external id, a page at a time.
 *
 * Everything goes to `q=`, which finds names, emails, account ids (digits or not) and numbers,
 * whole or in part. The query and page live in the address, so back, reload and links work.
 */
import * as api from "../lib/api.js";
import { el } from "../lib/dom.js";
import { tierLabel } from "../lib/format.js";

const form = document.getElementById("customer-search");

function start() {
  const input = document.getElementById("customer-q");
  const table = document.getElementById("customer-results");
  const tbody = table.querySelector("tbody");
  const status = document.getElementById("customer-status");
  const pager = document.getElementById("customer-pager");
  const PER_PAGE = 25;
  const state = { q: "", page: 1, total: 0 };
  let latest = 0;
  let notice = "";  // said once above the results, e.g. after a deletion

  function setStatus(text, kind) {
    if (notice && !kind) text = notice + " " + text;
    status.textContent = text;
    status.className = "status-line" + (kind ? " status-line-" + kind : "");
  }

  function readAddress() {
    const params = new URLSearchParams(window.location.search);
    state.q = params.get("q") || "";
    state.page = Math.max(1, parseInt(params.get("page"), 10) || 1);
    input.value = state.q;
    const deleted = params.get("deleted");
    if (deleted !== null) notice = "Deleted " + (deleted || "the customer") + ".";
  }

  function writeAddress() {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.page > 1) params.set("page", String(state.page));
    const query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function search() {
    const ticket = ++latest;
    const params = { page: state.page, per_page: PER_PAGE };
    if (state.q) params.q = state.q;
    setStatus("Searching…");
    return api.searchCustomers(params).then(function (data) {
      if (ticket !== latest) return;  // a newer search answered first
      render(data);
    }, function (error) {
      if (ticket !== latest) return;
      table.hidden = true;
      pager.hidden = true;
      setStatus(error.fields && error.fields.q
        ? [].concat(error.fields.q).join(" ") : "Search failed: " + error.message, "error");
    });
  }

  function render(data) {
    const items = data.items || [];
    state.total = data.total || 0;
    tbody.textContent = "";
    items.forEach(function (c) {
      const row = el("tr");
      row.setAttribute("data-customer-id", String(c.id));
      const name = el("td");
      const link = el("a", null, c.name);
      link.href = "/customers/" + encodeURIComponent(c.id);
      name.appendChild(link);
      row.appendChild(name);
      // Numbers as people read them; the E.164 each was stored as stays in the cell's title (none
      // for an agent who sees them masked: their e164 is null).
      const numbers = c.phone_numbers || (c.phones || []).map(function (e164) { return { e164: e164 }; });
      const phones = el("td", "num", numbers.map(function (n) { return n.display || n.e164; }).join(", "));
      const whole = numbers.map(function (n) { return n.e164; }).filter(Boolean);
      if (whole.length) phones.title = whole.join(", ");
      row.appendChild(phones);
      row.appendChild(el("td", null, c.email || ""));
      const tier = el("td");
      if (c.tier) tier.appendChild(el("span", "badge badge-tier-" + c.tier, tierLabel(c.tier)));
      row.appendChild(tier);
      row.appendChild(el("td", "num", c.external_id || ""));
      const complaints = el("td");
      const open = c.open_complaints || [];
      const overdue = open.filter(function (x) { return x.overdue; }).length;
      complaints.appendChild(document.createTextNode(String(open.length)));
      if (overdue) {
        complaints.appendChild(document.createTextNode(" "));
        complaints.appendChild(el("span", "badge badge-overdue", overdue + " overdue"));
      }
      row.appendChild(complaints);
      tbody.appendChild(row);
    });
    table.hidden = !items.length;
    const pages = Math.max(1, Math.ceil(state.total / PER_PAGE));
    pager.hidden = pages <= 1;
    document.getElementById("customer-page-label").textContent = "Page " + state.page + " of " + pages;
    pager.querySelector('[data-page="prev"]').disabled = state.page <= 1;
    pager.querySelector('[data-page="next"]').disabled = state.page >= pages;
    if (!items.length) setStatus(state.q ? "No customer matches “" + state.q + "”." : "No customers yet.");
    else setStatus(state.total + (state.total === 1 ? " customer" : " customers") + (state.q ? " match “" + state.q + "”" : ""));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    state.q = input.value.trim();
    state.page = 1;
    notice = "";
    writeAddress();
    search();
  });
  pager.addEventListener("click", function (event) {
    const button = event.target.closest("[data-page]");
    if (!button) return;
    state.page += button.getAttribute("data-page") === "next" ? 1 : -1;
    writeAddress();
    search();
  });

  readAddress();
  search();
}

if (form) start();

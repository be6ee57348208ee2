/* KnownCaller dashboard: the agents and their status (SPEC §11) — available, away, on a call,
 * wrap-up or offline — read with GET /api/v1/agents, then kept by `agent_status` events, so a
 * supervisor sees an agent step away the moment they do. The call an agent is on shows its caller
 * when the live calls table knows it. */
import * as api from "../../lib/api.js";
import { el, setStatusLine } from "../../lib/dom.js";
import { stateLabel } from "../../lib/routing.js";

const ORDER = ["available", "on_call", "wrap_up", "away", "offline"];

/**
 * The panel `panel` (#agents-panel: #agents-table, #agents-empty, [data-role=agents-summary],
 * [data-role=agents-status]); `callerOf(callSid)` names the caller of a live call, or "".
 * Returns {refresh, receive(event), render}.
 */
export function createAgents(panel, { callerOf }) {
  const table = panel.querySelector("#agents-table");
  const empty = panel.querySelector("#agents-empty");
  const summary = panel.querySelector("[data-role=agents-summary]");
  const status = panel.querySelector("[data-role=agents-status]");
  /** id -> {id, name, status, chosen, call_sid, heardAt} in the server's order */
  const agents = new Map();

  function render() {
    const tbody = table.querySelector("tbody");
    tbody.textContent = "";
    agents.forEach((agent) => {
      const tr = el("tr");
      tr.setAttribute("data-agent-id", String(agent.id));
      tr.setAttribute("data-status", agent.status);
      tr.appendChild(el("td", null, agent.name));
      const cell = el("td");
      cell.appendChild(el("span", "agent-status agent-status-" + agent.status, stateLabel(agent.status)));
      // Busy now, and what they chose for after: "On a call · away after".
      if (agent.chosen === "away" && agent.status !== "away" && agent.status !== "offline") {
        cell.appendChild(el("span", "muted agent-after", " · away after"));
      }
      tr.appendChild(cell);
      tr.appendChild(el("td", null, agent.call_sid ? callerOf(agent.call_sid) || "A call" : ""));
      tbody.appendChild(tr);
    });
    table.hidden = !agents.size;
    empty.hidden = !!agents.size;
    const counts = {};
    agents.forEach((agent) => { counts[agent.status] = (counts[agent.status] || 0) + 1; });
    summary.textContent = ORDER.filter((s) => counts[s]).map((s) => counts[s] + " " + stateLabel(s).toLowerCase()).join(" · ");
  }

  /** An `agent_status` event: {id, name, status (derived), chosen, call_sid, at}. */
  function receive(event) {
    if (!event || event.id === undefined || event.id === null) return;
    const known = agents.get(event.id) || { id: event.id };
    agents.set(event.id, { ...known, name: event.name || known.name || "", status: event.status,
      chosen: event.chosen || known.chosen, call_sid: event.call_sid || null, heardAt: Date.now() });
    render();
  }

  /** Read every agent's status; what an event said since the read was asked for stays. */
  function refresh() {
    const requestedAt = Date.now();
    return api.listAgents().then((data) => {
      const before = new Map(agents);
      agents.clear();
      ((data && data.items) || []).forEach((item) => {
        const newer = before.get(item.id);
        agents.set(item.id, newer && newer.heardAt > requestedAt ? newer : { ...item, heardAt: 0 });
      });
      render();
      setStatusLine(status, "");
    }, (error) => {
      setStatusLine(status, "Could not read the agents: " + error.message, "error");
    });
  }

  return { refresh, receive, render };
}

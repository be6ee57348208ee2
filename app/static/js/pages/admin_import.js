/* KnownCaller: /admin/import — upload a customer CSV, follow its progress, see (and download) what
 * was refused and why. POST /api/v1/imports answers 202 with a job at once; the page polls
 * GET /api/v1/imports/<id>. The job carries counts only: the reasons are read from its refused.csv
 * once it is done. A dry run says so above its counts, which read "would create". */
import * as api from "../lib/api.js";
import { refusals } from "../lib/csv.js";
import { busy, clearErrors, el, showErrors } from "../lib/dom.js";

const SHOWN_REFUSALS = 200;  // the rest are in the download

const form = document.getElementById("import-form");

function start() {
  const POLL_MS = 700;
  let timer = null;

  function show(id, visible) { document.getElementById(id).hidden = !visible; }
  function text(id, value) { document.getElementById(id).textContent = value; }

  function showRefusals(job) {
    api.getRefusedRows(job.id).then(function (csv) {
      const rows = refusals(csv);
      const tbody = document.querySelector("#refusals-table tbody");
      tbody.textContent = "";
      rows.slice(0, SHOWN_REFUSALS).forEach(function (r) {
        const tr = el("tr");
        tr.appendChild(el("td", "num", r.line));
        tr.appendChild(el("td", null, r.column));
        tr.appendChild(el("td", null, r.reason));
        tbody.appendChild(tr);
      });
      text("refusals-more", rows.length > SHOWN_REFUSALS
        ? "The first " + SHOWN_REFUSALS + " of " + rows.length + " are shown; the download has every one." : "");
      show("refusals-more", rows.length > SHOWN_REFUSALS);
      show("job-refusals", rows.length > 0);
    }, function (error) {
      show("job-error", true);
      text("job-error", "Could not read the refused rows: " + error.message);
    });
  }

  function render(job) {
    show("import-job", true);
    show("job-dry-run", !!job.dry_run);
    document.getElementById("import-job").classList.toggle("import-dry-run", !!job.dry_run);
    document.querySelectorAll("#job-summary .job-verb").forEach(function (verb) {
      verb.textContent = verb.getAttribute(job.dry_run ? "data-dry" : "data-real");
    });
    text("job-title", job.filename + (job.dry_run ? " · dry run" : "") + " · " + job.status);
    const bar = document.getElementById("job-progress");
    const total = job.total_rows || 0;
    if (total) {
      bar.max = total;
      bar.value = Math.min(job.processed_rows || 0, total);
      text("job-progress-label", (job.processed_rows || 0) + " of " + total + " rows");
    } else if (job.status === "done") {
      bar.max = 1;
      bar.value = 1;
      text("job-progress-label", (job.processed_rows || 0) + " rows");
    } else {
      bar.removeAttribute("value");  // indeterminate until the rows are counted
      text("job-progress-label", "Reading the file…");
    }
    const finished = job.status === "done" || job.status === "failed";
    show("job-summary", finished || (job.processed_rows || 0) > 0);
    text("job-created", String(job.created || 0));
    text("job-updated", String(job.updated || 0));
    text("job-refused", String(job.refused || 0));
    show("job-error", !!job.error);
    text("job-error", job.error || "");
    const link = document.getElementById("job-refused-link");
    link.hidden = !(finished && job.refused > 0);
    link.href = api.paths.refusedRows(job.id);
    if (finished && job.refused > 0) showRefusals(job);
    return finished;
  }

  function poll(id) {
    api.getImport(id).then(function (job) {
      if (!render(job)) timer = setTimeout(function () { poll(id); }, POLL_MS);
    }, function (error) {
      show("job-error", true);
      text("job-error", "Could not follow the import: " + error.message);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors(form);
    const file = document.getElementById("import-file").files[0];
    if (!file) {
      showErrors(form, { fields: { file: ["Choose a CSV file first."] } });
      return;
    }
    if (timer) clearTimeout(timer);
    show("job-refusals", false);
    const body = new FormData();
    body.append("file", file, file.name);
    body.append("dry_run", document.getElementById("import-dry-run").checked ? "true" : "false");
    busy(form, api.startImport(body)).then(function (job) {
      if (!render(job)) poll(job.id);
    }, function (error) {
      showErrors(form, error);
    });
  });
}

if (form) start();

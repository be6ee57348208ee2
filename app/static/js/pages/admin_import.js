/* KnownCaller: /admin/import — upload a customer CSV, follow its progress, download what was refused.
 * POST /api/v1/imports answers 202 with a job at once; the page polls GET /api/v1/imports/<id>. */
import * as api from "../lib/api.js";
import { busy, clearErrors, showErrors } from "../lib/dom.js";

const form = document.getElementById("import-form");

function start() {
  const POLL_MS = 700;
  let timer = null;

  function show(id, visible) { document.getElementById(id).hidden = !visible; }
  function text(id, value) { document.getElementById(id).textContent = value; }

  function render(job) {
    show("import-job", true);
    text("job-title", job.filename + (job.dry_run ? " (dry run: nothing is written)" : "") + " · " + job.status);
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

"""Customer import: check every row of the CSV (`csv_format`), upsert in batches, run browser jobs.

Upsert rules: a row with an `external_id` that exists updates that customer (name, email, tier and
phones replaced; preferences merged by key: the file's values for a key replace that key's values,
other keys are kept); without one it always creates. An `external_id` seen twice in one file is
applied in file order: the later row updates the customer the earlier row created. On update, a
column the file does not have leaves that field alone; an empty cell clears it (tier: standard).

Every batch is one transaction: customers, numbers and preferences of a batch commit together or
not at all. A database failure stops the import with `ImportStopped`; earlier batches stay.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from flask import Flask
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from app import jobs
from app.extensions import db
from app.models import Customer, ImportJob, PhoneNumber, Preference, utcnow
from app.models.customer import search_key
from app.services.customers.csv_format import (
    CsvUnreadable,
    CustomerRow,
    ImportReport,
    Layout,
    Progress,
    Refusal,
    check_row,
    count_rows,
    csv_records,
    inspect,
    record_audit,
    refused_csv,
)
from app.services.errors import DomainError
from app.settings import settings

log = logging.getLogger(__name__)

BATCH_SIZE = 1000


class ImportStopped(DomainError):
    """The database refused a batch; that batch was rolled back, earlier ones are kept."""

    status = 500
    code = "import_stopped"

    def __init__(self, message: str, report: "ImportReport"):
        super().__init__(message)
        self.report = report


def import_customers(
    data: bytes,
    *,
    region: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    recorded_by_id: int | None = None,
    source: str = "upload",
    batch_size: int | None = None,
) -> ImportReport:
    """Read the whole file, upsert every good row in batches, and report what was refused.

    `dry_run` checks everything (including which rows would update) and writes nothing. Raises
    CsvUnreadable when the file cannot be read at all, ImportStopped when the database fails.
    """
    batch_size = batch_size or BATCH_SIZE
    text, layout, encoding = inspect(data)
    rows = csv_records(text)
    next(rows)  # the header
    total = count_rows(text)
    report = ImportReport(header=layout.header, encoding=encoding, total_rows=total, dry_run=dry_run)
    if layout.ignored:
        report.warnings.append(f"ignored unknown columns: {', '.join(layout.ignored)}")
    if progress:
        progress(0, total)

    batch: list[CustomerRow] = []
    planned: set[str] = set()  # a dry run's would-be-created external_ids, so a repeat counts as an update
    extra_cells_line = None
    try:
        for line, cells in rows:
            if extra_cells_line is None and any(c.strip() for c in cells[len(layout.header):]):
                extra_cells_line = line
            checked = check_row(layout, line, cells, region)
            if isinstance(checked, Refusal):
                report.refusals.append(checked)
            else:
                batch.append(checked)
            report.processed_rows += 1
            if report.processed_rows % batch_size == 0:
                _apply_batch(batch, layout, report, planned, recorded_by_id=recorded_by_id)
                batch = []
                if progress:
                    progress(report.processed_rows, total)
        _apply_batch(batch, layout, report, planned, recorded_by_id=recorded_by_id)
    except ImportStopped:
        if not dry_run:
            record_audit("customers_imported", recorded_by_id, f"{source}: stopped after {report.summary()}")
        raise
    if progress and report.processed_rows % batch_size:
        progress(report.processed_rows, total)
    if extra_cells_line is not None:
        report.warnings.append(f"some rows have more cells than the header (first on line {extra_cells_line}); "
                               "the extra cells were ignored")
    if not dry_run:
        record_audit("customers_imported", recorded_by_id, f"{source}: {report.summary()}")
    return report


def _existing_ids(external_ids: set[str]) -> dict[str, int]:
    if not external_ids:
        return {}
    rows = db.session.execute(select(Customer.external_id, Customer.id).where(Customer.external_id.in_(external_ids)))
    return {ext: cid for ext, cid in rows}


def _merge_preferences(earlier: list[tuple[str, str]], later: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The later row's values for a key replace the earlier ones for that key; other keys stay."""
    keys = {k for k, _ in later}
    return [(k, v) for k, v in earlier if k not in keys] + later


def _fold(earlier: CustomerRow, later: CustomerRow) -> CustomerRow:
    """Two rows for one customer, as if applied one after the other: the later one's fields win."""
    return replace(later, preferences=_merge_preferences(earlier.preferences, later.preferences))


def _apply_batch(rows: list[CustomerRow], layout: Layout, report: ImportReport, planned: set[str], *,
                 recorded_by_id: int | None) -> None:
    """Create or update one batch of good rows in a single transaction (nothing at all in a dry run)."""
    if not rows:
        return
    try:
        existing = _existing_ids({row.external_id for row in rows if row.external_id})
        creates: dict[object, CustomerRow] = {}  # external_id (or the row itself) -> row
        updates: dict[int, CustomerRow] = {}  # customer id -> row
        created = updated = 0
        for row in rows:
            ext = row.external_id
            if ext in existing:
                cid = existing[ext]
                updates[cid] = _fold(updates[cid], row) if cid in updates else row
                updated += 1
            elif ext in planned:  # dry run: an earlier batch would have created it
                updated += 1
            elif ext is not None and ext in creates:
                creates[ext] = _fold(creates[ext], row)
                updated += 1
            else:
                creates[ext if ext is not None else id(row)] = row
                created += 1
        if report.dry_run:
            planned.update(ext for ext in creates if isinstance(ext, str))
        else:
            now = utcnow()
            _insert(list(creates.values()), now, recorded_by_id)
            _update(updates, layout, now, recorded_by_id)
            db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("customer import stopped at lines %s-%s: %s", rows[0].line, rows[-1].line, exc)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ImportStopped(
            f"the database refused the batch of lines {rows[0].line}-{rows[-1].line} ({reason}); nothing from "
            f"those lines was saved, lines before {rows[0].line} were imported ({report.summary()})",
            report,
        ) from exc
    report.created += created
    report.updated += updated


def _insert(rows: list[CustomerRow], now, recorded_by_id: int | None) -> None:
    if not rows:
        return
    ids = db.session.scalars(
        insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
        [{"name": r.name, "email": r.email, "tier": r.tier, "external_id": r.external_id,
          "created_at": now, "updated_at": now} for r in rows],
    ).all()
    phones = [{"customer_id": cid, "e164": e164, "created_at": now} for cid, r in zip(ids, rows) for e164 in r.phones]
    prefs = [{"customer_id": cid, "key": k, "value": v, "recorded_by_id": recorded_by_id, "recorded_at": now}
             for cid, r in zip(ids, rows) for k, v in r.preferences]
    if phones:
        db.session.execute(insert(PhoneNumber), phones)
    if prefs:
        db.session.execute(insert(Preference), prefs)


def _update(rows: dict[int, CustomerRow], layout: Layout, now, recorded_by_id: int | None) -> None:
    if not rows:
        return
    fields = [f for f in ("name", "email", "tier") if layout.present(f)]
    # Table-level, so every updated customer's version goes up by one: a page still showing the
    # customer as it was before the import saves against an old version and is refused.
    table = Customer.__table__
    # A new name takes its search key along (inserts get theirs from the column's default).
    keyed = ["name_search"] if "name" in fields else []
    db.session.execute(
        update(table).where(table.c.id == bindparam("customer_id"))
        .values(**{f: bindparam(f) for f in fields + keyed}, updated_at=bindparam("now"), version=table.c.version + 1),
        [{"customer_id": cid, **{f: getattr(r, f) for f in fields}, "now": now,
          **({"name_search": search_key(r.name)} if keyed else {})} for cid, r in rows.items()],
    )
    ids = list(rows)
    if layout.present("phones"):
        # Numbers the customer keeps keep their row (and label), as in update_customer.
        held = db.session.execute(
            select(PhoneNumber.id, PhoneNumber.customer_id, PhoneNumber.e164).where(PhoneNumber.customer_id.in_(ids))
        ).all()
        kept = {(cid, e164) for _, cid, e164 in held if e164 in rows[cid].phones}
        gone = [pid for pid, cid, e164 in held if (cid, e164) not in kept]
        new = [{"customer_id": cid, "e164": e, "created_at": now}
               for cid, r in rows.items() for e in r.phones if (cid, e) not in kept]
        if gone:
            db.session.execute(delete(PhoneNumber).where(PhoneNumber.id.in_(gone)))
        if new:
            db.session.execute(insert(PhoneNumber), new)
    with_prefs = [cid for cid, r in rows.items() if r.preferences]
    if not with_prefs:
        return
    held_prefs: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for pid, cid, key, value in db.session.execute(
        select(Preference.id, Preference.customer_id, Preference.key, Preference.value)
        .where(Preference.customer_id.in_(with_prefs)).order_by(Preference.id)
    ):
        held_prefs.setdefault((cid, key), []).append((pid, value))
    changed, added, removed = [], [], []
    for cid in with_prefs:
        wanted: dict[str, list[str]] = {}
        for key, value in rows[cid].preferences:
            wanted.setdefault(key, []).append(value)
        for key, values in wanted.items():
            old = held_prefs.get((cid, key), [])
            for (pid, old_value), value in zip(old, values):
                if old_value != value:
                    changed.append({"id": pid, "value": value, "updated_at": now})
            added += [{"customer_id": cid, "key": key, "value": v, "recorded_by_id": recorded_by_id,
                       "recorded_at": now} for v in values[len(old):]]
            removed += [pid for pid, _ in old[len(values):]]
    if changed:
        db.session.execute(update(Preference), changed)
    if removed:
        db.session.execute(delete(Preference).where(Preference.id.in_(removed)))
    if added:
        db.session.execute(insert(Preference), added)


def start_import_job(app: Flask, data: bytes, filename: str, *, dry_run: bool, created_by_id: int | None) -> ImportJob:
    """Queue an import of `data` and run it on a thread; the file's header is checked first.

    Progress lands on the ImportJob row after every batch, so any server process can report it.
    A job whose process dies stays `running`; nothing resumes it.
    """
    count_rows(inspect(data)[0])  # an unreadable file is refused now, not discovered by the thread
    job = ImportJob(filename=filename[:255], dry_run=dry_run, status="queued", created_by_id=created_by_id)
    db.session.add(job)
    db.session.commit()
    jobs.run(app, f"import-job-{job.id}", run_import_job, job.id, data)
    return job


def _set_job(job_id: int, **values) -> None:
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
    db.session.commit()


def _job_counts(report: ImportReport) -> dict:
    return {"processed_rows": report.processed_rows, "total_rows": report.total_rows, "created_count": report.created,
            "updated_count": report.updated, "refused_count": report.refused,
            "refused_csv": refused_csv(report) if report.refusals else None}


def run_import_job(job_id: int, data: bytes) -> None:
    """The body of an import job (`app.jobs` runs it in an app context); the job's row says how it ended."""
    try:
        job = db.session.get(ImportJob, job_id)
        dry_run, user_id, filename = job.dry_run, job.created_by_id, job.filename
        _set_job(job_id, status="running")
        report = import_customers(
            data, region=settings().calls.region, dry_run=dry_run, recorded_by_id=user_id,
            source=filename, progress=lambda done, total: _set_job(job_id, processed_rows=done, total_rows=total),
        )
        _set_job(job_id, status="done", finished_at=utcnow(), **_job_counts(report))
    except ImportStopped as exc:
        _set_job(job_id, status="failed", error=exc.message, finished_at=utcnow(), **_job_counts(exc.report))
    except CsvUnreadable as exc:
        _set_job(job_id, status="failed", error=exc.message, finished_at=utcnow())
    except Exception:
        log.exception("import job %s failed", job_id)
        db.session.rollback()
        _set_job(job_id, status="failed", error="the import failed unexpectedly; see the server log",
                 finished_at=utcnow())
    finally:
        db.session.remove()

"""The customer CSV of SPEC §9: read it, check every row, upsert in batches; write it back out.

Called by `flask import-customers` / `flask export-customers` (app/cli_customers.py) and by the
browser import (`/api/v1/imports`, which runs `run_import_job` on a thread). Both see progress
through the same callback, `progress(rows_processed, total_rows)`, called after every batch.

The format, as read:
- UTF-8 with or without BOM; bytes that are not UTF-8 are read as GB18030 (which covers GBK and
  GB2312, what Chinese spreadsheets export); anything else is refused before any row is touched.
- Header names are matched ignoring case, spaces, `-` and `_` (`External ID` is `external_id`,
  `Phone 2` is `phone2`); `name` is required. Unknown columns are ignored with one warning; the
  `line`, `column` and `reason` columns of a refused-rows report are ignored silently, so a fixed
  report imports as it is.
- Empty lines (and rows whose every cell is empty) are skipped, not refused.
- `preferences` is `key=value` pairs separated by `;`; a `\\` escapes `;`, `=` or itself, which is
  how an export writes values that contain them.

Upsert rules: a row with an `external_id` that exists updates that customer (name, email, tier and
phones replaced; preferences merged by key: the file's values for a key replace that key's values,
other keys are kept); without one it always creates. An `external_id` seen twice in one file is
applied in file order: the later row updates the customer the earlier row created. On update, a
column the file does not have leaves that field alone; an empty cell clears it (tier: standard).

Every batch is one transaction: customers, numbers and preferences of a batch commit together or
not at all. A database failure stops the import with `ImportStopped`; earlier batches stay.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from flask import Flask
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import TIERS, AuditEvent, Customer, ImportJob, PhoneNumber, Preference, utcnow
from app.services.customers import MAX_LENGTHS, normalize_phones
from app.services.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
EXPORT_BATCH_SIZE = 2000
# Columns a refused-rows report adds; ignored when that report is imported again.
REPORT_COLUMNS = ("line", "column", "reason")
FIELDS = ("name", "email", "tier", "external_id", "preferences")
_PHONE_HEADER = re.compile(r"phone(\d*)")
_HEADER_NOISE = re.compile(r"[\s_\-]+")

Progress = Callable[[int, int], None]


class CsvUnreadable(DomainError):
    """The file as a whole cannot be imported (encoding, header); no row was touched."""

    status = 422
    code = "unreadable_csv"


class ImportStopped(DomainError):
    """The database refused a batch; that batch was rolled back, earlier ones are kept."""

    status = 500
    code = "import_stopped"

    def __init__(self, message: str, report: "ImportReport"):
        super().__init__(message)
        self.report = report


@dataclass
class Refusal:
    line: int
    column: str
    reason: str
    cells: list[str]


@dataclass
class ImportReport:
    header: list[str]
    encoding: str
    total_rows: int
    dry_run: bool = False
    processed_rows: int = 0
    created: int = 0
    updated: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return len(self.refusals)

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, refused {self.refused}"


@dataclass
class Layout:
    """Where each field sits in the header; `phones` keeps the file's own column names."""

    header: list[str]
    columns: dict[str, int]
    phones: list[tuple[str, int]]
    ignored: list[str]

    def present(self, name: str) -> bool:
        """Whether the file has this field's column (phones: any phone column)."""
        return bool(self.phones) if name == "phones" else name in self.columns


@dataclass
class CustomerRow:
    line: int
    name: str
    email: str | None
    tier: str
    external_id: str | None
    phones: list[str]
    preferences: list[tuple[str, str]]


# --- reading -------------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read with; CsvUnreadable when neither fits."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        pass
    raise CsvUnreadable(
        f"the file is neither UTF-8 nor GB18030/GBK: byte 0x{data[utf8_error.start]:02x} at offset "
        f"{utf8_error.start} cannot be read; save it as CSV UTF-8 and try again"
    )


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for every record that is not blank.

    Strict: a quote left open would otherwise swallow the rest of the file into one cell.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as exc:
        raise CsvUnreadable(f"the record starting on line {line} has broken quoting ({exc}); "
                            "nothing was imported") from None


def header_key(name: str) -> str:
    return _HEADER_NOISE.sub("", name.strip().lower())


def read_layout(header: list[str]) -> Layout:
    """Map the header onto our fields; a missing `name` or a column given twice is refused."""
    columns: dict[str, int] = {}
    numbered: dict[int, tuple[str, int]] = {}
    ignored: list[str] = []
    wanted = {header_key(f): f for f in FIELDS}
    for index, raw in enumerate(header):
        key = header_key(raw)
        phone = _PHONE_HEADER.fullmatch(key)
        if key in wanted or phone:
            slot = wanted.get(key)
            number = int(phone.group(1) or 1) if phone else None
            if (slot in columns) if slot else (number in numbered):
                raise CsvUnreadable(f"the column {raw.strip()!r} appears twice in the header")
            if slot:
                columns[slot] = index
            else:
                numbered[number] = (raw.strip(), index)
        elif key and key not in REPORT_COLUMNS:
            ignored.append(raw.strip())
    if "name" not in columns:
        found = ", ".join(repr(h.strip()) for h in header if h.strip()) or "nothing"
        raise CsvUnreadable(f"the header has no 'name' column (found {found}); "
                            "the first line must name the columns: name, phone, phone2…, email, tier, "
                            "external_id, preferences")
    phones = [numbered[n] for n in sorted(numbered)]
    return Layout(list(header), columns, phones, ignored)


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _text(value: str, column: str, limit_key: str | None = None) -> str | None:
    """Trimmed text that fits its column (None when blank); InvalidInput names what is wrong."""
    value = value.strip()
    if not value:
        return None
    if "\x00" in value:
        raise InvalidInput("must not contain NUL characters", {column: ["NUL"]})
    limit = MAX_LENGTHS.get(limit_key or column)
    if limit and len(value) > limit:
        raise InvalidInput(f"at most {limit} characters (this one has {len(value)})", {column: ["too long"]})
    return value


def _email(value: str) -> str | None:
    # The rule of app.services.customers' own email check, so API and import agree.
    email = _text(value, "email")
    if email is not None and (email.count("@") != 1 or " " in email or email.startswith("@") or email.endswith("@")):
        raise InvalidInput(f"{email!r} is not an email address")
    return email


def parse_preferences(value: str) -> list[tuple[str, str]]:
    """`key=value;key2=value2` as pairs, in order; `\\` escapes `;`, `=` and itself."""
    pairs: list[tuple[str, str]] = []
    key: list[str] | None = None
    part: list[str] = []
    chars = iter(value)

    def finish() -> None:
        text = "".join(part)
        if key is None:
            if text.strip():
                raise InvalidInput(f"{text.strip()!r} is not key=value")
            return
        k = _text("".join(key), "preferences", "key")
        v = _text(text, "preferences", "value")
        if k is None or v is None:
            raise InvalidInput(f"{''.join(key).strip()}={text.strip()}: a preference needs a key and a value")
        pairs.append((k, v))

    for ch in chars:
        if ch == "\\":
            following = next(chars, "")
            part.append(following if following in ";=\\" else "\\" + following)
        elif ch == "=" and key is None:
            key, part = part, []
        elif ch == ";":
            finish()
            key, part = None, []
        else:
            part.append(ch)
    finish()
    return pairs


def check_row(layout: Layout, line: int, cells: list[str], region: str) -> CustomerRow | Refusal:
    """One record as a customer to write, or the refusal naming every column that is wrong."""
    problems: list[tuple[int, str]] = []  # (column index, reason)

    def read(field_name: str, reader, *args):
        index = layout.columns.get(field_name)
        try:
            return reader(_cell(cells, index), *args)
        except InvalidInput as exc:
            problems.append((index, exc.message))
            return None

    name = read("name", _text, "name")
    if name is None and not problems:
        problems.append((layout.columns["name"], "required"))
    email = read("email", _email)
    tier = read("tier", _tier)
    external_id = read("external_id", _text, "external_id")
    preferences = read("preferences", parse_preferences) or []
    phones: list[str] = []
    for _, index in layout.phones:
        raw = _cell(cells, index).strip()
        if not raw:
            continue
        try:
            e164 = normalize_phones([raw], region)[0]
        except InvalidInput as exc:
            problems.append((index, (exc.fields or {}).get("phones", [exc.message])[0]))
            continue
        if e164 not in phones:
            phones.append(e164)
    if problems:
        problems.sort(key=lambda problem: problem[0])
        return Refusal(line, "; ".join(layout.header[i].strip() for i, _ in problems),
                       "; ".join(reason for _, reason in problems), list(cells))
    return CustomerRow(line, name, email, tier or "standard", external_id, phones, preferences)


def _tier(value: str) -> str | None:
    tier = value.strip().lower()
    if tier and tier not in TIERS:
        raise InvalidInput(f"{value.strip()!r} is not one of {', '.join(TIERS)}")
    return tier or None


def inspect(data: bytes) -> tuple[str, Layout, str]:
    """Decode the file and read its header; CsvUnreadable before any row is touched."""
    text, encoding = decode(data)
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise CsvUnreadable("the file is empty: expected a header row naming the columns")
    return text, read_layout(first[1]), encoding


def count_rows(text: str) -> int:
    """How many records follow the header; reads the whole file, so broken quoting shows now."""
    return sum(1 for _ in _records(text)) - 1


# --- importing -----------------------------------------------------------------------------------

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
    records = _records(text)
    next(records)  # the header
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
        for line, cells in records:
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
            _audit("customers_imported", recorded_by_id, f"{source}: stopped after {report.summary()}")
        raise
    if progress and report.processed_rows % batch_size:
        progress(report.processed_rows, total)
    if extra_cells_line is not None:
        report.warnings.append(f"some rows have more cells than the header (first on line {extra_cells_line}); "
                               "the extra cells were ignored")
    if not dry_run:
        _audit("customers_imported", recorded_by_id, f"{source}: {report.summary()}")
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
    db.session.execute(update(Customer), [
        {"id": cid, **{f: getattr(r, f) for f in fields}, "updated_at": now} for cid, r in rows.items()
    ])
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


def _audit(action: str, user_id: int | None, detail: str) -> None:
    """Record a bulk read or write of customer data; failing to record it does not undo the work."""
    try:
        db.session.add(AuditEvent(action=action, user_id=user_id, detail=detail[:255]))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record the audit event %s (%s)", action, detail)


# --- the refused-rows report ---------------------------------------------------------------------

def refused_path(path: Path) -> Path:
    """`customers.csv` -> `customers.refused.csv`, beside it."""
    path = Path(path)
    stem = path.stem if path.suffix.lower() == ".csv" else path.name
    return path.with_name(f"{stem}.refused.csv")


def refused_csv(report: ImportReport) -> str:
    """The refused rows: the file's own columns, then line, column and reason (no BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    width = len(report.header)
    writer.writerow([*report.header, *REPORT_COLUMNS])
    for refusal in report.refusals:
        cells = (refusal.cells + [""] * width)[:width]
        writer.writerow([*cells, refusal.line, refusal.column, refusal.reason])
    return out.getvalue()


def write_refused(path: Path, report: ImportReport) -> Path:
    """Write the report next to the input, in UTF-8 with a BOM so Excel reads it right."""
    target = refused_path(path)
    target.write_text(refused_csv(report), encoding="utf-8-sig", newline="")
    return target


# --- exporting -----------------------------------------------------------------------------------

def _escape(text: str, specials: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in specials:
        text = text.replace(ch, "\\" + ch)
    return text


def format_preferences(pairs: list[tuple[str, str]]) -> str:
    return ";".join(f"{_escape(k, ';=')}={_escape(v, ';')}" for k, v in pairs)


def export_customers(path: Path, *, batch_size: int = EXPORT_BATCH_SIZE, progress: Progress | None = None,
                     exported_by_id: int | None = None) -> int:
    """Every customer in the import format, written in batches; returns how many were written."""
    per_customer = select(func.count().label("n")).select_from(PhoneNumber).group_by(PhoneNumber.customer_id).subquery()
    width = max(1, db.session.scalar(select(func.max(per_customer.c.n))) or 0)
    header = ["name", "phone", *(f"phone{i}" for i in range(2, width + 1)), "email", "tier", "external_id",
              "preferences"]
    total = db.session.scalar(select(func.count(Customer.id))) or 0
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    written, last_id = 0, 0
    with partial.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        if progress:
            progress(0, total)
        while True:
            customers = db.session.execute(
                select(Customer.id, Customer.name, Customer.email, Customer.tier, Customer.external_id)
                .where(Customer.id > last_id).order_by(Customer.id).limit(batch_size)
            ).all()
            if not customers:
                break
            ids = [c.id for c in customers]
            phones: dict[int, list[str]] = {}
            for cid, e164 in db.session.execute(select(PhoneNumber.customer_id, PhoneNumber.e164)
                                                .where(PhoneNumber.customer_id.in_(ids)).order_by(PhoneNumber.id)):
                phones.setdefault(cid, []).append(e164)
            prefs: dict[int, list[tuple[str, str]]] = {}
            for cid, key, value in db.session.execute(
                select(Preference.customer_id, Preference.key, Preference.value)
                .where(Preference.customer_id.in_(ids)).order_by(Preference.id)
            ):
                prefs.setdefault(cid, []).append((key, value))
            for c in customers:
                numbers = phones.get(c.id, [])
                writer.writerow([c.name, *numbers, *[""] * (width - len(numbers)), c.email or "", c.tier,
                                 c.external_id or "", format_preferences(prefs.get(c.id, []))])
            written += len(customers)
            last_id = ids[-1]
            if progress:
                progress(written, total)
    os.replace(partial, path)
    _audit("customers_exported", exported_by_id, f"{path.name}: {written} customers")
    return written


# --- browser imports -----------------------------------------------------------------------------

def start_import_job(app: Flask, data: bytes, filename: str, *, dry_run: bool, created_by_id: int | None) -> ImportJob:
    """Queue an import of `data` and run it on a thread; the file's header is checked first.

    Progress lands on the ImportJob row after every batch, so any server process can report it.
    A job whose process dies stays `running`; nothing resumes it.
    """
    count_rows(inspect(data)[0])  # an unreadable file is refused now, not discovered by the thread
    job = ImportJob(filename=filename[:255], dry_run=dry_run, status="queued", created_by_id=created_by_id)
    db.session.add(job)
    db.session.commit()
    thread = threading.Thread(target=run_import_job, args=(app, job.id, data), name=f"import-job-{job.id}",
                              daemon=True)
    thread.start()
    return job


def _set_job(job_id: int, **values) -> None:
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
    db.session.commit()


def _job_counts(report: ImportReport) -> dict:
    return {"processed_rows": report.processed_rows, "total_rows": report.total_rows, "created_count": report.created,
            "updated_count": report.updated, "refused_count": report.refused,
            "refused_csv": refused_csv(report) if report.refusals else None}


def run_import_job(app: Flask, job_id: int, data: bytes) -> None:
    """The body of an import job's thread: runs the import in its own app context."""
    with app.app_context():
        try:
            job = db.session.get(ImportJob, job_id)
            dry_run, user_id, filename = job.dry_run, job.created_by_id, job.filename
            _set_job(job_id, status="running")
            report = import_customers(
                data, region=app.config["DEFAULT_REGION"], dry_run=dry_run, recorded_by_id=user_id,
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

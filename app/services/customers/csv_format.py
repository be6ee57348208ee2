"""The customer CSV of SPEC §9: read it, check every row, upsert in batches; write it back out.

Called by `flask import-customers` / `flask export-customers` (app/cli_customers.py) and by the
browser import (`/api/v1/imports`, which runs `run_import_job` as a background job of `app.jobs`).
Both see progress through the same callback, `progress(rows_processed, total_rows)`, called after
every batch.

The format, as read:
- UTF-8 with or without BOM (or UTF-16 with a BOM); a file that is not UTF-8 is read as GB18030
  (which covers GBK and GB2312, what Chinese spreadsheets export) or as Windows-1252 (Western
  spreadsheets; it covers Latin-1's letters), as charset-normalizer judges from the whole file;
  a file it cannot tell, or that is neither, is refused before any row is touched.
- Header names are matched ignoring case, spaces, `-` and `_` (`External ID` is `external_id`,
  `Phone 2` is `phone2`); `name` is required. Unknown columns are ignored with one warning; the
  `line`, `column` and `reason` columns of a refused-rows report are ignored silently, so a fixed
  report imports as it is.
- Empty lines (and rows whose every cell is empty) are skipped, not refused.
- `preferences` is `key=value` pairs separated by `;`; a `\\` escapes `;`, `=` or itself, which is
  how an export writes values that contain them.

Importing (upserts, batches, browser jobs) is in `app/services/customers/importing.py`.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from charset_normalizer import from_bytes
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import TIERS, AuditEvent, Customer, PhoneNumber, Preference
from app.services import validation
from app.services.customers.records import normalize_phones
from app.services.errors import DomainError, InvalidInput
from app.services.validation import MAX_LENGTHS

log = logging.getLogger(__name__)

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

# What a file that is not UTF-8 may be, as charset-normalizer names it and as people know it:
# Chinese spreadsheets (GB18030 covers GBK and GB2312), and Western ones (Windows-1252 covers
# Latin-1's letters, and is what Excel on Windows saves as "CSV").
LEGACY_ENCODINGS = {"gb18030": "GB18030", "cp1252": "Windows-1252"}
# How much less chaotic (charset-normalizer's mess ratio) the best reading must be than the next
# before we trust it; closer than this, we refuse rather than guess.
CLEAR_MARGIN = 0.05
RESAVE = "save it as CSV UTF-8 (in Excel: Save As, then 'CSV UTF-8 (Comma delimited)') and try again"


# The first bytes of files people pick by mistake instead of a CSV.
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx or OpenDocument .ods workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls (or other Office) file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)


def _binary_kind(data: bytes) -> str | None:
    """What a file that is not text is ("a PDF document"), or None when it may be text."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    head = data[:4096]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if b"\x00" in head:  # no text encoding we read puts NUL bytes in a file
        return "a binary file"
    return None


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read with; CsvUnreadable when it can't tell.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such. Anything else is either
    GB18030 or Windows-1252, as a maintained detector (charset-normalizer) judges from the whole
    file: byte for byte, a Western "María" is also valid GB18030 ("Mar韆"), so trying one codec
    after the other would silently turn names into nonsense.
    """
    kind = _binary_kind(data)
    if kind is not None:
        raise CsvUnreadable(f"this is {kind}, not a CSV file: in your spreadsheet, use Save As… or "
                            "Download → CSV (comma-separated values, UTF-8), and import that file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    readings = sorted(from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)), key=lambda match: match.chaos)
    if not readings:
        raise CsvUnreadable(
            f"the file is not UTF-8, GB18030/GBK or Windows-1252/Latin-1: byte 0x{data[utf8_error.start]:02x} "
            f"at offset {utf8_error.start} cannot be read; {RESAVE}")
    best = readings[0]
    guess = LEGACY_ENCODINGS[best.encoding]
    if len(readings) > 1 and readings[1].chaos - best.chaos < CLEAR_MARGIN:
        other = LEGACY_ENCODINGS[readings[1].encoding]
        raise CsvUnreadable(
            f"the file is not UTF-8, and it reads as {guess} as well as {other}: the best guess is {guess}, "
            f"but a wrong guess would garble every name; {RESAVE}")
    return data.decode(best.encoding), guess


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
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
    # The one rule (app.services.validation), so the import never keeps what a form refuses.
    email = _text(value, "email")
    problem = validation.email_problem(email) if email is not None else None
    if problem:
        raise InvalidInput(problem)
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
    rows = csv_records(text)
    first = next(rows, None)
    if first is None:
        raise CsvUnreadable("the file is empty: expected a header row naming the columns")
    return text, read_layout(first[1]), encoding


def count_rows(text: str) -> int:
    """How many records follow the header; reads the whole file, so broken quoting shows now."""
    return sum(1 for _ in csv_records(text)) - 1


# --- importing -----------------------------------------------------------------------------------

def record_audit(action: str, user_id: int | None, detail: str) -> None:
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
    record_audit("customers_exported", exported_by_id, f"{path.name}: {written} customers")
    return written


# --- browser imports -----------------------------------------------------------------------------

"""The customer CSV (SPEC §9): `flask import-customers`, `flask export-customers` and the browser import.

Files are built here the way real exports arrive: mixed number formats, `00` prefixes, blank lines,
stray columns, CRLF, a BOM, GBK from a Chinese spreadsheet. Timing belongs to scripts/bench_import.py.
"""
from __future__ import annotations

import csv
import io
import time

import pytest
from sqlalchemy import func, select, text

from app import cli_customers
from app.extensions import db
from app.models import AuditEvent, Customer, ImportJob, PhoneNumber, Preference
from app.services.customers import importing as customer_import
from app.services.customers import records as customers
from tests.factories import make_customer


@pytest.fixture
def cli(app):
    """The CLI runner, with the CSV commands registered if app/cli.py does not do it yet."""
    if "import-customers" not in app.cli.commands:
        cli_customers.register(app)
    return app.test_cli_runner()


def write(path, lines: list[str], *, encoding: str = "utf-8", newline: str = "\n"):
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def run_import(cli, path, *options):
    result = cli.invoke(args=["import-customers", str(path), *options])
    return result, result.output.strip().splitlines()


def refused_rows(path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the refused report is UTF-8 with a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def snapshot() -> list[tuple]:
    """Everything the CSV carries about every customer, without database ids."""
    db.session.expire_all()
    rows = []
    for c in db.session.scalars(select(Customer).order_by(Customer.id)):
        rows.append((c.name, tuple(p.e164 for p in c.phones), c.email, c.tier, c.external_id,
                     tuple((p.key, p.value) for p in c.preferences)))
    return rows


def by_name(name: str) -> Customer:
    db.session.expire_all()
    return db.session.scalars(select(Customer).where(Customer.name == name)).one()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


MESSY = [
    "Name , PHONE,Phone 2,phone3,E-Mail,Tier,External ID,Preferences,Notes",                            # 1
    "Alice Wong,(415) 555-0100,415.555.0101,,alice@example.com,VIP,C-001,milk=high-calcium;callback=evening,fair",
    "",                                                                                                # 3
    "Bob Stone,0044 20 7946 0958,+44 (0)20 7946 0958,,bob@example.co.uk,gold,C-002,,",                 # 4
    "Carol King,12345,,,carol@example.com,,C-003,,",                                                   # 5
    ",415 555 0102,,,,,,,",                                                                            # 6
    "Dan Brown,+1 415 555 0103,call me,,dan@,platinum,C-004,,",                                        # 7
    ",,,,,,,,",                                                                                        # 8
    "Eve Adams,00 86 138 0013 8000,,,,silver,,language=Mandarin;;,",                                   # 9
    "Alice Wong-Li,+1 (415) 555-0100,,,alice@example.com,vip,C-001,milk=skim,",                        # 10
    "Frank Ocean,4155550104,,,,standard,C-005,vip,",                                                   # 11
    "Gina Tan,+1 415 555 0105,,,,gold,,,stray,extra",                                                  # 12
    "Eve Adams,00 86 138 0013 8000,,,,silver,,,",                                                      # 13
    'Hank Hill,+1 415 555 0106,,,,,C-006,"note=after 5pm;',                                            # 14
    'gate=1234",',                                                                                     # 15
    "Ivy,999,,,,,,,",                                                                                  # 16
]


def test_messy_file_imports_every_good_row_and_reports_the_rest(app_ctx, cli, tmp_path):
    path = write(tmp_path / "customers.csv", MESSY, newline="\r\n")

    result, lines = run_import(cli, path)

    assert result.exit_code == 0, result.output
    assert lines[-1] == "created 6, updated 1, refused 5"
    assert f"refused rows written to {tmp_path / 'customers.refused.csv'}" in lines
    warnings = [line for line in lines if line.startswith("warning:")]
    assert warnings == ["warning: ignored unknown columns: Notes",
                        "warning: some rows have more cells than the header (first on line 12); "
                        "the extra cells were ignored"]

    alice = by_name("Alice Wong-Li")  # line 10 updated the customer line 2 created
    assert [p.e164 for p in alice.phones] == ["+14155550100"]
    assert (alice.tier, alice.external_id, alice.email) == ("vip", "C-001", "alice@example.com")
    assert {(p.key, p.value) for p in alice.preferences} == {("milk", "skim"), ("callback", "evening")}
    assert [p.e164 for p in by_name("Bob Stone").phones] == ["+442079460958"]
    eves = db.session.scalars(select(Customer).where(Customer.name == "Eve Adams")).all()
    assert len(eves) == 2 and all(e.phones[0].e164 == "+8613800138000" for e in eves)
    assert [(p.key, p.value) for p in eves[0].preferences] == [("language", "Mandarin")]
    assert by_name("Gina Tan").tier == "gold"
    assert {(p.key, p.value) for p in by_name("Hank Hill").preferences} == {("note", "after 5pm"), ("gate", "1234")}
    assert count(Customer) == 6
    assert db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "customers_imported")).all() == [
        "customers.csv: created 6, updated 1, refused 5"]

    report = refused_rows(tmp_path / "customers.refused.csv")
    assert list(report[0]) == ["Name ", " PHONE", "Phone 2", "phone3", "E-Mail", "Tier", "External ID",
                               "Preferences", "Notes", "line", "column", "reason"]
    got = [(r["line"], r["column"], r["reason"]) for r in report]
    assert got == [
        ("5", "PHONE", "'12345' is not a valid phone number (region US)"),
        ("6", "Name", "required"),
        ("7", "Phone 2; E-Mail; Tier", "'call me' is not a valid phone number (region US); 'dan@' is not an email "
                                       "address (name@example.com); 'platinum' is not one of standard, silver, gold, vip"),
        ("11", "Preferences", "'vip' is not key=value"),
        ("16", "PHONE", "'999' is not a valid phone number (region US)"),
    ]
    assert report[0]["Name "] == "Carol King" and report[0]["External ID"] == "C-003"


def test_gbk_file_from_a_chinese_spreadsheet_keeps_its_names(app_ctx, cli, tmp_path):
    path = write(tmp_path / "客户.csv", [
        "name,phone,tier,external_id,preferences",
        "王小明,+86 138 0013 8000,vip,CN-1,语言=普通话",
        "黄美玲,0086 139 0013 9000,,CN-2,",
    ], encoding="gbk", newline="\r\n")

    result, lines = run_import(cli, path)

    assert result.exit_code == 0, result.output
    assert f"read {path} as GB18030" in lines
    assert lines[-1] == "created 2, updated 0, refused 0"
    wang = by_name("王小明")
    assert [p.e164 for p in wang.phones] == ["+8613800138000"]
    assert [(p.key, p.value) for p in wang.preferences] == [("语言", "普通话")]
    assert [p.e164 for p in by_name("黄美玲").phones] == ["+8613900139000"]


def test_utf8_with_bom_and_crlf_reads_the_first_column_as_name(app_ctx, cli, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "name,phone\r\nZoë Müller,+49 30 901820\r\n\r\n".encode())

    result, lines = run_import(cli, path)

    assert result.exit_code == 0, result.output
    assert lines[-1] == "created 1, updated 0, refused 0"
    assert [p.e164 for p in by_name("Zoë Müller").phones] == ["+4930901820"]


def test_a_western_windows_file_keeps_its_accents_instead_of_turning_chinese(app_ctx, cli, tmp_path):
    """Byte for byte, Windows-1252's "María" is valid GB18030 ("Mar韆"): read one codec after
    the other, a Western file imported as silent nonsense."""
    path = write(tmp_path / "clientes.csv", [
        "name,phone,email,preferences",
        "María García,+34 600 000 001,maria@example.es,idioma=español",
        "François Müller,+33 6 00 00 00 01,,",
        "René Ångström,+46 70 000 00 01,,budget=€20",
    ], encoding="cp1252", newline="\r\n")

    result, lines = run_import(cli, path)

    assert result.exit_code == 0, result.output
    assert f"read {path} as Windows-1252" in lines
    assert lines[-1] == "created 3, updated 0, refused 0"
    assert [(p.key, p.value) for p in by_name("María García").preferences] == [("idioma", "español")]
    assert by_name("François Müller") and by_name("René Ångström")
    assert [(p.key, p.value) for p in by_name("René Ångström").preferences] == [("budget", "€20")]


def test_a_latin1_file_is_read_as_windows_1252(app_ctx, cli, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,phone\nAlice,+14155550100\nRené,+14155550101\n".encode("latin-1"))

    result, lines = run_import(cli, path)

    assert result.exit_code == 0, result.output
    assert lines[-1] == "created 2, updated 0, refused 0"
    assert by_name("René").phones[0].e164 == "+14155550101"


def test_a_file_that_reads_two_ways_is_refused_naming_the_guess_and_how_to_resave(app_ctx, cli, tmp_path):
    path = tmp_path / "short.csv"
    path.write_bytes("name\n王\n".encode("gbk"))  # also "Íõ" in Windows-1252

    result, _ = run_import(cli, path)

    assert result.exit_code != 0
    assert "best guess is GB18030" in result.output and "Windows-1252" in result.output
    assert "CSV UTF-8" in result.output
    assert count(Customer) == 0


def test_a_file_in_no_encoding_we_read_is_refused_before_any_row(app_ctx, cli, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"name,phone\nAl\x81\x0aice,+14155550100\n")  # 0x81: no letter in either

    result, _ = run_import(cli, path)

    assert result.exit_code != 0
    assert "not UTF-8, GB18030/GBK or Windows-1252" in result.output and "CSV UTF-8" in result.output
    assert count(Customer) == 0


def test_a_file_without_a_name_column_is_refused_before_any_row(app_ctx, cli, tmp_path):
    path = write(tmp_path / "noname.csv", ["full name,phone", "Alice Wong,+14155550100"])

    result, _ = run_import(cli, path)

    assert result.exit_code != 0
    assert "no 'name' column" in result.output and "'full name'" in result.output
    assert count(Customer) == 0
    assert not (tmp_path / "noname.refused.csv").exists()


def test_a_quote_left_open_is_refused_before_any_row(app_ctx, cli, tmp_path):
    path = write(tmp_path / "quotes.csv", ["name,phone", "Alice,+14155550100", '"Bob,+14155550101', "Carol,"])

    result, _ = run_import(cli, path)

    assert result.exit_code != 0 and "the record starting on line 3 has broken quoting" in result.output
    assert count(Customer) == 0


def test_a_missing_file_is_an_error(cli, tmp_path):
    result, _ = run_import(cli, tmp_path / "nope.csv")
    assert result.exit_code != 0 and "cannot read" in result.output


def test_external_id_updates_the_customer_and_merges_preferences_by_key(app_ctx, cli, tmp_path):
    existing = make_customer("Alice Wong", phones=("+14155550100", "+14155550101"), tier="gold",
                             email="alice@example.com", external_id="C-1",
                             preferences={"milk": "whole", "callback": "evening"})
    db.session.add(Preference(customer=existing, key="note", value="first"))
    db.session.add(Preference(customer=existing, key="note", value="second"))
    db.session.commit()
    customer_id = existing.id
    # No email or tier column: an update leaves those fields alone.
    path = write(tmp_path / "update.csv", [
        "name,phone,phone2,external_id,preferences",
        "Alice Wong-Li,+1 415 555 0100,+1 415 555 0199,C-1,milk=skim;note=only",
        "New Person,+1 415 555 0150,,C-2,",
    ])

    result, lines = run_import(cli, path)

    assert result.exit_code == 0, result.output
    assert lines[-1] == "created 1, updated 1, refused 0"
    alice = db.session.get(Customer, customer_id)
    db.session.refresh(alice)
    assert alice.name == "Alice Wong-Li"
    assert [(p.e164, p.label) for p in alice.phones] == [("+14155550100", "mobile"), ("+14155550199", None)]
    assert (alice.email, alice.tier) == ("alice@example.com", "gold")
    assert sorted((p.key, p.value) for p in alice.preferences) == [
        ("callback", "evening"), ("milk", "skim"), ("note", "only")]
    assert count(Customer) == 2


def test_an_external_id_twice_in_one_file_updates_what_the_first_row_created(app_ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(customer_import, "BATCH_SIZE", 2)  # the repeats land in the same and in later batches
    data = "\n".join([
        "name,phone,external_id,preferences",
        "First,+14155550100,X-1,a=1",
        "Second,+14155550101,X-1,b=2",
        "Other,+14155550102,Y-1,",
        "Third,+14155550103,X-1,a=3",
    ]).encode()

    report = customer_import.import_customers(data, region="US")

    assert (report.created, report.updated, report.refused) == (2, 2, 0)
    x = db.session.scalars(select(Customer).where(Customer.external_id == "X-1")).one()
    assert x.name == "Third" and [p.e164 for p in x.phones] == ["+14155550103"]
    assert sorted((p.key, p.value) for p in x.preferences) == [("a", "3"), ("b", "2")]


def test_dry_run_reports_what_would_happen_and_writes_nothing(app_ctx, cli, tmp_path, monkeypatch):
    monkeypatch.setattr(customer_import, "BATCH_SIZE", 3)
    make_customer("Alice Wong", external_id="C-001", preferences={"milk": "whole"})
    before, audits = snapshot(), count(AuditEvent)
    path = write(tmp_path / "customers.csv", MESSY)

    dry, dry_lines = run_import(cli, path, "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing was written to the database" in dry_lines
    assert snapshot() == before and count(AuditEvent) == audits and count(PhoneNumber) == 1
    real, real_lines = run_import(cli, path)
    assert dry_lines[-1] == real_lines[-1] == "created 5, updated 2, refused 5"


def test_progress_is_reported_after_every_batch(app_ctx, monkeypatch):
    monkeypatch.setattr(customer_import, "BATCH_SIZE", 2)
    data = "\n".join(["name,phone"] + [f"P{i},+1415555010{i}" for i in range(5)]).encode()
    seen = []

    customer_import.import_customers(data, region="US", progress=lambda done, total: seen.append((done, total)))

    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]


@pytest.fixture
def unique_numbers(app_ctx):
    """A real constraint the app does not have: one customer per number. Dropped afterwards."""
    db.session.execute(text("CREATE UNIQUE INDEX uq_test_one_customer_per_number ON phone_numbers (e164)"))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(text("DROP INDEX uq_test_one_customer_per_number"))
    db.session.commit()


def test_a_database_failure_in_batch_7_leaves_no_customer_of_that_batch(app_ctx, cli, tmp_path, monkeypatch,
                                                                     unique_numbers):
    monkeypatch.setattr(customer_import, "BATCH_SIZE", 10)
    lines = ["name,phone,phone2,preferences"]
    for i in range(1, 81):
        lines.append(f"Customer {i},+1415555{i:04d},+1415666{i:04d},row={i}")
    lines[66] = "Customer 66,+14155550065,+14156660066,row=66"  # line 67: reuses line 66's number
    path = write(tmp_path / "big.csv", lines)

    result, out = run_import(cli, path)

    assert result.exit_code == 1
    assert "the database refused the batch of lines 62-71" in result.output
    assert "lines before 62 were imported (created 60, updated 0, refused 0)" in result.output
    names = set(db.session.scalars(select(Customer.name)))
    assert names == {f"Customer {i}" for i in range(1, 61)}
    assert count(PhoneNumber) == 120 and count(Preference) == 60
    batch_7_numbers = [f"+1415555{i:04d}" for i in range(61, 71)] + [f"+1415666{i:04d}" for i in range(61, 71)]
    assert db.session.scalar(select(func.count()).where(PhoneNumber.e164.in_(batch_7_numbers))) == 0


def test_export_then_import_into_an_empty_database_gives_the_same_customers(app_ctx, cli, tmp_path):
    customers.create_customer("Zoë O'Brien, \"Jr\"", ["+1 415 555 0100", "020 7946 0958"], region="GB",
                              email="zoe@example.com", tier="gold", external_id="Z-1",
                              preferences=[("milk", "high-calcium"), ("note", "a;b=c\\d"), ("note", "second"),
                                           ("k=ey", "v")])
    customers.create_customer("王小明", ["+86 138 0013 8000", "+86 139 0013 9000", "+86 137 0013 7000"],
                              region="US", tier="vip", external_id="CN-1", preferences=[("语言", "普通话")])
    customers.create_customer("No Phone", [], region="US", email="nophone@example.com")
    customers.create_customer("Two Lines", ["+14155550199"], region="US", preferences=[("gate", "line 1\nline 2")])
    original = snapshot()
    first, second = tmp_path / "export.csv", tmp_path / "again.csv"

    exported = cli.invoke(args=["export-customers", str(first)])

    assert exported.exit_code == 0, exported.output
    assert exported.output.strip().splitlines()[-1] == f"exported 4 customers to {first}"
    raw = first.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == "name,phone,phone2,phone3,email,tier,external_id,preferences"

    db.session.execute(Customer.__table__.delete())
    db.session.commit()
    result, lines = run_import(cli, first)
    assert result.exit_code == 0, result.output
    assert lines[-1] == "created 4, updated 0, refused 0"
    assert snapshot() == original
    assert cli.invoke(args=["export-customers", str(second)]).exit_code == 0
    assert second.read_bytes() == raw


# --- the browser import --------------------------------------------------------------------------

@pytest.fixture
def admin(api_as):
    """An admin (admin1), who may import, speaking to the API."""
    return api_as("admin")


def upload(api, data: bytes, filename: str = "clients.csv", **form):
    return api.post("/api/v1/imports", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(data), filename), **form})


def wait_for(api, job_id: int, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/api/v1/imports/{job_id}")
        assert job.status_code == 200, job.get_data(as_text=True)
        if job.json["status"] in ("done", "failed"):
            return job.json
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} still {job.json['status']} after {timeout}s")


CLIENTS = "\r\n".join([
    "name,phone,email,external_id", "Alice Wong,(415) 555-0100,alice@example.com,C-1", "Bob,12,,C-2",
    "Carol,0044 20 7946 0958,,C-3", "",
]).encode("utf-8-sig")


def test_admin_uploads_a_file_polls_it_to_done_and_downloads_the_refused_rows(admin):
    started = upload(admin, CLIENTS)

    assert started.status_code == 202, started.get_data(as_text=True)
    assert set(started.json) == {"id", "status", "filename", "dry_run", "total_rows", "processed_rows", "created",
                                 "updated", "refused", "error", "created_at", "finished_at"}
    assert started.json["filename"] == "clients.csv" and started.json["dry_run"] is False
    assert started.headers["Location"].endswith(f"/api/v1/imports/{started.json['id']}")
    job = wait_for(admin, started.json["id"])
    assert job["status"] == "done" and job["error"] is None and job["finished_at"].endswith("Z")
    assert (job["total_rows"], job["processed_rows"]) == (3, 3)
    assert (job["created"], job["updated"], job["refused"]) == (2, 0, 1)
    assert sorted(db.session.scalars(select(Customer.name))) == ["Alice Wong", "Carol"]

    refused = admin.get(f"/api/v1/imports/{job['id']}/refused.csv")
    assert refused.status_code == 200 and refused.mimetype == "text/csv"
    assert 'filename=clients.refused.csv' in refused.headers["Content-Disposition"]
    assert refused.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(refused.data.decode("utf-8-sig"))))
    assert [(r["name"], r["line"], r["column"], r["reason"]) for r in rows] == [
        ("Bob", "3", "phone", "'12' is not a valid phone number (region US)")]


def test_a_dry_run_upload_counts_and_writes_nothing(admin):
    started = upload(admin, CLIENTS, dry_run="true")

    job = wait_for(admin, started.json["id"])

    assert job["dry_run"] is True and job["status"] == "done"
    assert (job["created"], job["refused"]) == (2, 1)
    assert count(Customer) == 0


def test_an_import_stopped_by_the_database_is_failed_with_the_reason(admin, unique_numbers):
    data = "name,phone\nAlice,+14155550100\nBob,+14155550100\n".encode()

    job = wait_for(admin, upload(admin, data).json["id"])

    assert job["status"] == "failed" and "the database refused the batch of lines 2-3" in job["error"]
    assert count(Customer) == 0


def test_refused_csv_is_404_when_nothing_was_refused(admin):
    data = b"name,phone\nAlice,+14155550100\n"
    job = wait_for(admin, upload(admin, data).json["id"])

    assert admin.get(f"/api/v1/imports/{job['id']}/refused.csv").status_code == 404
    assert admin.get("/api/v1/imports/999999").json["error"]["code"] == "not_found"


def test_an_unreadable_file_is_refused_at_upload(admin):
    response = upload(admin, b"full name,phone\nAlice,+14155550100\n")

    assert response.status_code == 422
    assert "no 'name' column" in response.json["error"]["message"]
    assert count(ImportJob) == 0


def test_the_browser_import_refuses_a_file_it_cannot_tell_with_the_same_words(admin):
    response = upload(admin, "name\n王\n".encode("gbk"))

    assert response.status_code == 422
    message = response.json["error"]["message"]
    assert "best guess is GB18030" in message and "CSV UTF-8" in message
    assert count(ImportJob) == 0


def test_an_upload_without_a_file_is_invalid(admin):
    response = admin.post("/api/v1/imports", content_type="multipart/form-data", data={})
    assert response.status_code == 422 and "file" in response.json["error"]["fields"]


@pytest.mark.app_config(IMPORT_MAX_BYTES=1024)
def test_a_too_large_upload_is_413_json(admin):
    response = upload(admin, b"name\n" + b"x" * 4096 + b"\n")

    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"
    assert count(ImportJob) == 0


def test_agents_and_supervisors_cannot_import(api_as):
    for role in ("agent", "supervisor"):
        api = api_as(role)
        assert upload(api, CLIENTS).status_code == 403
        assert api.get("/api/v1/imports/1").status_code == 403
    assert count(ImportJob) == 0


def test_the_import_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/imports", "/api/v1/imports/{job_id}", "/api/v1/imports/{job_id}/refused.csv"} <= set(paths)


@pytest.mark.parametrize("data, kind", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
    (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "a ZIP archive (an Excel .xlsx"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "a PDF document"),
    (b"name,phone\x00\x00\x00\x01\x02", "a binary file"),
])
def test_a_file_that_is_not_text_is_named_for_what_it_is(admin, data, kind):
    response = upload(admin, data)
    assert response.status_code == 422
    message = response.json["error"]["message"]
    assert message.startswith(f"this is {kind}") and "CSV" in message and "found" not in message
    assert count(ImportJob) == 0


@pytest.mark.parametrize("address", ["bob@example", "bob@.com", "bob@example.", "bob smith@example.com", "@x.com"])
def test_the_import_and_the_api_refuse_the_same_email_addresses(app_ctx, cli, tmp_path, api_as, address):
    path = write(tmp_path / "emails.csv", ["name,phone,email", f"Bob Ray,+14155550100,{address}"])
    result, _ = run_import(cli, path)
    assert "refused 1" in result.output and count(Customer) == 0
    refused = api_as("agent").post("/api/v1/customers", json={"name": "Bob Ray", "email": address})
    assert refused.status_code == 422 and "email" in refused.json["error"]["fields"]
    assert refused.json["error"]["fields"]["email"] == [f"{address!r} is not an email address (name@example.com)"]

"""flask commands for the customer CSV (SPEC §9): `import-customers` and `export-customers`.

Thin shells around `app.services.customers.csv_format` and `importing`: they read options, show a progress bar, and print
the report. `import-customers` ends with `created N, updated N, refused N` as its last line; it
exits 0 even when rows were refused, and non-zero only when the file cannot be read at all (or the
database stopped the import halfway, which it says).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from app.services.customers import csv_format as customer_csv
from app.services.customers import importing as customer_import
from app.settings import settings


def register(app: Flask) -> None:
    app.cli.add_command(import_customers)
    app.cli.add_command(export_customers)


class _Bar:
    """A click progress bar opened on the first report, when the total is known; on stderr."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("import-customers")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing to the database.")
@with_appcontext
def import_customers(file: Path, dry_run: bool) -> None:
    """Create or update customers from FILE.csv (name, phone, phone2…, email, tier, external_id,
    preferences); rows are upserted by external_id. Refused rows go to FILE.refused.csv."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from None
    bar = _Bar("dry run" if dry_run else "importing")
    try:
        report = customer_import.import_customers(
            data, region=settings().calls.region, dry_run=dry_run, progress=bar, source=file.name,
        )
        stopped = None
    except customer_csv.CsvUnreadable as exc:
        bar.close()
        raise click.ClickException(f"{file}: {exc.message}") from None
    except customer_import.ImportStopped as exc:
        report, stopped = exc.report, exc
    bar.close()

    if report.encoding != "UTF-8":
        click.echo(f"read {file} as {report.encoding}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    target = customer_csv.refused_path(file)
    if report.refusals:
        customer_csv.write_refused(file, report)
        click.echo(f"refused rows written to {target}")
    elif target.exists():
        target.unlink()  # a report from an earlier run would describe rows that are now fine
        click.echo(f"removed the earlier report {target}: no row was refused")
    if dry_run:
        click.echo("dry run: nothing was written to the database")
    if stopped is not None:
        click.echo(f"stopped: {stopped.message}", err=True)
    click.echo(report.summary())
    if stopped is not None:
        raise SystemExit(1)


@click.command("export-customers")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_customers(file: Path) -> None:
    """Write every customer to FILE.csv in the format import-customers reads (UTF-8 with BOM)."""
    bar = _Bar("exporting")
    try:
        written = customer_csv.export_customers(file, progress=bar)
    except OSError as exc:
        raise click.ClickException(f"cannot write {file}: {exc.strerror or exc}") from None
    finally:
        bar.close()
    click.echo(f"exported {written} customers to {file}")

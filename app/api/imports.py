"""`/api/v1/imports`: the customer CSV import from the browser, for admins only.

Upload a file and get a job back at once (202); the import runs on a thread of this process and
writes its progress to the job's row after every batch, so any server process answers the polls.
The work itself is `app.services.customers.importing`, the same code as `flask import-customers`.
"""
from __future__ import annotations

import io
from pathlib import PurePosixPath

from flask import current_app, request, send_file, url_for
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from app.api import guard
from app.api.guard import api_user
from app.errors import error_response
from app.extensions import db
from app.models import ImportJob
from app.schemas.common import Timestamp
from app.services.customers import importing as customer_import
from app.services.errors import NotFound
from app.services.people import roles
from app.settings import settings

bp = Blueprint(
    "api_imports", __name__, url_prefix="/api/v1/imports",
    description="Customer CSV imports (SPEC §9) from the browser; admins only.",
)


def _max_bytes() -> int:
    return settings().customers.import_max_bytes


def require_admin():
    if not roles.has_role(api_user(), "admin"):
        return error_response(403, "only administrators can import customers")
    return None


def limit_upload():
    """Refuse a too-large upload by its Content-Length, and cap what is read when there is none."""
    limit = _max_bytes()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return error_response(413, f"the upload is larger than {limit // (1024 * 1024)} MB; split the file")
    return None


# Not guard.protect: the upload is multipart, not JSON.
bp.before_request(guard.require_api_user)
bp.before_request(require_admin)
bp.before_request(limit_upload)


class ImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "The CSV: name, phone, phone2…, email, tier, "
                                                          "external_id, preferences."})


class ImportOptionsSchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Check every row, write nothing."})


class ImportJobSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "queued, running, done or failed"})
    filename = fields.String(dump_only=True)
    dry_run = fields.Boolean(dump_only=True)
    total_rows = fields.Integer(dump_only=True, allow_none=True)
    processed_rows = fields.Integer(dump_only=True)
    created = fields.Integer(dump_only=True, attribute="created_count")
    updated = fields.Integer(dump_only=True, attribute="updated_count")
    refused = fields.Integer(dump_only=True, attribute="refused_count")
    error = fields.String(dump_only=True, allow_none=True)
    created_at = Timestamp(dump_only=True)
    finished_at = Timestamp(dump_only=True, allow_none=True)


def _job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"import {job_id} does not exist")
    return job


JOB_URL = "/<id:job_id>"


@bp.post("")
@bp.arguments(ImportFileSchema, location="files")
@bp.arguments(ImportOptionsSchema, location="form")
@bp.response(202, ImportJobSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def start_import(files: dict, options: dict):
    """Start importing a customer CSV; poll the job it returns. An unreadable file is a 422 now."""
    upload = files["file"]
    filename = PurePosixPath((upload.filename or "upload.csv").replace("\\", "/")).name or "upload.csv"
    job = customer_import.start_import_job(
        current_app._get_current_object(), upload.read(), filename, dry_run=options["dry_run"],
        created_by_id=api_user().id,
    )
    return job, {"Location": url_for("api_imports.get_import", job_id=job.id)}


@bp.get(JOB_URL)
@bp.response(200, ImportJobSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_import(job_id: int):
    """An import's status and counts; `processed_rows` of `total_rows` moves after every batch."""
    return _job(job_id)


@bp.get(JOB_URL + "/refused.csv")
@bp.response(200, content_type="text/csv")
@bp.alt_response(404, response="NOT_FOUND")
def refused_rows(job_id: int):
    """The refused rows: the file's columns plus line, column and reason (UTF-8 with BOM, for Excel)."""
    job = _job(job_id)
    if not job.refused_csv:
        raise NotFound(f"import {job_id} refused no rows")
    stem = job.filename[:-4] if job.filename.lower().endswith(".csv") else job.filename
    return send_file(io.BytesIO(job.refused_csv.encode("utf-8-sig")), mimetype="text/csv", as_attachment=True,
                     download_name=f"{stem}.refused.csv", max_age=0)

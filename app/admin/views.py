"""The administrators' pages; both are scripts over `/api/v1/users` and `/api/v1/imports`."""
from __future__ import annotations

from flask import render_template

from app.admin import bp


@bp.get("/users")
def users():
    return render_template("admin/users.html")


@bp.get("/import")
def customer_import():
    return render_template("admin/import.html")

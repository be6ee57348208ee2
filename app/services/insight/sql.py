"""Time arithmetic the figures need, written once for each database: seconds between two
timestamps, and which bucket (hour, day) of a range a timestamp falls in.

SQLite keeps timestamps as text and PostgreSQL as timestamps, so each gets its own SQL; the
figures' queries use these and stay the same on both.
"""
from __future__ import annotations

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class seconds_between(FunctionElement):  # noqa: N801  (used like an SQL function)
    """`later - earlier` in seconds (fractional), NULL when either is NULL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"

    def __init__(self, later, earlier):
        super().__init__(later, earlier)


@compiles(seconds_between)
def _seconds_between_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    # date_part is double precision; EXTRACT has returned numeric since PostgreSQL 14, slower per row.
    return f"date_part('epoch', {later} - {earlier})"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    # julianday is a double: about 50 microseconds of precision today, so rounding to the
    # millisecond gives exact whole seconds (a call answered 20 s after it arrived is 20.000).
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


class bucket_of(FunctionElement):  # noqa: N801
    """The number of whole `size_seconds` between `origin` and `at`: 0 for the first bucket."""

    type = Integer()
    inherit_cache = True
    name = "bucket_of"

    def __init__(self, at, origin, size_seconds: ColumnElement):
        super().__init__(at, origin, size_seconds)


@compiles(bucket_of)
def _bucket_of_postgresql(element, compiler, **kw):
    at, origin, size = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR(date_part('epoch', {at} - {origin}) / {size}) AS INTEGER)"


@compiles(bucket_of, "sqlite")
def _bucket_of_sqlite(element, compiler, **kw):
    at, origin, size = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND((julianday({at}) - julianday({origin})) * 86400.0, 3) / {size} AS INTEGER)"

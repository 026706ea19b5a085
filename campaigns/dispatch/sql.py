"""Small vendor differences of the raw SQL in dispatch (PostgreSQL and SQLite, the two we run on)."""

from __future__ import annotations

import datetime as dt

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def ts(value: dt.datetime | None):
    """A datetime as a raw-SQL parameter, stored exactly as the ORM would store it."""
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def json_object(**columns: str) -> str:
    """A JSON object built in SQL from column expressions: ``json_object(reason="d.skip_reason")``."""
    args = ", ".join(f"'{key}', {expr}" for key, expr in columns.items())
    if is_postgres():
        return f"json_build_object({args})::jsonb"
    return f"json_object({args})"


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)

"""Writing a queryset as CSV or JSON Lines into a byte sink, with memory that stays flat.

Two paths give the same columns in the same order:

- PostgreSQL: the database formats every cell (``columns.Column.pg_cell``) and
  ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` streams the rows through psycopg 3; JSON Lines come from
  ``json_build_object`` over a server-side cursor.
- Anything else (SQLite, the embedded default): ``iterator(chunk_size=…)`` over ``values_list`` and
  Python's csv/json (``Column.python_cell``).

Only the CSV is neutralised: JSON Lines are read by programs, and keep each value exactly as recorded.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .columns import Column
from .sinks import TextAdapter

CHUNK_ROWS = 5000
_FLUSH_BYTES = 1 << 16


@contextmanager
def _session_time_zone() -> Iterator:
    """A transaction in which PostgreSQL renders times in ``settings.TIME_ZONE``, with their offset.

    Django's timestamp loader assumes a UTC session, so the zone is put back before anything else is
    read; if the export fails instead, the rollback of the transaction (or savepoint) puts it back.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone'), set_config('TimeZone', %s, true)", [settings.TIME_ZONE])
        previous = cursor.fetchone()[0]
        yield cursor
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [previous])


def database_formats() -> bool:
    """Whether the database renders the cells (PostgreSQL), rather than Python."""
    return connection.vendor == "postgresql"


def _sql_column(queryset: QuerySet, column: Column) -> str:
    """The quoted SQL column for ``column.path`` (a field of the queryset's own table), or ``column.sql``."""
    if column.sql:
        return column.sql
    field = queryset.model._meta.get_field(column.path)
    return f'"{queryset.model._meta.db_table}"."{field.column}"'


def write_csv(queryset: QuerySet, columns: list[Column], sink) -> int:
    header = TextAdapter(sink)
    csv.writer(header, lineterminator="\n").writerow([c.name for c in columns])
    header.flush()
    if database_formats():
        return _pg_copy_csv(queryset, columns, sink)
    tz = ZoneInfo(settings.TIME_ZONE)
    text = TextAdapter(sink)
    writer = csv.writer(text, lineterminator="\n")
    count = 0
    for row in queryset.values_list(*[c.path for c in columns]).iterator(chunk_size=CHUNK_ROWS):
        writer.writerow([c.python_cell(v, tz) for c, v in zip(columns, row, strict=True)])
        count += 1
    text.flush()
    return count


def _pg_copy_csv(queryset: QuerySet, columns: list[Column], sink) -> int:
    # The SQL comes from our own column definitions and model metadata only; values stay parameters.
    cells = {f"c{i}": RawSQL(c.pg_cell(_sql_column(queryset, c)), ()) for i, c in enumerate(columns)}  # noqa: S611
    sql, params = queryset.annotate(**cells).values_list(*cells).query.sql_with_params()
    with _session_time_zone() as cursor:
        raw = cursor.cursor
        buffer = bytearray()
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for chunk in copy:  # about one row per chunk: batch the writes
                buffer += chunk
                if len(buffer) >= _FLUSH_BYTES:
                    sink.write(bytes(buffer))
                    buffer.clear()
        if buffer:
            sink.write(bytes(buffer))
        return raw.rowcount


def write_jsonl(queryset: QuerySet, columns: list[Column], sink) -> int:
    if database_formats():
        pairs = ", ".join(f"'{c.name}', {c.pg_value(_sql_column(queryset, c))}" for c in columns)
        lines = queryset.annotate(line=RawSQL(f"CAST(json_build_object({pairs}) AS text)", ()))  # noqa: S611
        with _session_time_zone():  # also the transaction a server-side cursor needs
            return _write_lines(lines.values_list("line", flat=True).iterator(chunk_size=CHUNK_ROWS), sink)
    tz = ZoneInfo(settings.TIME_ZONE)
    rows = queryset.values_list(*[c.path for c in columns]).iterator(chunk_size=CHUNK_ROWS)
    lines = (
        json.dumps({c.name: c.python_value(v, tz) for c, v in zip(columns, row, strict=True)}, ensure_ascii=False)
        for row in rows
    )
    return _write_lines(lines, sink)


def _write_lines(lines: Iterable[str], sink) -> int:
    text = TextAdapter(sink)
    count = 0
    for line in lines:
        text.write(line)
        text.write("\n")
        count += 1
    text.flush()
    return count

"""One exported column: its header, the field it reads, and how each path renders it.

Python renders for SQLite (and is the reference); PostgreSQL renders in SQL for ``COPY``. Both give the
same text: local time as ``isoformat(timespec="microseconds")`` writes it, integers, JSON, and every
cell neutralised by the rule in ``audit.csv_safety``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..csv_safety import neutralise, sql_neutralise

# In the session's TimeZone, which the export sets to settings.TIME_ZONE (see engine._session_time_zone).
PG_TIME_FORMAT = "'YYYY-MM-DD\"T\"HH24:MI:SS.USTZH:TZM'"
QUOTE = "''''"  # the SQL literal for one single quote, csv_safety.PREFIX


@dataclass(frozen=True)
class Column:
    name: str
    path: str  # an ORM path (``recipient__external_id`` works on the Python path)
    kind: str = "text"  # text | int | time | json | ip
    sql: str = ""  # the SQL for the database path when ``path`` is not a column of the table itself

    def python_value(self, value: Any, tz) -> Any:
        """The JSON Lines value."""
        if value is not None and self.kind == "time":
            return value.astimezone(tz).isoformat(timespec="microseconds")
        return value

    def python_cell(self, value: Any, tz) -> str:
        """The neutralised CSV cell."""
        value = self.python_value(value, tz)
        if value is None:
            return ""
        return neutralise(json.dumps(value, ensure_ascii=False) if self.kind == "json" else str(value))

    def pg_value(self, column_sql: str) -> str:
        """SQL for the JSON Lines value."""
        if self.kind == "time":
            return f"to_char({column_sql}, {PG_TIME_FORMAT})"
        if self.kind == "ip":
            return f"host({column_sql})"
        return column_sql

    def pg_cell(self, column_sql: str) -> str:
        """SQL for the neutralised CSV cell (NULL for an empty one).

        Written per kind so that each value becomes text once: a number's or a JSON scalar's text can
        only start with a formula character when it is negative ("-"); times and IP addresses never.
        """
        if self.kind in ("time", "ip"):
            return self.pg_value(column_sql)
        if self.kind == "int":
            return f"CASE WHEN {column_sql} < 0 THEN {QUOTE} ELSE '' END || CAST({column_sql} AS text)"
        if self.kind == "json":
            negative = f"jsonb_typeof({column_sql}) = 'number' AND CAST({column_sql} AS numeric) < 0"
            return f"CASE WHEN {negative} THEN {QUOTE} ELSE '' END || CAST({column_sql} AS text)"
        return f"NULLIF({sql_neutralise(column_sql, 'postgresql')}, '')"

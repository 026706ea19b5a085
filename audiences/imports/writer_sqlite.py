"""SQLite: batched inserts into the staging table, the same set-based merge."""

from __future__ import annotations

import itertools

from django.db import connection

from .writer_base import COLUMN_LIST, COLUMNS, StagingWriter


class SqliteWriter(StagingWriter):
    bool_type = "integer"

    def encode(self, rows: list[tuple]) -> list[tuple]:
        return [row[:-1] for row in rows]  # drop the "clean" flag, which only COPY needs

    def write(self, payload: list[list[tuple]]) -> None:
        marks = ", ".join(["%s"] * len(COLUMNS))
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {self.table} ({COLUMN_LIST}) VALUES ({marks})",  # noqa: S608
                            itertools.chain.from_iterable(payload))

    def prepare_merge(self) -> None:
        with connection.cursor() as cur:
            # SQLite has no hash joins: the merge's joins need an index on the key.
            cur.execute(f"CREATE INDEX {self.table}_ext ON {self.table} (external_id, line)")

    def update_existing(self, now) -> int:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE audiences_recipient SET "  # noqa: S608
                "name = CASE WHEN s.name_set THEN s.name ELSE audiences_recipient.name END, "
                "email = CASE WHEN s.email_set THEN s.email ELSE audiences_recipient.email END, "
                "email_normalized = CASE WHEN s.email_set THEN s.email_norm "
                "ELSE audiences_recipient.email_normalized END, "
                "phone = CASE WHEN s.phone_set THEN s.phone ELSE audiences_recipient.phone END, "
                "phone_type = CASE WHEN s.phone_set THEN s.phone_type ELSE audiences_recipient.phone_type END, "
                "attributes = json_patch(audiences_recipient.attributes, s.attributes), "
                "updated_at = %s, last_import_id = %s "
                f"FROM {self.table} AS s WHERE audiences_recipient.external_id = s.external_id",
                [now, self.job.pk],
            )
            return cur.rowcount


def writer_for(job):
    if connection.vendor == "postgresql":
        from .writer_pg import PostgresWriter

        return PostgresWriter(job)
    return SqliteWriter(job)

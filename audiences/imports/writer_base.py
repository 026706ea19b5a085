"""Staging table + one set-based merge, shared by the PostgreSQL and SQLite writers.

Rows that passed validation go to a per-job TEMP table (COPY on PostgreSQL, batched inserts on
SQLite). ``merge()`` then, inside the caller's transaction: rejects repeated external ids
(``row.duplicate_key``, naming the first line), updates existing recipients, inserts new ones,
adds list memberships and — in replace mode — drops members that were not in the file. Nothing
touches the real tables before ``merge()``, so a failed or cancelled import leaves the list as it was.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from ..models import ImportIssue, ImportJob
from .parse import ERROR, duplicate_message

log = logging.getLogger(__name__)
COLUMNS = ("line", "external_id", "name", "name_set", "email", "email_norm", "email_set", "email_raw",
           "phone", "phone_type", "phone_set", "phone_raw", "attributes")
COLUMN_LIST = ", ".join(COLUMNS)
# A new recipient's columns, in the order every insert of new recipients gives them (the PostgreSQL
# writer's direct COPY puts ``id`` first).
NEW_RECIPIENT = ("external_id", "name", "email", "email_normalized", "phone", "phone_type", "attributes", "created_at",
                 "updated_at", "last_import_id")
DUPLICATE_BATCH = 2000


@dataclass
class MergeResult:
    created: int
    updated: int
    duplicates: int
    removed: int


class StagingWriter:
    """Subclasses set the dialect bits; ``encode`` runs in the parser thread, ``write`` in the caller's."""

    table_type = "text"
    json_type = "text"
    bool_type = "boolean"
    pipelined = False  # True: begin() / merge_chunk() after each write / finish() in one transaction

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.table = f"aud_import_stage_{job.pk}"

    # -- staging --------------------------------------------------------------------------------
    def create(self) -> None:
        types = {"line": "integer", "name_set": self.bool_type, "email_set": self.bool_type,
                 "phone_set": self.bool_type, "attributes": self.json_type}
        cols = ", ".join(f"{c} {types.get(c, 'text')}" for c in COLUMNS)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.table}")
            cur.execute(f"CREATE TEMP TABLE {self.table} ({cols})")

    def drop(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.table}")

    def encode(self, rows: list[tuple]):
        """One batch of validated rows in the writer's form; a chunk is a list of these."""
        raise NotImplementedError

    def write(self, payload: list) -> None:
        """Stage one chunk: the list of what ``encode`` returned for its batches."""
        raise NotImplementedError

    def encode_issues(self, issues: list) -> object:
        """Runs in the parser thread, like ``encode``; ``write_issues`` gets what it returns."""
        return issues

    def write_issues(self, issues) -> None:
        ImportIssue.objects.bulk_create(
            [ImportIssue(job=self.job, line=i.line, severity=i.severity, code=i.code, message=i.message,
                         values=i.values) for i in issues],
            batch_size=1000,
        )

    def prepare_merge(self) -> None:
        """Indexes/statistics on the filled staging table."""

    # -- merge ----------------------------------------------------------------------------------
    def _duplicates(self) -> Iterator[tuple]:
        sql = (
            # Table names here are aud_import_stage_<job pk>: no user input reaches the SQL text.
            f"SELECT s.line, s.external_id, f.first_line, s.name, s.email_raw, s.phone_raw, s.attributes "  # noqa: S608
            f"FROM {self.table} s JOIN (SELECT external_id, MIN(line) AS first_line FROM {self.table} "
            f"GROUP BY external_id HAVING COUNT(*) > 1) f ON f.external_id = s.external_id "
            f"WHERE s.line > f.first_line ORDER BY s.line"
        )
        with connection.chunked_cursor() as cur:
            cur.execute(sql)
            while rows := cur.fetchmany(DUPLICATE_BATCH):
                yield from rows

    def _original_values(self, columns, ext, name, email_raw, phone_raw, attributes) -> list[str]:
        values = [""] * len(columns.headers)
        values[columns.external_id] = ext
        for index, value in ((columns.name, name), (columns.email, email_raw), (columns.phone, phone_raw)):
            if index is not None:
                values[index] = value or ""
        attrs = attributes if isinstance(attributes, dict) else json.loads(attributes or "{}")
        for index, key in columns.attributes:
            values[index] = attrs.get(key, "")
        return values

    def reject_duplicates(self, columns) -> int:
        count, batch, lines = 0, [], []
        for line, ext, first, name, email_raw, phone_raw, attributes in self._duplicates():
            batch.append(self.duplicate_issue(columns, line, ext, first, name, email_raw, phone_raw, attributes))
            lines.append(line)
            count += 1
            if len(batch) >= DUPLICATE_BATCH:
                self._flush_duplicates(batch, lines)
                batch, lines = [], []
        if batch:
            self._flush_duplicates(batch, lines)
        if count:
            with connection.cursor() as cur:
                cur.execute(
                    f"DELETE FROM {self.table} WHERE line IN (SELECT s.line FROM {self.table} s JOIN "  # noqa: S608
                    f"(SELECT external_id, MIN(line) AS first_line FROM {self.table} GROUP BY external_id "
                    f"HAVING COUNT(*) > 1) f ON f.external_id = s.external_id WHERE s.line > f.first_line)"
                )
        return count

    def duplicate_issue(self, columns, line, ext, first, name, email_raw, phone_raw, attributes) -> ImportIssue:
        values = self._original_values(columns, ext, name, email_raw, phone_raw, attributes)
        return ImportIssue(job=self.job, line=line, severity=ERROR, code="row.duplicate_key",
                           message=duplicate_message(ext, first), values=values)

    def _flush_duplicates(self, batch: list[ImportIssue], lines: list[int]) -> None:
        # A rejected row keeps no warnings: the report shows why it was rejected, once.
        ImportIssue.objects.filter(job=self.job, severity="warning", line__in=lines).delete()
        ImportIssue.objects.bulk_create(batch, batch_size=DUPLICATE_BATCH)

    def analyze_after(self, result: MergeResult) -> None:
        """Refresh the planner's statistics after a big import (segment counts, the recipients page)."""

    def lock(self) -> None:
        """Serialise merges: two imports touching the same recipients must not interleave."""

    def update_existing(self, now) -> int:
        raise NotImplementedError

    def insert_new(self, now) -> int:
        t = self.table
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO audiences_recipient ({', '.join(NEW_RECIPIENT)}) "  # noqa: S608
                f"SELECT external_id, name, email, email_norm, phone, phone_type, attributes, %s, %s, %s FROM {t} "
                "WHERE true ON CONFLICT (external_id) DO NOTHING",
                [now, now, self.job.pk],
            )
            return cur.rowcount

    def add_memberships(self, now) -> None:
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at) "
                "SELECT %s, id, %s FROM audiences_recipient WHERE last_import_id = %s "
                "ON CONFLICT (audience_list_id, recipient_id) DO NOTHING",
                [self.job.audience_list_id, now, self.job.pk],
            )

    def remove_others(self) -> int:
        with connection.cursor() as cur:
            # NOT EXISTS, an anti-join: a NOT IN over a million ids that do not fit in work_mem is
            # re-scanned for every membership row on PostgreSQL.
            cur.execute(
                "DELETE FROM audiences_membership WHERE audience_list_id = %s AND NOT EXISTS "
                "(SELECT 1 FROM audiences_recipient r WHERE r.id = audiences_membership.recipient_id "
                "AND r.last_import_id = %s)",
                [self.job.audience_list_id, self.job.pk],
            )
            return cur.rowcount

    def merge(self, columns) -> MergeResult:
        """Call inside ``transaction.atomic()``."""
        clock = _Clock()
        self.lock()
        now = timezone.now()
        duplicates = clock("duplicates", self.reject_duplicates(columns))
        updated = clock("update", self.update_existing(now))
        created = clock("insert", self.insert_new(now))
        clock("memberships", self.add_memberships(now))
        removed = clock("remove", self.remove_others() if self.job.mode == ImportJob.Mode.REPLACE else 0)
        log.info("import %s merge timings %s", self.job.pk, clock.laps)
        return MergeResult(created=created, updated=updated, duplicates=duplicates, removed=removed)


class _Clock:
    """Seconds per merge step, for the log (the benchmark reads them)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.last = time.monotonic()

    def __call__(self, name: str, value):
        now = time.monotonic()
        self.laps[name] = round(now - self.last, 3)
        self.last = now
        return value

"""PostgreSQL: COPY into the staging table, one set-based merge."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from ..models import ImportJob
from .writer_base import COLUMNS, DUPLICATE_BATCH, MergeResult, StagingWriter


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\x00", ""))


log = logging.getLogger(__name__)


class PostgresWriter(StagingWriter):
    json_type = "jsonb"

    def __init__(self, job) -> None:
        super().__init__(job)
        self.seconds: dict[str, float] = {}

    def encode(self, rows: list[tuple]) -> bytes:
        """COPY text format; rows the validator marked clean need no escaping at all.

        The lower-cased and the original e-mail are sent as NULL (``\\N``) when they equal the
        e-mail itself, as they almost always do: a fifth less to send and for COPY to parse; the
        SQL reads them back with COALESCE.
        """
        out = []
        append = out.append
        for (line, ext, name, name_set, email, email_norm, email_set, email_raw, phone, phone_type, phone_set,
             phone_raw, attrs, clean) in rows:
            norm = "\\N" if email_norm == email else email_norm
            raw = "\\N" if email_raw == email else email_raw
            if clean:
                append(f"{line}\t{ext}\t{name}\t{'t' if name_set else 'f'}\t{email}\t{norm}\t"
                       f"{'t' if email_set else 'f'}\t{raw}\t{phone}\t{phone_type}\t"
                       f"{'t' if phone_set else 'f'}\t{phone_raw}\t{attrs}")
            else:
                append("\t".join((str(line), _escape(ext), _escape(name), "t" if name_set else "f", _escape(email),
                                  "\\N" if email_norm == email else _escape(email_norm), "t" if email_set else "f",
                                  "\\N" if email_raw == email else _escape(email_raw), phone,
                                  phone_type, "t" if phone_set else "f", _escape(phone_raw), _escape(attrs))))
        append("")
        return "\n".join(out).encode("utf-8")

    def write(self, payload: bytes) -> None:
        started = time.monotonic()
        sql = f"COPY {self.table} ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
            copy.write(payload)
        self.seconds["copy"] = self.seconds.get("copy", 0.0) + time.monotonic() - started

    # -- pipelined merge: every chunk is merged as soon as it is staged, inside one transaction ---------
    # The parser thread prepares the next chunk while PostgreSQL merges this one, so the Python and
    # database work overlap on two cores; the one transaction keeps "a failed or cancelled import
    # leaves the list as it was". Each chunk is one INSERT … ON CONFLICT DO UPDATE (no join, so no
    # plan can scan the whole recipients table per chunk) whose RETURNING feeds the memberships.
    # Repeated customer numbers inside a chunk are rejected by the parser; one repeated from an
    # earlier chunk is a conflict with a row this job already stamped, which the DO UPDATE's WHERE
    # skips; the few such rows are found afterwards by that stamp and their first line in ``seen``.
    pipelined = True
    KEEP_SQL = "E'\\x01'"  # "keep the stored value": an invalid e-mail or phone on an existing recipient

    def begin(self, columns) -> None:
        self.columns_present = {"name": columns.name is not None, "email": columns.email is not None,
                                "phone": columns.phone is not None}
        self.lock()
        self.create()
        self.created = self.updated = self.duplicates = 0
        self.chunk_now = None
        t = self.table
        with connection.cursor() as cur:
            # Every chunk's customer numbers and lines, one row of two arrays per chunk (a row per
            # record cost ~1 µs each); read back only to name the first line of a repeated number.
            cur.execute(f"CREATE TEMP TABLE {t}_seen (external_ids text[], lines integer[]) ON COMMIT DROP")
            cur.execute(f"CREATE TEMP TABLE {t}_dups (LIKE {t}) ON COMMIT DROP")

    def _upsert_sql(self) -> str:
        t, k = self.table, self.KEEP_SQL
        cols = self.columns_present
        name_in = "name" if cols["name"] else "''"
        email_in = f"CASE WHEN email_set THEN email ELSE {k} END" if cols["email"] else "''"
        norm_in = f"CASE WHEN email_set THEN COALESCE(email_norm, email) ELSE {k} END" if cols["email"] else "''"
        phone_in = f"CASE WHEN phone_set THEN phone ELSE {k} END" if cols["phone"] else "''"
        type_in = f"CASE WHEN phone_set THEN phone_type ELSE {k} END" if cols["phone"] else "'unknown'"
        sets = ["attributes = r.attributes || EXCLUDED.attributes", "updated_at = EXCLUDED.updated_at",
                "last_import_id = EXCLUDED.last_import_id"]
        if cols["name"]:
            sets.append("name = EXCLUDED.name")
        for column in (("email", "email_normalized") if cols["email"] else ()) + (
                ("phone", "phone_type") if cols["phone"] else ()):
            sets.append(f"{column} = CASE WHEN EXCLUDED.{column} = {k} THEN r.{column} ELSE EXCLUDED.{column} END")
        return (
            "WITH up AS (INSERT INTO audiences_recipient AS r (external_id, name, email, email_normalized, phone, "  # noqa: S608
            "phone_type, attributes, created_at, updated_at, last_import_id) "
            f"SELECT external_id, {name_in}, {email_in}, {norm_in}, {phone_in}, {type_in}, attributes, %(now)s, "
            f"%(now)s, %(job)s FROM {t} "
            f"ON CONFLICT (external_id) DO UPDATE SET {', '.join(sets)} "
            "WHERE r.last_import_id IS DISTINCT FROM EXCLUDED.last_import_id "
            f"RETURNING r.id, (r.xmax = 0) AS inserted, (r.email = {k} OR r.phone = {k}) AS keep), "
            "m AS (INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at) "
            "SELECT %(list)s, id, %(now)s FROM up ON CONFLICT (audience_list_id, recipient_id) DO NOTHING) "
            "SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted), "
            "COALESCE(array_agg(id) FILTER (WHERE keep AND inserted), '{}') FROM up"
        )

    def merge_chunk(self, staged: int) -> None:
        t, job = self.table, self.job
        now = timezone.now()
        if self.chunk_now is not None and now <= self.chunk_now:  # each chunk's stamp is distinct
            now = self.chunk_now + timedelta(microseconds=1)
        self.chunk_now = now
        started = time.monotonic()
        with connection.cursor() as cur:
            cur.execute(self._upsert_sql(), {"now": now, "job": job.pk, "list": job.audience_list_id})
            created, updated, fix = cur.fetchone()
            self.seconds["upsert"] = self.seconds.get("upsert", 0.0) + time.monotonic() - started
            if fix:  # new recipients whose bad e-mail/phone was marked "keep": there is nothing to keep
                cur.execute(
                    f"UPDATE audiences_recipient SET "  # noqa: S608
                    f"email = CASE WHEN email = {self.KEEP_SQL} THEN '' ELSE email END, "
                    f"email_normalized = CASE WHEN email_normalized = {self.KEEP_SQL} THEN '' "
                    f"ELSE email_normalized END, "
                    f"phone = CASE WHEN phone = {self.KEEP_SQL} THEN '' ELSE phone END, "
                    f"phone_type = CASE WHEN phone_type = {self.KEEP_SQL} THEN 'unknown' ELSE phone_type END "
                    f"WHERE id = ANY(%s)",
                    [list(fix)],
                )
            if created + updated < staged:  # repeated from an earlier chunk: stamped by this job, not now
                cols = ", ".join(COLUMNS)
                cur.execute(
                    f"INSERT INTO {t}_dups ({cols}) SELECT {cols} FROM {t} s WHERE (SELECT r.updated_at "  # noqa: S608
                    f"FROM audiences_recipient r WHERE r.external_id = s.external_id AND r.last_import_id = %s) "
                    f"<> %s",
                    [job.pk, now],
                )
                self.duplicates += cur.rowcount
            cur.execute(f"INSERT INTO {t}_seen SELECT array_agg(external_id), array_agg(line) FROM {t}")  # noqa: S608
            cur.execute(f"TRUNCATE {t}")
        self.seconds["merge"] = self.seconds.get("merge", 0.0) + time.monotonic() - started
        self.created += created
        self.updated += updated

    def finish(self, columns) -> MergeResult:
        t, job = self.table, self.job
        if self.duplicates:
            batch, lines = [], []
            with connection.chunked_cursor() as cur:
                cur.execute(
                    f"SELECT d.line, d.external_id, f.first, d.name, COALESCE(d.email_raw, d.email), d.phone_raw, "  # noqa: S608
                    f"d.attributes FROM {t}_dups d JOIN (SELECT u.external_id, MIN(u.line) AS first FROM {t}_seen, "
                    f"unnest(external_ids, lines) AS u(external_id, line) WHERE u.external_id "
                    f"IN (SELECT external_id FROM {t}_dups) GROUP BY u.external_id) f ON f.external_id = d.external_id "
                    f"ORDER BY d.line"
                )
                while rows := cur.fetchmany(DUPLICATE_BATCH):
                    for line, ext, first, name, email_raw, phone_raw, attributes in rows:
                        batch.append(self.duplicate_issue(columns, line, ext, first, name, email_raw, phone_raw,
                                                          attributes))
                        lines.append(line)
                    self._flush_duplicates(batch, lines)
                    batch, lines = [], []
        removed = self.remove_others() if job.mode == ImportJob.Mode.REPLACE else 0
        log.info("import %s database seconds %s", job.pk, {k: round(v, 2) for k, v in self.seconds.items()})
        return MergeResult(created=self.created, updated=self.updated, duplicates=self.duplicates, removed=removed)

    def prepare_merge(self) -> None:
        with connection.cursor() as cur:
            # Temp tables are never auto-analysed; without statistics the planner guesses badly.
            cur.execute(f"ANALYZE {self.table}")

    def analyze_after(self, result: MergeResult) -> None:
        if result.created + result.updated >= 10_000:
            with connection.cursor() as cur:
                cur.execute("ANALYZE audiences_recipient")
                cur.execute("ANALYZE audiences_membership")

    def lock(self) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('audiences.import.merge'))")

    # Each statement adds the list memberships of the rows it touched from its own RETURNING, so no
    # join back to the staging table and no index on last_import_id are needed.
    _MEMBERS = ("m AS (INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at) "
                "SELECT %s, id, %s FROM touched ON CONFLICT (audience_list_id, recipient_id) DO NOTHING) "
                "SELECT COUNT(*) FROM touched")

    def update_existing(self, now) -> int:
        with connection.cursor() as cur:
            cur.execute(
                "WITH touched AS (UPDATE audiences_recipient r SET "  # noqa: S608
                "name = CASE WHEN s.name_set THEN s.name ELSE r.name END, "
                "email = CASE WHEN s.email_set THEN s.email ELSE r.email END, "
                "email_normalized = CASE WHEN s.email_set THEN COALESCE(s.email_norm, s.email) "
                "ELSE r.email_normalized END, "
                "phone = CASE WHEN s.phone_set THEN s.phone ELSE r.phone END, "
                "phone_type = CASE WHEN s.phone_set THEN s.phone_type ELSE r.phone_type END, "
                "attributes = r.attributes || s.attributes, updated_at = %s, last_import_id = %s "
                f"FROM {self.table} s WHERE r.external_id = s.external_id RETURNING r.id), " + self._MEMBERS,
                [now, self.job.pk, self.job.audience_list_id, now],
            )
            return cur.fetchone()[0]

    def insert_new(self, now) -> int:
        with connection.cursor() as cur:
            cur.execute(
                "WITH touched AS (INSERT INTO audiences_recipient (external_id, name, email, "  # noqa: S608
                "email_normalized, phone, phone_type, attributes, created_at, updated_at, last_import_id) "
                f"SELECT external_id, name, email, COALESCE(email_norm, email), phone, phone_type, attributes, "
                f"%s, %s, %s FROM {self.table} ON CONFLICT (external_id) DO NOTHING RETURNING id), " + self._MEMBERS,
                [now, now, self.job.pk, self.job.audience_list_id, now],
            )
            return cur.fetchone()[0]

    def add_memberships(self, now) -> None:
        """Done by ``update_existing`` and ``insert_new``."""

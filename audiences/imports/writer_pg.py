"""PostgreSQL: each chunk COPYed into a staging table and merged by one statement, in one transaction.

Large first loads also drop and rebuild the secondary indexes (``bulk_indexes``); into a table with
no pages, new rows skip the staging table and are COPYed into the recipients table itself
("loading directly", see ``begin``)."""

from __future__ import annotations

import json
import logging
import time
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from ..models import ImportJob
from .bulk_indexes import BulkIndexes, SeenFilter
from .writer_base import COLUMN_LIST, COLUMNS, DUPLICATE_BATCH, NEW_RECIPIENT, MergeResult, StagingWriter


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\x00", ""))


def _staged_line(row: tuple) -> str:
    """One staging row (``COLUMN_LIST``) as COPY text; rows the validator marked clean need no escaping.

    The lower-cased and the original e-mail are sent as NULL (``\\N``) when they equal the e-mail
    itself, as they almost always do: a fifth less to send and for COPY to parse; the SQL reads them
    back with COALESCE.
    """
    (line, ext, name, name_set, email, email_norm, email_set, email_raw, phone, phone_type, phone_set,
     phone_raw, attrs, clean) = row
    norm = "\\N" if email_norm == email else email_norm
    raw = "\\N" if email_raw == email else email_raw
    if clean:
        return (f"{line}\t{ext}\t{name}\t{'t' if name_set else 'f'}\t{email}\t{norm}\t{'t' if email_set else 'f'}\t"
                f"{raw}\t{phone}\t{phone_type}\t{'t' if phone_set else 'f'}\t{phone_raw}\t{attrs}")
    return "\t".join((str(line), _escape(ext), _escape(name), "t" if name_set else "f", _escape(email),
                      norm if norm == "\\N" else _escape(norm), "t" if email_set else "f",
                      raw if raw == "\\N" else _escape(raw), phone, phone_type, "t" if phone_set else "f",
                      _escape(phone_raw), _escape(attrs)))


class DirectBatch(NamedTuple):
    """What ``encode`` makes of a batch while loading directly: COPY text for the recipients table
    and for ``_defer``, the batch's part of a ``_seen`` row, and how many recipients it numbered."""

    recipients: bytes
    aside: bytes
    external_ids: str
    lines: str
    created: int


log = logging.getLogger(__name__)
CHUNK = 10_000  # deferred rows merged per statement
DIRECT_COPY = f"COPY audiences_recipient (id, {', '.join(NEW_RECIPIENT)}) FROM STDIN"
ANALYZED_COLUMNS = ", ".join(["id", *(c for c in NEW_RECIPIENT if c != "attributes")])


class PostgresWriter(StagingWriter):
    json_type = "jsonb"

    def __init__(self, job) -> None:
        super().__init__(job)
        self.seconds: dict[str, float] = {}

    def encode(self, rows: list[tuple]) -> bytes | DirectBatch:
        """COPY text of the staging rows, each with its ``fresh`` flag (see ``_staged_line``); while
        loading directly (``begin``), a ``DirectBatch`` instead."""
        if self.direct:
            return self._encode_direct(rows)
        unseen = self.unseen.add if self.unseen is not None else None
        out = [f"{_staged_line(row)}\t{'t' if unseen is not None and unseen(row[1]) else 'f'}" for row in rows]
        out.append("")
        return "\n".join(out).encode("utf-8")

    def _encode_direct(self, rows: list[tuple]) -> DirectBatch:
        """Rows the filter calls certainly new become recipients, numbered here; the others are set
        aside as staging rows. Every row's customer number and line go to ``_seen`` as array text."""
        out, aside, numbers, lines = [], [], [], []
        append, number, unseen, tail = out.append, numbers.append, self.unseen.add, self._tail
        first = next_id = self.next_id
        for row in rows:
            (line, ext, name, _name_set, email, email_norm, _email_set, _email_raw, phone, phone_type, _phone_set,
             _phone_raw, attrs, clean) = row
            lines.append(line)
            number(ext if clean else _escape(ext.replace("\\", "\\\\").replace('"', '\\"')))  # array, then COPY
            if not unseen(ext):
                aside.append(_staged_line(row))
                continue
            if clean:
                append(f"{next_id}\t{ext}\t{name}\t{email}\t{email_norm}\t{phone}\t{phone_type}\t{attrs}{tail}")
            else:
                append("\t".join((str(next_id), _escape(ext), _escape(name), _escape(email), _escape(email_norm),
                                  phone, phone_type, _escape(attrs))) + tail)
            next_id += 1
        self.next_id = next_id
        if out:
            out.append("")
        if aside:
            aside.append("")
        return DirectBatch("\n".join(out).encode("utf-8"), "\n".join(aside).encode("utf-8"),
                           '"' + '","'.join(numbers) + '"', ",".join(map(str, lines)), next_id - first)

    def write(self, payload: list) -> None:
        started = time.monotonic()
        if self.direct:
            self._write_direct(payload)
        else:
            sql = f"COPY {self.table} ({COLUMN_LIST}, fresh) FROM STDIN"
            with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
                copy.write(b"".join(payload))  # one write: each one is a GIL hand-over with the parser
        self.seconds["copy"] = self.seconds.get("copy", 0.0) + time.monotonic() - started

    def _write_direct(self, payload: list[DirectBatch]) -> None:
        """One chunk: its new recipients COPYed into the table itself, the rows set aside into
        ``_defer``, and one ``_seen`` row; ``merge_chunk`` then adds the memberships."""
        if not payload:
            return
        t = self.table
        recipients = b"".join(b.recipients for b in payload)
        aside = b"".join(b.aside for b in payload)
        numbers, lines = ",".join(b.external_ids for b in payload), ",".join(b.lines for b in payload)
        seen = f"{{{numbers}}}\t{{{lines}}}\n"
        with connection.cursor() as cur:
            if recipients:
                with cur.cursor.copy(DIRECT_COPY) as copy:
                    copy.write(recipients)
            if aside:
                with cur.cursor.copy(f"COPY {t}_defer ({COLUMN_LIST}) FROM STDIN") as copy:
                    copy.write(aside)
            with cur.cursor.copy(f"COPY {t}_seen FROM STDIN") as copy:
                copy.write(seen.encode("utf-8"))
        self.copied += sum(b.created for b in payload)

    def encode_issues(self, issues) -> bytes:
        """COPY text, made in the parser thread: formatting ~13k issues per million rows took ~0.5 s of
        the database thread, while PostgreSQL waited for it."""
        job = self.job.pk
        return "".join([f"{job}\t{i.line}\t{i.severity}\t{_escape(i.code)}\t{_escape(i.message)}\t"
                        f"{_escape(json.dumps(i.values, ensure_ascii=False))}\n" for i in issues]).encode("utf-8")

    def write_issues(self, issues: bytes) -> None:
        """COPY as well: through the ORM, each issue cost ~250 µs (model, UNNEST arrays), ~3 s per million rows."""
        sql = "COPY audiences_importissue (job_id, line, severity, code, message, \"values\") FROM STDIN"
        with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
            copy.write(issues)

    # -- pipelined merge: every chunk is merged as soon as it is staged, inside one transaction ---------
    # The parser thread prepares the next chunk while PostgreSQL merges this one, so the Python and
    # database work overlap on two cores; the one transaction keeps "a failed or cancelled import
    # leaves the list as it was". Each chunk is one statement: every staged row looks up its customer
    # number once (a nested loop over the unique index, never a scan of the whole table), then new
    # rows are a plain INSERT, known ones an UPDATE, and both feed the memberships. There is no
    # INSERT … ON CONFLICT: its speculative insertion doubled the cost of every new row (5.5 → 11 s
    # per million measured), and no ON CONFLICT is needed because imports are the only writers of
    # recipients and take the merge lock. A customer number repeated from an earlier chunk is a row
    # this job already stamped; it goes to ``_dups`` and is reported with its first line from ``seen``.
    pipelined = True

    bulk: BulkIndexes | None = None
    unseen: SeenFilter | None = None
    direct = False  # loading directly (see begin)

    def begin(self, columns) -> None:
        self.columns_present = {"name": columns.name is not None, "email": columns.email is not None,
                                "phone": columns.phone is not None}
        self.lock()
        self.create()
        self.created = self.updated = self.duplicates = 0
        t = self.table
        with connection.cursor() as cur:
            # Every chunk's customer numbers and lines, one row of two arrays per chunk (a row per
            # record cost ~1 µs each); read back only to name the first line of a repeated number.
            cur.execute(f"CREATE TEMP TABLE {t}_seen (external_ids text[], lines integer[]) ON COMMIT DROP")
            cur.execute(f"CREATE TEMP TABLE {t}_dups (LIKE {t}) ON COMMIT DROP")
            cur.execute(f"ALTER TABLE {t} ADD COLUMN fresh boolean NOT NULL")
        self.bulk = BulkIndexes.begin_if_worth_it(self.job.rows_total or 0)
        # A first load into an empty table, which nobody else can write while we hold its lock: a
        # customer number the filter has not seen in this file cannot be in the table, so its row
        # skips the lookup (~1.5 s of PostgreSQL CPU per million). The filter never says "new" for
        # a number it has seen; its false "maybe" (~1 % at a million) only costs a lookup.
        self.unseen = SeenFilter() if self.bulk is not None and self.bulk.was_empty else None
        # Loading directly: with the unique index dropped as well, certainly-new rows need nothing
        # from the database, so they skip the staging table and are COPYed into the recipients
        # table itself (no random B-tree insert, ~2.5 s of PostgreSQL CPU per million; COPY's batched
        # heap inserts instead of INSERT … SELECT's one by one), numbered by the parser from the
        # table's own sequence, which nobody else can draw from while we hold the table's lock. The
        # "maybe" rows wait in {t}_defer until the index is back; see finish().
        self.direct = bool(self.bulk is not None and self.bulk.constraints)
        if self.direct:
            with connection.cursor() as cur:
                cur.execute(f"CREATE TEMP TABLE {t}_defer (LIKE {t}_dups) ON COMMIT DROP")
                cur.execute("SELECT nextval(pg_get_serial_sequence('audiences_recipient', 'id'))")
                self.next_id = cur.fetchone()[0]  # the parser's next number
            self.copied = self.next_id - 1  # the last number COPYed; merge_chunk adds their memberships
            self.members_through = self.copied
            # created_at and updated_at: COPY reads "now" as the transaction's start, the moment of
            # the import; 60 bytes a row fewer to hold and send than the timestamp spelt out.
            self._tail = f"\tnow\tnow\t{self.job.pk}"
        else:
            self._chunk_sql = self._merge_sql()

    def _insert_sql(self, source: str) -> str:
        """INSERT … SELECT of new recipients from ``source`` (aliased p), for the WITH clauses."""
        cols = self.columns_present
        new_name = "p.name" if cols["name"] else "''"
        new_email = "CASE WHEN p.email_set THEN p.email ELSE '' END" if cols["email"] else "''"
        new_norm = "CASE WHEN p.email_set THEN COALESCE(p.email_norm, p.email) ELSE '' END" if cols["email"] else "''"
        new_phone = "CASE WHEN p.phone_set THEN p.phone ELSE '' END" if cols["phone"] else "''"
        new_type = "CASE WHEN p.phone_set THEN p.phone_type ELSE 'unknown' END" if cols["phone"] else "'unknown'"
        return (f"INSERT INTO audiences_recipient ({', '.join(NEW_RECIPIENT)}) "  # noqa: S608
                f"SELECT p.external_id, {new_name}, {new_email}, {new_norm}, {new_phone}, {new_type}, p.attributes, "
                f"%(now)s, %(now)s, %(job)s FROM {source}")

    def _merge_sql(self, *, record_seen: bool = True) -> str:
        t = self.table
        staged = ", ".join(f"p.{c}" for c in COLUMNS)
        return (
            # OFFSET 0 keeps the lookup a per-row probe of the unique index: a join the planner may
            # flatten could become a hash join that reads the whole table for every chunk.
            f"WITH p AS MATERIALIZED (SELECT s.*, r.id AS rid, r.last_import_id AS rjob FROM {t} s "  # noqa: S608
            "LEFT JOIN LATERAL (SELECT id, last_import_id FROM audiences_recipient r "
            "WHERE NOT s.fresh AND r.external_id = s.external_id OFFSET 0) r ON true), "
            f"ins AS ({self._insert_sql('p WHERE p.rid IS NULL')} RETURNING id), "
            "upd AS (UPDATE audiences_recipient r SET "
            "name = CASE WHEN p.name_set THEN p.name ELSE r.name END, "
            "email = CASE WHEN p.email_set THEN p.email ELSE r.email END, "
            "email_normalized = CASE WHEN p.email_set THEN COALESCE(p.email_norm, p.email) "
            "ELSE r.email_normalized END, "
            "phone = CASE WHEN p.phone_set THEN p.phone ELSE r.phone END, "
            "phone_type = CASE WHEN p.phone_set THEN p.phone_type ELSE r.phone_type END, "
            "attributes = r.attributes || p.attributes, updated_at = %(now)s, last_import_id = %(job)s "
            "FROM p WHERE r.id = p.rid AND p.rid IS NOT NULL AND p.rjob IS DISTINCT FROM %(job)s RETURNING r.id), "
            f"dup AS (INSERT INTO {t}_dups ({COLUMN_LIST}) SELECT {staged} FROM p "
            "WHERE p.rjob = %(job)s RETURNING 1), "
            # New recipients have no memberships yet: a plain INSERT. Known ones may be members already.
            "mi AS (INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at) "
            "SELECT %(list)s, id, %(now)s FROM ins), "
            "mu AS (INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at) "
            "SELECT %(list)s, id, %(now)s FROM upd ON CONFLICT (audience_list_id, recipient_id) DO NOTHING)"
            + (f", seen AS (INSERT INTO {t}_seen SELECT array_agg(external_id), array_agg(line) FROM p)"  # noqa: S608
               if record_seen else "")
            + " SELECT (SELECT COUNT(*) FROM ins), (SELECT COUNT(*) FROM upd), (SELECT COUNT(*) FROM dup)"
        )

    def _merge_staged(self, cur, sql: str) -> float:
        """Run one merge statement over the staging table, add up its counts, empty the table;
        returns the statement's seconds."""
        started = time.monotonic()
        cur.execute(sql, {"now": timezone.now(), "job": self.job.pk, "list": self.job.audience_list_id})
        created, updated, duplicates = cur.fetchone()
        seconds = time.monotonic() - started
        cur.execute(f"TRUNCATE {self.table}")
        self.created += created
        self.updated += updated
        self.duplicates += duplicates
        return seconds

    def merge_chunk(self, staged: int) -> None:
        started = time.monotonic()
        with connection.cursor() as cur:
            upsert = self._add_direct_members(cur) if self.direct else self._merge_staged(cur, self._chunk_sql)
        self.seconds["upsert"] = self.seconds.get("upsert", 0.0) + upsert
        self.seconds["merge"] = self.seconds.get("merge", 0.0) + time.monotonic() - started

    def _add_direct_members(self, cur) -> float:
        """The list memberships of the recipients COPYed since the last call (numbered without gaps)."""
        started = time.monotonic()
        first, last = self.members_through + 1, self.copied
        if last >= first:
            cur.execute("INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at) "
                        "SELECT %s, n, %s FROM generate_series(%s::bigint, %s::bigint) n",
                        [self.job.audience_list_id, timezone.now(), first, last])
            self.created += last - first + 1
            self.members_through = last
        return time.monotonic() - started

    def merge_deferred(self) -> None:
        """The rows put aside while the unique index was away, merged now that it is back.

        A number repeated among them keeps its first line and the later ones are duplicates (as
        they would be anyway: the filter said "maybe" for every occurrence after the first). The
        rest go through the ordinary merge in line order, a chunk at a time, looked up in the index:
        found means an earlier row of this file (a duplicate), not found means new.
        """
        t, cols = self.table, COLUMN_LIST
        started = time.monotonic()
        sql = self._merge_sql(record_seen=False)  # the chunks already recorded these rows as seen
        with connection.cursor() as cur:
            cur.execute(
                f"WITH gone AS (DELETE FROM {t}_defer WHERE line IN (SELECT line FROM (SELECT line, "  # noqa: S608
                f"row_number() OVER (PARTITION BY external_id ORDER BY line) AS n FROM {t}_defer) x "
                f"WHERE n > 1) RETURNING {cols}) INSERT INTO {t}_dups ({cols}) SELECT {cols} FROM gone"
            )
            self.duplicates += cur.rowcount
            cur.execute(f"CREATE INDEX ON {t}_defer (line)")
            after = 0
            while True:
                cur.execute(f"WITH moved AS (INSERT INTO {t} ({cols}, fresh) SELECT {cols}, false "  # noqa: S608
                            f"FROM {t}_defer WHERE line > %s ORDER BY line LIMIT %s RETURNING line) "
                            "SELECT MAX(line) FROM moved", [after, CHUNK])
                after = cur.fetchone()[0]
                if after is None:
                    break
                self._merge_staged(cur, sql)
        self.seconds["deferred"] = time.monotonic() - started

    def finish(self, columns) -> MergeResult:
        t, job = self.table, self.job
        if self.direct:
            if self.members_through != self.copied:  # merge_chunk runs after every write
                raise RuntimeError(f"recipients {self.members_through + 1}-{self.copied} were copied but not "
                                   "added to the list")
            with connection.cursor() as cur:  # the next number after ours, for everyone else
                cur.execute("SELECT setval(pg_get_serial_sequence('audiences_recipient', 'id'), %s, false)",
                            [self.copied + 1])
            self.bulk.restore_constraints()
            self.seconds["unique"] = self.bulk.restore_seconds
            self.merge_deferred()
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
        if self.bulk is not None:
            self.bulk.rebuild()
            self.seconds["indexes"] = self.bulk.seconds
        log.info("import %s database seconds %s", job.pk, {k: round(v, 2) for k, v in self.seconds.items()})
        return MergeResult(created=self.created, updated=self.updated, duplicates=self.duplicates, removed=removed)

    def analyze_after(self, result: MergeResult) -> None:
        if result.created + result.updated >= 10_000:
            with connection.cursor() as cur:
                # Every column but ``attributes``: segment rules read it through expressions (``->>``),
                # which have no statistics of their own, and its sample cost ~0.2 of ~0.5 s per million
                # rows. Autovacuum's own ANALYZE fills it in later.
                cur.execute(f"ANALYZE audiences_recipient ({ANALYZED_COLUMNS})")
                cur.execute("ANALYZE audiences_membership")

    def lock(self) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('audiences.import.merge'))")

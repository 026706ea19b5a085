"""Bulk loads on PostgreSQL: drop the recipients' secondary indexes for the import, build them after.

A new row costs one entry in every index. The e-mail, phone and name indexes take random keys, and a
random B-tree insert cost ~4.5 µs of PostgreSQL CPU per row and index here: about 10 s of a
million-row import, where building the same three indexes once, sorted, afterwards takes ~2.6 s
(measured in docs/benchmarks.md). PostgreSQL's own advice for large loads ("Populating a Database")
is to drop the indexes and recreate them.

The price is a lock: DROP INDEX takes ACCESS EXCLUSIVE on ``audiences_recipient`` until the
import commits, so pages and workers that read recipients wait for the import to finish. So this
is done only when it pays and nobody is in the way:

- the file has at least ``IMPORT_BULK_MIN_ROWS`` records (0 turns this off) and at least as many as
  the table holds (a first load, or a list larger than everything imported so far);
- the database role owns the table (under the split roles of ``setup_db_roles`` the application
  role does not, and the import takes the incremental path);
- the lock is granted within ``IMPORT_BULK_LOCK_TIMEOUT_MS``; otherwise the import goes on without it.

Into a table with no pages (a first load, or after TRUNCATE) the customer number's unique
constraint goes too (no foreign key uses it): the writer then inserts the rows its filter calls
certainly new without any lookup, sets the others aside, and merges those once the constraint is
back (``restore_constraints``). That took the merge statements from 12.3-14.6 s to 10.2-11.8 s of
a million-row first load (on a slow day of this machine), for 0.7-1.3 s of sorted build.

Everything happens inside the import's transaction: a failed or cancelled import rolls the DROP
back, and readers never see the table without its indexes.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection, transaction

log = logging.getLogger(__name__)
TABLE = "audiences_recipient"


class BulkIndexes:
    def __init__(self, definitions: list[tuple[str, str]], *, was_empty: bool,
                 constraints: list[tuple[str, str]] = ()) -> None:
        self.definitions = definitions
        self.was_empty = was_empty  # no recipient existed when the lock was taken
        # Unique constraints dropped as well (into an empty table only): (name, definition).
        self.constraints = list(constraints)
        self.constraints_restored = False
        self.seconds = 0.0  # the index rebuild
        self.restore_seconds = 0.0  # the unique constraints' rebuild

    @classmethod
    def begin_if_worth_it(cls, expected_rows: int) -> BulkIndexes | None:
        minimum = settings.IMPORT_BULK_MIN_ROWS
        if not minimum or expected_rows < minimum:
            return None
        with connection.cursor() as cur:
            # Bounded count: no more rows are read than the file brings.
            cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} LIMIT %s) t", [expected_rows + 1])  # noqa: S608
            existing = cur.fetchone()[0]
            if existing > expected_rows:
                return None
            cur.execute("SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
                        "WHERE c.oid = %s::regclass", [TABLE])
            if not cur.fetchone()[0]:
                log.info("bulk import: the role does not own %s; indexes stay", TABLE)
                return None
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT set_config('lock_timeout', %s, true)",
                            [f"{settings.IMPORT_BULK_LOCK_TIMEOUT_MS}ms"])
                cur.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        except DatabaseError as exc:
            log.info("bulk import: %s is in use (%s); indexes stay", TABLE, exc)
            return None
        with connection.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout TO DEFAULT")
            # Counted before the lock: look again now that nobody can insert (an empty table
            # turns on the filter that skips lookups, so it must really be empty).
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")  # noqa: S608
            existing = cur.fetchone()[0]
            definitions = _drop_each(
                cur, 'DROP INDEX "{name}"',
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                "AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
            )
            constraints = []
            cur.execute(f"SELECT pg_relation_size('{TABLE}') = 0")
            if cur.fetchone()[0]:
                # Into a table with no pages at all the customer number's unique index is dropped
                # too: the writer then looks nothing up until it is back (PostgresWriter loads
                # directly, see its begin()). Not into one that is merely empty: deleted rows not yet
                # vacuumed may hold HOT chains, and an index built over a broken chain is marked
                # indcheckxmin, which keeps this very transaction from using it for the lookups.
                # Never one that a foreign key depends on.
                constraints = _drop_each(
                    cur, f'ALTER TABLE {TABLE} DROP CONSTRAINT "{{name}}"',
                    "SELECT k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
                    "WHERE k.conrelid = %s::regclass AND k.contype = 'u' AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid) "
                    "ORDER BY k.conname",
                )
        log.info("bulk import: dropped %s until the import commits",
                 ", ".join(n for n, _ in [*definitions, *constraints]))
        return cls(definitions, was_empty=not existing, constraints=constraints)

    def restore_constraints(self) -> None:
        """Put the unique constraints back (before the deferred rows are looked up). A repeated key
        would fail here and roll the import back; the writer never lets one through."""
        started = time.monotonic()
        with connection.cursor() as cur:
            _one_small_sort(cur)
            for name, definition in self.constraints:
                cur.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        self.restore_seconds = time.monotonic() - started
        self.constraints_restored = True

    def rebuild(self) -> None:
        if self.constraints and not self.constraints_restored:
            self.restore_constraints()
        started = time.monotonic()
        with connection.cursor() as cur:
            _one_small_sort(cur)
            for _, definition in self.definitions:
                cur.execute(definition)
        self.seconds = time.monotonic() - started
        log.info("bulk import: rebuilt %d indexes in %.2f s and %d constraints in %.2f s", len(self.definitions),
                 self.seconds, len(self.constraints), self.restore_seconds)


def _drop_each(cur, drop: str, query: str) -> list[tuple[str, str]]:
    """The (name, definition) rows ``query`` finds for the table, each dropped with ``drop``."""
    cur.execute(query, [TABLE])
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(drop.format(name=name))
    return found


def _one_small_sort(cur) -> None:
    # One process, and a small sort area: 8 MB built the indexes as fast as 64 MB (~2.2-2.6 s per
    # million rows either way) and as 16 MB, which put 4 MB more on the backend's peak (a build runs
    # when the buffer pool is already mapped); parallel workers would each map the pool again.
    cur.execute("SET LOCAL max_parallel_maintenance_workers = 0")
    cur.execute("SET LOCAL maintenance_work_mem = '8MB'")


class SeenFilter:
    """A Bloom filter of the customer numbers met so far in this file: 2 MB, two bits per number.

    ``add`` answers True only for a number certainly not met before (no false "new"); at a million
    numbers about 1 % of repeats-that-are-not get a "maybe", which only costs a lookup.
    """

    BITS = 1 << 24  # a power of two, at least 8 (the tests shrink it to make nearly every row a "maybe")

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS // 8)
        self.mask = self.BITS - 1

    def add(self, key: str) -> bool:
        h, mask = hash(key), self.mask
        a, b = h & mask, (h >> 24) & mask
        bits = self.bits
        seen = bits[a >> 3] & (1 << (a & 7)) and bits[b >> 3] & (1 << (b & 7))
        bits[a >> 3] |= 1 << (a & 7)
        bits[b >> 3] |= 1 << (b & 7)
        return not seen

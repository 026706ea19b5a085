"""PostgreSQL bulk loads: secondary indexes dropped for the import and rebuilt, or left alone when it does not pay."""

from __future__ import annotations

import logging

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from audiences.imports import runner
from audiences.imports.parse import duplicate_message
from audiences.models import ImportIssue, Recipient

from .conftest import assert_accounted

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def secondary_indexes() -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c "
                    "ON c.oid = i.indexrelid WHERE i.indrelid = 'audiences_recipient'::regclass "
                    "AND NOT i.indisunique AND NOT i.indisprimary")
        return dict(cur.fetchall())


@pytest.fixture
def bulk(settings, monkeypatch, caplog):
    settings.IMPORT_BULK_MIN_ROWS = 5
    settings.IMPORT_BULK_LOCK_TIMEOUT_MS = 200
    monkeypatch.setattr(runner, "CHUNK_ROWS", 3)
    caplog.set_level(logging.INFO, logger="audiences.imports.bulk_indexes")
    return caplog


def rows(n: int, prefix: str = "B") -> list[list[str]]:
    return [["顧客番号", "氏名", "メール", "電話番号"]] + [
        [f"{prefix}{i:03d}", f"名前{i}", f"{prefix.lower()}{i}@example.jp", f"090-1{i:03d}-0000"] for i in range(n)]


def test_a_large_first_load_rebuilds_the_indexes_and_merges_the_same(run_csv, bulk):
    before = secondary_indexes()
    assert set(before) == {"aud_recipient_email", "aud_recipient_phone"}
    data = rows(10)
    data.append(["B002", "again", "again@example.jp", ""])   # repeated from an earlier chunk
    data.append(["B100", "bad e-mail", "nope", "080-1111-2222"])  # warning: imported without the e-mail
    data.append(["B101", "", "", ""])                       # no contact: rejected
    job = run_csv(data)
    assert_accounted(job)
    assert (job.records, job.created, job.updated, job.rejected, job.warnings) == (13, 11, 0, 2, 1)
    assert "bulk import: dropped" in bulk.text and "rebuilt 2 indexes" in bulk.text
    assert secondary_indexes() == before  # the same names and definitions, back before commit
    assert Recipient.objects.get(external_id="B002").email == "b2@example.jp"  # the first wins
    b100 = Recipient.objects.get(external_id="B100")
    assert (b100.email, b100.email_normalized, b100.phone, b100.phone_type) == ("", "", "+818011112222", "mobile")
    line = ImportIssue.objects.get(job=job, code="row.duplicate_key").line
    assert line == 12 and "4" in ImportIssue.objects.get(job=job, line=line).message
    # The rebuilt index is used: a lookup by phone does not read the whole table.
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN SELECT id FROM audiences_recipient WHERE phone = '+819010010000'")
        assert "aud_recipient_phone" in "\n".join(r[0] for r in cur.fetchall())


def test_a_second_import_into_a_larger_table_keeps_the_indexes(run_csv, bulk):
    run_csv(rows(20, "A"))
    bulk.clear()
    job = run_csv(rows(6, "A") + rows(2, "N")[1:], mode="upsert")
    assert_accounted(job)
    assert (job.created, job.updated) == (2, 6)
    assert "bulk import" not in bulk.text


def test_a_failed_bulk_import_leaves_table_and_indexes_as_they_were(run_csv, bulk, monkeypatch):
    before = secondary_indexes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner, "_check_and_complete", explode)
    job = run_csv(rows(10))
    assert job.status == "failed"
    assert "bulk import: dropped" in bulk.text
    assert secondary_indexes() == before
    assert Recipient.objects.count() == 0


def test_a_busy_table_is_not_waited_for(run_csv, bulk, settings):
    """Someone reading recipients holds a lock: the import goes on with the indexes in place."""
    conninfo = connection.get_connection_params()
    conninfo.pop("cursor_factory", None)
    with psycopg.connect(**conninfo) as reader:
        reader.execute("SELECT COUNT(*) FROM audiences_recipient")  # ACCESS SHARE until the transaction ends
        job = run_csv(rows(10))
    assert_accounted(job)
    assert job.created == 10
    assert "is in use" in bulk.text and "dropped" not in bulk.text


def test_issues_keep_every_character_through_copy(run_csv):
    """Issues are written with COPY on PostgreSQL: backslashes, tabs, line breaks and quotes survive."""
    odd = 'a\\b\tc\nd "e" \\N ①'
    job = run_csv([["external_id", "email", "phone", "note"], ["Q1", "", "", odd],
                   ["Q2", "not-an-email", "090-1234-5678", odd], ["Q3", "q3@example.jp", "", odd]])
    assert_accounted(job)
    got = {i.code: i.values for i in ImportIssue.objects.filter(job=job)}
    assert got == {"row.no_contact": ["Q1", "", "", odd], "email.invalid": ["Q2", "not-an-email", "090-1234-5678", odd]}
    assert Recipient.objects.get(external_id="Q3").attributes == {"note": odd}


def test_the_seen_filter_never_calls_a_repeated_number_new():
    from audiences.imports.bulk_indexes import SeenFilter

    seen = SeenFilter()
    keys = [f"C{i:09d}" for i in range(200_000)]
    fresh = [seen.add(k) for k in keys]
    assert not any(seen.add(k) for k in keys)  # every repeat is a "maybe": looked up, never inserted blind
    assert sum(fresh) > 0.99 * len(keys)  # and nearly every first sighting skips the lookup


@pytest.mark.parametrize("first_load", [True, False], ids=["copied-directly", "staged"])
def test_a_bulk_load_keeps_awkward_values_unchanged(run_csv, bulk, request, first_load):
    request.getfixturevalue("no_pages" if first_load else "with_pages")
    odd = 'a\\b\tc\nd "e" \\N {x,y} ①'
    number = 'Z"a\\b\tc\nd {x,y} \\N'  # customer numbers are NFKC-folded: this one is ASCII
    folded = "Ｃ＼Ｎ＂１"  # on an otherwise plain row; folds to C\N"1, which COPY must not read as an escape
    data = [["顧客番号", "氏名", "メール", "備考"]] + [[f"W{i}", f"名前{i}", f"w{i}@example.jp", ""] for i in range(6)]
    data += [[number, odd, "z@example.jp", odd], ["plain", "普通", "p@example.jp", odd]]
    data.append([number, "again", "again@example.jp", ""])  # repeats the awkward number: rejected
    data += [[folded, "全角", "f@example.jp", ""], ['C\\N"1', "again", "g@example.jp", ""]]  # the same number
    job = run_csv(data)
    assert_accounted(job)
    assert (job.created, job.rejected) == (9, 2)
    assert ("aud_recipient_external_id" in bulk.text.split("dropped", 1)[1]) is first_load
    z = Recipient.objects.get(external_id=number)
    assert (z.name, z.email, z.attributes) == (odd, "z@example.jp", {"備考": odd})
    assert Recipient.objects.get(external_id="plain").attributes == {"備考": odd}
    assert Recipient.objects.get(external_id='C\\N"1').name == "全角"
    dups = ImportIssue.objects.filter(job=job, code="row.duplicate_key").order_by("line")
    assert [(d.line, d.message) for d in dups] == [
        (14, duplicate_message(number, 8)),  # physical lines: quoted line breaks count
        (17, duplicate_message('C\\N"1', 16)),
    ]


def test_a_first_load_leaves_the_numbering_after_its_rows(run_csv, bulk, no_pages):
    """The rows copied directly are numbered by the import; the table's sequence goes on after them."""
    job = run_csv(messy(12))
    assert job.created == 15
    ids = sorted(Recipient.objects.values_list("id", flat=True))
    assert ids[-1] - ids[0] == len(ids) - 1  # one run of numbers (the set-aside rows come after)
    assert Recipient.objects.create(external_id="LATER").pk > ids[-1]
    assert set(job.audience_list.recipients.values_list("id", flat=True)) == set(ids)


def unique_constraints() -> dict[str, str]:
    with connection.cursor() as cur:
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'audiences_recipient'::regclass AND contype = 'u'")
        return dict(cur.fetchall())


def outcome(job) -> tuple:
    recipients = sorted(Recipient.objects.values_list("external_id", "name", "email", "phone", "last_import_id"))
    issues = sorted((i.line, i.code, i.message) for i in ImportIssue.objects.filter(job=job))
    members = set(job.audience_list.recipients.values_list("external_id", flat=True))
    return (job.records, job.created, job.updated, job.rejected, job.blank, job.warnings), recipients, issues, members


def messy(n: int) -> list[list[str]]:
    """Numbers repeated from earlier chunks, repeated twice, repeated within a chunk, bad contacts, blanks."""
    data = rows(n)
    data.insert(5, [])
    data += [["B002", "again", "again@example.jp", ""], ["B007", "again", "", "090-9999-0000"],
             ["B002", "third", "third@example.jp", ""], ["N001", "new", "n1@example.jp", ""],
             ["N001", "new again", "n1b@example.jp", ""], ["N002", "", "nope", "080-1111-2222"],
             ["N003", "", "", ""], ["N004", "last", "n4@example.jp", ""]]
    return data


@pytest.fixture
def with_pages(db):
    """A table that has held rows, now deleted: an import into it stages every row."""
    Recipient.objects.create(external_id="GONE").delete()
    with connection.cursor() as cur:  # fire the deferred foreign-key checks, as a commit would
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def no_pages(db):
    """A table with no pages, as on a first load: rows rolled back by earlier tests leave some."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE audiences_recipient CASCADE")  # inside the test's transaction


def test_into_an_empty_table_the_unique_index_waits_and_comes_back(run_csv, bulk, no_pages):
    before = unique_constraints()
    assert before == {"aud_recipient_external_id": "UNIQUE (external_id)"}
    job = run_csv(messy(12))
    assert_accounted(job)
    assert "aud_recipient_external_id" in bulk.text.split("dropped", 1)[1]
    assert "1 constraints" in bulk.text
    assert unique_constraints() == before
    dup = ImportIssue.objects.get(job=job, line=15)  # the second B002, named by its first line
    assert (dup.code, dup.message) == ("row.duplicate_key", duplicate_message("B002", 4))
    with pytest.raises(IntegrityError, match="aud_recipient_external_id"), transaction.atomic():
        Recipient.objects.create(external_id="B001")


@pytest.mark.parametrize("bits", [8, 1 << 24])
def test_rows_set_aside_until_the_index_is_back_merge_as_the_lookups_did(run_csv, bulk, monkeypatch, bits, no_pages,
                                                                         settings):
    """With an 8-bit filter nearly every row is a "maybe" and waits for the unique index, merged a
    few rows at a time; the outcome is the same as the ordinary path's, where every row is looked up."""
    from audiences.imports import bulk_indexes, writer_pg

    monkeypatch.setattr(bulk_indexes.SeenFilter, "BITS", bits)
    monkeypatch.setattr(writer_pg, "CHUNK", 4)
    monkeypatch.setattr(runner, "ENCODE_ROWS", 2)  # several filter batches per chunk
    job = run_csv(messy(15))
    assert_accounted(job)
    assert "bulk import: dropped" in bulk.text
    deferred = outcome(job)
    assert deferred[0] == (24, 18, 0, 5, 1, 1)

    # The same file through the ordinary path: no bulk load, every number looked up.
    Recipient.objects.all().delete()
    ImportIssue.objects.all().delete()
    settings.IMPORT_BULK_MIN_ROWS = 0
    again = run_csv(messy(15))
    ordinary = outcome(again)
    assert deferred[0] == ordinary[0]
    assert [r[:4] for r in deferred[1]] == [r[:4] for r in ordinary[1]]
    assert deferred[2] == ordinary[2] and deferred[3] == ordinary[3]


def test_a_failed_import_into_an_empty_table_keeps_its_unique_index(run_csv, bulk, monkeypatch, no_pages):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner, "_check_and_complete", explode)
    job = run_csv(messy(10))
    assert job.status == "failed"
    assert "aud_recipient_external_id" in bulk.text.split("dropped", 1)[1]
    assert unique_constraints() == {"aud_recipient_external_id": "UNIQUE (external_id)"}
    assert Recipient.objects.count() == 0


def test_a_table_emptied_by_delete_keeps_its_unique_index_through_the_load(run_csv, bulk, no_pages):
    """Deleted rows not yet vacuumed may hold HOT chains; an index rebuilt over them could not serve
    this transaction's lookups, so the unique index stays and every "maybe" row is looked up."""
    run_csv(rows(6, "D"))
    Recipient.objects.all().delete()
    with connection.cursor() as cur:  # fire the deferred foreign-key checks, as a commit would
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    bulk.clear()
    job = run_csv(messy(12))
    assert_accounted(job)
    assert (job.created, job.rejected) == (15, 5)
    dropped = bulk.text.split("dropped", 1)[1]
    assert "aud_recipient_email" in dropped and "aud_recipient_external_id" not in dropped
    assert "0 constraints" in bulk.text
    assert unique_constraints() == {"aud_recipient_external_id": "UNIQUE (external_id)"}


@pytest.mark.parametrize("first_load", [True, False], ids=["copied-directly", "staged"])
def test_a_header_with_quotes_backslashes_or_control_characters_names_attributes_exactly(run_csv, bulk, request,
                                                                                         first_load):
    """The keys are part of every row's attributes JSON, escaped as JSON; COPY must not read those escapes."""
    request.getfixturevalue("no_pages" if first_load else "with_pages")
    keys = ['n"o', "back\\slash", "tab\there", "ctl\x01"]
    data = [["external_id", "email", *keys]] + [[f"H{i}", f"h{i}@example.jp", "v", "w", "x", "y"] for i in range(8)]
    job = run_csv(data)
    assert job.status == "completed", job.error_message
    assert job.created == 8
    assert ("aud_recipient_external_id" in bulk.text.split("dropped", 1)[1]) is first_load
    assert Recipient.objects.get(external_id="H7").attributes == dict(zip(keys, ["v", "w", "x", "y"], strict=True))

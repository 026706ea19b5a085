"""Every import rule, with files generated here in both encodings, asserting the accounting identity."""

from __future__ import annotations

import json

import pytest

from audiences.imports import runner
from audiences.imports.headers import map_columns
from audiences.imports.parse import RowValidator
from audiences.models import AudienceList, ImportIssue, ImportJob, Membership, Recipient
from audiences.normalize import clean_email
from audit.models import AuditEvent

from .conftest import HEADER_JA, assert_accounted, csv_bytes

pytestmark = pytest.mark.django_db
ENCODINGS = ["utf-8", "cp932"]


def issues(job):
    return {(i.line, i.code): i for i in ImportIssue.objects.filter(job=job)}


@pytest.mark.parametrize("enc", ENCODINGS)
def test_valid_rows_are_created_with_normalised_contacts(run_csv, enc):
    job = run_csv([
        HEADER_JA,
        ["C001", "山田 太郎", " Taro@Example.CO.JP ", "090-1234-5678", "12000", "2025-07-01"],
        ["Ｃ００２", "佐藤 ㈱①～髙", "", "０８０－１２３４－５６７８", "0", "2025/07/02"],
        ["C003", "鈴木", "suzuki@example.jp", "03-1234-5678", "", ""],
    ], file_encoding=enc)
    assert_accounted(job)
    assert (job.records, job.created, job.updated, job.rejected, job.blank, job.warnings) == (3, 3, 0, 0, 0, 0)
    assert job.encoding == enc
    taro = Recipient.objects.get(external_id="C001")
    assert (taro.email, taro.email_normalized, taro.phone, taro.phone_type) == (
        "Taro@Example.CO.JP", "taro@example.co.jp", "+819012345678", "mobile")
    assert taro.attributes == {"未払金額": "12000", "支払期日": "2025-07-01"}
    sato = Recipient.objects.get(external_id="C002")  # full-width customer number folded
    assert sato.name == "佐藤 ㈱①～髙"  # Excel's characters survive unchanged
    assert (sato.email, sato.phone, sato.phone_type) == ("", "+818012345678", "mobile")
    assert Recipient.objects.get(external_id="C003").phone_type == "fixed_line"
    assert set(Membership.objects.values_list("recipient__external_id", flat=True)) == {"C001", "C002", "C003"}
    assert Recipient.objects.get(external_id="C001").last_import_id == job.pk


@pytest.mark.parametrize("enc", ENCODINGS)
def test_rejections_warnings_and_blank_lines_are_all_accounted_for(run_csv, enc):
    job = run_csv([
        HEADER_JA,                                                     # line 1
        ["C001", "山田", "taro@example.jp", "090-1234-5678", "1", "x"],  # 2 ok
        ["", "名無し", "anon@example.jp", "", "", ""],                   # 3 external_id.missing
        ["C003", "連絡先なし", "", "", "", ""],                          # 4 row.no_contact
        ["C004", "不正", "not-an-email", "12345", "", ""],               # 5 row.no_contact (both invalid)
        ["C005", "メール不正", "bad@", "090-2222-3333", "", ""],          # 6 warning email.invalid
        ["C006", "電話不正", "ok@example.jp", "090-12", "", ""],          # 7 warning phone.invalid
        ["C007", "列不足"],                                              # 8 row.column_count
        [],                                                            # 9 blank
        ["C001", "重複", "dup@example.jp", "", "", ""],                  # 10 row.duplicate_key (first: 2)
        ["", "", "", "", "", ""],                                      # 11 blank (only separators)
    ], file_encoding=enc)
    assert_accounted(job)
    assert (job.records, job.created, job.rejected, job.blank, job.warnings) == (10, 3, 5, 2, 2)
    found = issues(job)
    assert set(found) == {(3, "external_id.missing"), (4, "row.no_contact"), (5, "row.no_contact"),
                          (6, "email.invalid"), (7, "phone.invalid"), (8, "row.column_count"),
                          (10, "row.duplicate_key")}
    assert found[(6, "email.invalid")].severity == "warning"
    assert found[(8, "row.column_count")].severity == "error"
    assert "2" in found[(10, "row.duplicate_key")].message  # names the line of the first
    assert found[(10, "row.duplicate_key")].values[:3] == ["C001", "重複", "dup@example.jp"]
    assert found[(3, "external_id.missing")].values == ["", "名無し", "anon@example.jp", "", "", ""]
    c5 = Recipient.objects.get(external_id="C005")
    assert (c5.email, c5.phone) == ("", "+819022223333")  # imported without the bad field
    assert Recipient.objects.get(external_id="C001").name == "山田"  # the first occurrence wins


def test_quoted_fields_hold_commas_and_line_breaks_and_report_start_lines(run_csv):
    job = run_csv([
        ["external_id", "name", "email", "memo"],              # line 1
        ["A1", "Yamada, Taro", "a1@example.jp", "line one\nline two\nline three"],  # lines 2-4
        ["A2", "Sato", "bad-email", 'he said "hi"'],           # line 5: no contact
        ["A3", "Suzuki", "a3@example.jp", "tab\there"],         # line 6
    ])
    assert_accounted(job)
    assert (job.records, job.created, job.rejected) == (3, 2, 1)
    assert (5, "row.no_contact") in issues(job)
    a1 = Recipient.objects.get(external_id="A1")
    assert (a1.name, a1.attributes["memo"]) == ("Yamada, Taro", "line one\nline two\nline three")
    assert Recipient.objects.get(external_id="A3").attributes["memo"] == "tab\there"


def test_tab_separated_with_english_headers_in_any_case(run_csv):
    job = run_csv([["Customer_ID", "NAME", "Mobile", "Branch"], ["T1", "Tab", "09012345678", "本店"]],
                  delimiter="\t")
    assert_accounted(job)
    r = Recipient.objects.get(external_id="T1")
    assert (r.name, r.phone, r.attributes) == ("Tab", "+819012345678", {"Branch": "本店"})
    assert job.delimiter == "\t"


@pytest.mark.parametrize(("header", "code"), [
    (["name", "email"], "file.no_external_id_column"),
    (["会員番号", "氏名"], "file.no_contact_column"),
])
def test_missing_columns_fail_the_whole_file(run_csv, header, code):
    job = run_csv([header, ["1", "x"]])
    assert (job.status, job.error_code) == ("failed", code)
    assert Recipient.objects.count() == 0


def test_undecodable_file_fails_with_a_clear_code(run_csv):
    job = run_csv(raw=b"\xef\xbb\xbfexternal_id,email\r\n1,\x82\xff@example.jp\r\n")
    assert (job.status, job.error_code) == ("failed", "file.encoding")


def test_upsert_updates_existing_recipients_and_keeps_fields_the_file_does_not_carry(run_csv):
    run_csv([["顧客番号", "氏名", "メール", "電話番号", "支店"],
             ["U1", "旧姓", "old@example.jp", "090-1111-2222", "本店"]])
    job = run_csv([["顧客番号", "メール", "ランク"], ["U1", "NEW@example.jp", "gold"],
                   ["U2", "u2@example.jp", "silver"]], list_name="list-b")
    assert_accounted(job)
    assert (job.created, job.updated) == (1, 1)
    u1 = Recipient.objects.get(external_id="U1")
    assert (u1.name, u1.email_normalized, u1.phone) == ("旧姓", "new@example.jp", "+819011112222")
    assert u1.attributes == {"支店": "本店", "ランク": "gold"}  # merged
    assert set(u1.lists.values_list("name", flat=True)) == {"list-a", "list-b"}


def test_replace_makes_the_members_exactly_the_files_valid_rows(run_csv):
    run_csv([["external_id", "email"], ["R1", "r1@example.jp"], ["R2", "r2@example.jp"], ["R3", "r3@example.jp"]])
    run_csv([["external_id", "email"], ["R9", "r9@example.jp"]], list_name="other")
    job = run_csv([["external_id", "email"], ["R2", "r2@example.jp"], ["R4", "r4@example.jp"], ["R5", "bad"]],
                  mode="replace")
    assert_accounted(job)
    assert (job.created, job.updated, job.rejected, job.removed) == (1, 1, 1, 2)
    members = set(AudienceList.objects.get(name="list-a").recipients.values_list("external_id", flat=True))
    assert members == {"R2", "R4"}
    assert Recipient.objects.filter(external_id__in=["R1", "R3"]).count() == 2  # recipients stay, membership goes
    assert set(AudienceList.objects.get(name="other").recipients.values_list("external_id", flat=True)) == {"R9"}


def test_a_failed_import_leaves_the_list_as_it_was(run_csv, monkeypatch):
    run_csv([["external_id", "email"], ["F1", "f1@example.jp"]])
    before = list(Recipient.objects.values_list("external_id", "email"))

    def explode(*args, **kwargs):  # after every row was written, before commit
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner, "_check_and_complete", explode)
    job = run_csv([["external_id", "email"], ["F1", "changed@example.jp"], ["F2", "f2@example.jp"]],
                  mode="replace")
    assert (job.status, job.error_code) == ("failed", "import.error")
    assert list(Recipient.objects.values_list("external_id", "email")) == before
    assert set(AudienceList.objects.get(name="list-a").recipients.values_list("external_id", flat=True)) == {"F1"}
    assert AuditEvent.objects.filter(action="import.failed", object_id=str(job.pk)).exists()


def test_a_cancelled_import_leaves_the_list_as_it_was(db, write_csv, monkeypatch):
    from audiences.services import import_create

    monkeypatch.setattr(runner, "CHUNK_ROWS", 5)
    rows = [["external_id", "email"]] + [[f"K{i}", f"k{i}@example.jp"] for i in range(40)]
    job = import_create(path=write_csv(rows), list_name="cancel-me", actor="tester", queue=False)
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job = runner.run_import(job.pk)
    assert job.status == "cancelled"
    assert Recipient.objects.count() == 0
    assert AuditEvent.objects.filter(action="import.cancelled", object_id=str(job.pk)).exists()


def test_cancelling_a_pending_import_stops_it_before_it_starts(db, write_csv, make_user):
    from audiences.services import import_cancel, import_create

    job = import_create(path=write_csv([["external_id", "email"], ["P1", "p@example.jp"]]), list_name="p",
                        actor="tester", queue=False)
    job = import_cancel(job=job, user=make_user("operator"))
    assert job.status == "cancelled"
    assert runner.run_import(job.pk).status == "cancelled"  # a late task does nothing
    assert Recipient.objects.count() == 0


def test_many_rows_across_chunks(run_csv, monkeypatch):
    monkeypatch.setattr(runner, "CHUNK_ROWS", 7)
    monkeypatch.setattr(runner, "ENCODE_ROWS", 3)  # a chunk is encoded in batches
    rows = [HEADER_JA] + [[f"M{i:04d}", f"名前{i}", f"m{i}@example.jp", f"090{i:08d}", str(i), "2025-01-01"]
                          for i in range(200)]
    rows[50] = ["M0010", "dup", "x@example.jp", "", "", ""]
    rows.insert(120, [])
    job = run_csv(rows)
    assert_accounted(job)
    assert (job.records, job.created, job.rejected, job.blank) == (201, 199, 1, 1)
    assert job.rows_done == job.records == job.rows_total


def test_import_writes_audit_events_with_counts(run_csv):
    job = run_csv([["external_id", "email"], ["E1", "e1@example.jp"], ["E2", "bad"]])
    created = AuditEvent.objects.get(action="import.created", object_id=str(job.pk))
    done = AuditEvent.objects.get(action="import.completed", object_id=str(job.pk))
    assert created.actor == done.actor == "tester"
    assert (done.details["records"], done.details["created"], done.details["rejected"]) == (2, 1, 1)
    assert done.details["list"] == "list-a"


def test_csv_bytes_helper_writes_cp932():
    assert csv_bytes([["①"]], encoding="cp932") == "①\r\n".encode("cp932")


def test_an_invalid_contact_keeps_the_stored_one_and_leaves_nothing_behind(run_csv, monkeypatch):
    monkeypatch.setattr(runner, "CHUNK_ROWS", 2)
    run_csv([["external_id", "email", "phone"], ["K1", "k1@example.jp", "090-1111-2222"]])
    job = run_csv([
        ["external_id", "email", "phone"],
        ["K1", "broken@", "080-3333-4444"],      # existing: e-mail kept, phone replaced
        ["K2", "k2@example.jp", "12"],           # new: phone left empty
        ["K3", "nope", "090-5555-6666"],         # new: e-mail left empty
        ["K1", "again@example.jp", ""],          # repeated from the first chunk
        ["K2", "", ""],                          # repeated (and would have no contact anyway)
    ])
    assert_accounted(job)
    assert (job.created, job.updated, job.rejected, job.warnings) == (2, 1, 2, 3)
    k1, k2, k3 = (Recipient.objects.get(external_id=x) for x in ("K1", "K2", "K3"))
    assert (k1.email, k1.phone) == ("k1@example.jp", "+818033334444")
    assert (k2.email, k2.phone, k2.phone_type) == ("k2@example.jp", "", "unknown")
    assert (k3.email, k3.email_normalized, k3.phone) == ("", "", "+819055556666")
    codes = {(i.line, i.code) for i in ImportIssue.objects.filter(job=job)}
    assert (5, "row.duplicate_key") in codes
    assert not Recipient.objects.filter(email__contains="\x01").exists()
    assert not Recipient.objects.filter(phone__contains="\x01").exists()
    assert not Recipient.objects.filter(phone_type__contains="\x01").exists()


def test_overlong_names_are_shortened_with_a_warning(run_csv):
    job = run_csv([["external_id", "name", "email"], ["L1", "長" * 1001, "l1@example.jp"]])
    assert_accounted(job)
    assert (job.created, job.warnings) == (1, 1)
    assert ImportIssue.objects.get(job=job).code == "name.too_long"
    assert len(Recipient.objects.get(external_id="L1").name) == 1000


def test_a_job_whose_worker_died_can_be_claimed_again_later(db, write_csv):
    import datetime as dt

    from django.utils import timezone

    from audiences.services import import_create

    job = import_create(path=write_csv([["external_id", "email"], ["S1", "s@example.jp"]]), list_name="s",
                        actor="t", queue=False)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    assert runner.run_import(job.pk).status == "running"  # a second delivery while it really runs: no-op
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(hours=2))
    job = runner.run_import(job.pk)
    assert job.status == "completed" and job.created == 1


def test_beat_resends_stale_imports(db, write_csv):
    import datetime as dt

    from django.utils import timezone

    from audiences.imports.tasks import requeue_stale_imports
    from audiences.services import import_create

    job = import_create(path=write_csv([["external_id", "email"], ["B1", "b@example.jp"]]), list_name="b",
                        actor="t", queue=False)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now() - dt.timedelta(hours=2))
    assert requeue_stale_imports() == 1  # eager in tests: the import runs
    assert ImportJob.objects.get(pk=job.pk).status == "completed"


VALIDATOR_HEADER = ["external_id", "name", "email", "phone", "金額", 'say "hi"', "{x} %s", "back\\slash"]
PLAIN_HEADER = ["external_id", "name", "email", "phone", "金額", "支店", "{x} %s", "備考"]


@pytest.mark.parametrize("header", [VALIDATOR_HEADER, PLAIN_HEADER], ids=["awkward-keys", "plain-keys"])
@pytest.mark.parametrize("values", [
    ["1", "0", "x", "y"],
    ["①㈱～髙", "佐藤\u3000花子", "", "é\x7f"],  # not printable (U+3000) but nothing to escape
    ['a "quoted" word', "x", "y", "z"],
    ["tab\there", "line\nbreak", "back\\slash", "\x00"],
    ["\u2028", "\xa0", "{0}", "%(x)s"],
])
def test_validator_attributes_are_the_json_of_the_other_columns(values, header):
    validator = RowValidator(map_columns(header), "JP")
    row = ["V1", "名前", "v@example.jp", "090-1234-5678", *values]
    staged, issues = validator.validate(row, 2)
    assert issues == []
    assert json.loads(staged[12]) == dict(zip(header[4:], values, strict=True))
    assert staged[12] == json.dumps(dict(zip(header[4:], values, strict=True)), ensure_ascii=False)
    # Clean: nothing JSON or COPY escapes, in the row's values or in the keys its attributes JSON spells out.
    escaped = '"\\' + "".join(map(chr, range(32)))
    assert staged[13] == (not any(ch in escaped for ch in "".join(row + header[4:])))


@pytest.mark.parametrize("header", [["external_id", "email"], ["external_id", "email", "only"]])
def test_validator_attributes_with_no_or_one_other_column(header):
    staged, _ = RowValidator(map_columns(header), "JP").validate(["V1", "v@example.jp", "値"][:len(header)], 2)
    assert staged[12] == ('{"only": "値"}' if len(header) == 3 else "{}")


@pytest.mark.parametrize("raw", [
    "taro@example.jp", "Taro.Yamada+tag@Example.CO.JP", "a@b.c", "x@y", "@example.jp", "a@@example.jp", "a@-b.jp",
    "a@b-.jp", "a@b..jp", "a@" + "b" * 63 + ".jp", "a@" + "b" * 64 + ".jp", "a b@example.jp", "a@example.jp.",
    "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "太郎@example.jp", "a@例え.jp", "o'neil@example.jp", "a@b@example.jp",
    "x" * 242 + "@example.jp", "x" * 243 + "@example.jp", "user@xn--eckwd4c7c.jp",
])
def test_validator_emails_agree_with_clean_email(raw):
    staged, issues = RowValidator(map_columns(["external_id", "email", "phone"]), "JP").validate(
        ["V1", raw, "090-1234-5678"], 2)
    expected = clean_email(raw)
    assert (staged[4], staged[5]) == ((expected, expected.lower()) if expected else ("", ""))
    assert [i.code for i in issues] == ([] if expected else ["email.invalid"])


@pytest.mark.parametrize("explicit", ["auto", "cp932"])
def test_a_bad_byte_past_the_checked_start_fails_the_import_naming_its_line(run_csv, monkeypatch, explicit):
    """Detection decodes a CP932 file's first MiB only (here: 64 bytes); the parser meets the bad
    byte ~40 KB in, after chunks were merged, and the import fails with the same code, keeps none of
    the rows or issues of the lines before it, and names the line."""
    from audiences.imports import detect
    from audiences.imports.progress import ProgressReporter

    monkeypatch.setattr(detect, "CHUNK", 64)
    monkeypatch.setattr(detect, "CP932_CHECKED_BYTES", 64)
    monkeypatch.setattr(runner, "CHUNK_ROWS", 50)
    reports = []
    report = ProgressReporter.report
    monkeypatch.setattr(ProgressReporter, "report", lambda self, **kw: reports.append(kw) or report(self, **kw))
    good = "".join(f"K{i},山田{i},k{i}@example.jp\r\n" for i in range(1000)).encode("cp932")
    warned = "W1,警告,not-an-email\r\nW2,電話,090-1234-5678\r\n".encode("cp932")
    raw = "顧客番号,氏名,メール\r\n".encode("cp932") + warned + good + b"K99,\x82\xff,bad@example.jp\r\n" + good
    job = run_csv(raw=raw, encoding=explicit)
    assert (job.status, job.error_code) == ("failed", "file.encoding")
    assert "CP932" in job.error_message and "line 1004" in job.error_message
    assert len(reports) >= 10  # the parser got that far: twenty chunks of 50 were merged first
    assert Recipient.objects.count() == 0
    assert not ImportIssue.objects.filter(job=job).exists()  # nor the warning of line 2
    assert not AudienceList.objects.filter(name="list-a", recipients__isnull=False).exists()


def test_a_file_that_is_neither_says_so_with_the_line(run_csv, monkeypatch):
    """Not UTF-8 (so CP932 is guessed), and a byte further on that CP932 cannot decode either."""
    from audiences.imports import detect

    monkeypatch.setattr(detect, "CHUNK", 64)
    monkeypatch.setattr(detect, "CP932_CHECKED_BYTES", 64)
    rows = b"".join(b"A%d,a%d@example.jp\r\n" % (i, i) for i in range(2000))
    job = run_csv(raw=b"external_id,email\r\n" + rows + b"B1,\x82\xff@example.jp\r\n")
    assert (job.status, job.error_code) == ("failed", "file.encoding")
    assert job.error_message == f"{detect.NEITHER} (line 2002)"


def test_lines_ended_by_a_lone_cr_count_as_the_reader_counts_them(tmp_path):
    from audiences.imports.detect import Detected, undecodable

    path = tmp_path / "f.csv"
    path.write_bytes(b"id,email\r\n1,a@example.jp\r2,b@example.jp\n3,\x82\xff\r\n")
    problem = undecodable(path, Detected("cp932", "cp932", 3))
    assert problem.message == "The file is not valid CP932 (Shift_JIS as Windows writes it) from line 4 on."
    path.write_bytes(b"id,email\r\n1,a@example.jp\r\n")
    assert undecodable(path, Detected("cp932", "cp932", 2)) is None  # the error was not the file's

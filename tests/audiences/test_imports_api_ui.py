"""Imports from the API, the pages and the CLI; the error report; the upload size limit."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from audiences.models import ImportJob, Recipient

from .conftest import HEADER_JA, csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    HEADER_JA,
    ["C1", "山田 ㈱", "taro@example.jp", "090-1234-5678", "1000", "2025-07-01"],
    ["C2", "=cmd|' /C calc'!A0", "bad-email", "12", "0", ""],
    ["C3", "佐藤", "hanako@example", "080-1234-5678", "0", ""],
    [],
]


def report_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_api_upload_cp932_then_poll(client, make_user, token_for, django_capture_on_commit_callbacks):
    headers = {"Authorization": f"Bearer {token_for(make_user('operator'))}"}
    upload = SimpleUploadedFile("顧客.csv", csv_bytes(ROWS, encoding="cp932"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports", {"file": upload, "list": "督促 7月", "mode": "upsert"},
                               headers=headers)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    status = client.get(f"/api/v1/imports/{job_id}", headers=headers).json()
    assert status["status"] == "completed" and status["percent"] == 100
    assert (status["records"], status["created"], status["updated"], status["rejected"], status["blank"],
            status["warnings"]) == (4, 2, 0, 1, 1, 1)
    assert status["encoding"] == "cp932" and status["list"] == "督促 7月"
    assert Recipient.objects.get(external_id="C1").name == "山田 ㈱"
    rows = report_rows(client.get(f"/api/v1/imports/{job_id}/errors.csv", headers=headers))
    assert rows[0][:4] == ["line", "severity", "code", "message"] and rows[0][4:] == HEADER_JA
    assert [(r[0], r[2]) for r in rows[1:]] == [("3", "row.no_contact"), ("4", "email.invalid")]
    assert rows[1][5] == "'=cmd|' /C calc'!A0"  # formula neutralised


def test_api_rejects_bad_mode_and_oversized_files(client, make_user, token_for, settings):
    headers = {"Authorization": f"Bearer {token_for(make_user('operator'))}"}
    bad = client.post("/api/v1/imports", {"file": SimpleUploadedFile("a.csv", b"external_id\n1\n"), "list": "x",
                                          "mode": "merge"}, headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (400, "import.bad_mode")
    settings.IMPORT_MAX_BYTES = 10
    big = client.post("/api/v1/imports", {"file": SimpleUploadedFile("a.csv", b"x" * 100), "list": "x"},
                      headers=headers)
    assert (big.status_code, big.json()["code"]) == (413, "file.too_large")
    assert not ImportJob.objects.exists()


def test_ui_upload_shows_progress_page_counts_and_report(client_for, make_user, django_capture_on_commit_callbacks):
    client = client_for(make_user("operator"))
    assert client.get("/audiences/imports/").status_code == 200
    upload = SimpleUploadedFile("list.csv", csv_bytes(ROWS, encoding="cp932"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/audiences/imports/", {"file": upload, "list": "L", "mode": "replace",
                                                       "encoding": "cp932"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/audiences/imports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-progress"' in page and f"/audiences/imports/{job.pk}/status/" in page
    status = client.get(f"/audiences/imports/{job.pk}/status/").json()
    assert (status["status"], status["percent"], status["created"], status["rejected"]) == ("completed", 100, 2, 1)
    report = client.get(f"/audiences/imports/{job.pk}/errors.csv")
    assert report["Content-Disposition"].startswith("attachment")
    assert len(report_rows(report)) == 3


def test_ui_refuses_an_oversized_upload_before_any_work(client_for, make_user, settings):
    settings.IMPORT_MAX_BYTES = 1000
    client = client_for(make_user("operator"))
    big = SimpleUploadedFile("big.csv", b"external_id,email\n" + b"1,a@example.jp\n" * 10_000)
    response = client.post("/audiences/imports/", {"file": big, "list": "L"})
    assert response.status_code == 413  # by its declared length, in RequestLimitsMiddleware
    assert not ImportJob.objects.exists()


def test_cancel_button(client_for, make_user, write_csv):
    from audiences.services import import_create

    job = import_create(path=write_csv([["external_id", "email"], ["1", "a@example.jp"]]), list_name="L",
                        actor="t", queue=False)
    client = client_for(make_user("operator"))
    assert client.post(f"/audiences/imports/{job.pk}/cancel/").status_code == 302
    assert ImportJob.objects.get(pk=job.pk).status == "cancelled"


def test_cli_prints_a_json_summary_last(write_csv):
    path = write_csv(ROWS, encoding="cp932")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_recipients", str(path), "--list", "CLI", "--quiet", stdout=out, stderr=err)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert {k: summary[k] for k in ("records", "created", "updated", "rejected", "blank", "warnings")} == {
        "records": 4, "created": 2, "updated": 0, "rejected": 1, "blank": 1, "warnings": 1}
    assert summary["status"] == "completed" and summary["encoding"] == "cp932"
    job = ImportJob.objects.get()
    assert job.created_by.startswith("cli:")


def test_cli_fails_loudly_on_a_bad_file(write_csv):
    from django.core.management.base import CommandError

    path = write_csv([["name", "email"], ["x", "a@example.jp"]])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_recipients", str(path), "--list", "CLI", "--quiet", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["error_code"] == "file.no_external_id_column"

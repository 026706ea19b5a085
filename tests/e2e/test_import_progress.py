"""An operator imports a CP932 CSV in Chromium, watches the progress bar reach 100 %, reads the counts
and downloads the error report."""

from __future__ import annotations

import csv
import io

import pytest

from audiences.imports.runner import run_import
from audiences.models import ImportJob, Recipient
from audiences.services import import_create
from tests.audiences.conftest import csv_bytes
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    ["顧客番号", "氏名", "メールアドレス", "携帯電話番号", "未払金額", "支払期日"],
    ["K0001", "山田 ㈱①", "taro@example.jp", "090-1234-5678", "12000", "2025-07-01"],
    ["K0002", "髙橋 ～", "", "０８０－２２２２－３３３３", "500", "2025-07-02"],
    ["K0003", "連絡先なし", "", "", "0", ""],
    ["K0004", "=HYPERLINK(\"x\")", "bad@", "03-1234-5678", "0", ""],
    ["K0001", "重複", "dup@example.jp", "", "", ""],
    [],
]


@pytest.fixture
def operator(make_user, settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return make_user("operator", username="op")


def test_operator_uploads_cp932_and_downloads_the_error_report(live_server, page, operator, screenshot, tmp_path):
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/status/" in request.url else None)
    sign_in(page, live_server.url, "op", PASSWORD)
    page.click("nav.mainnav a[data-nav='audiences:imports']")
    page.set_input_files("#id_file", files=[{"name": "督促リスト.csv", "mimeType": "text/csv",
                                             "buffer": csv_bytes(ROWS, encoding="cp932")}])
    page.fill("#id_list", "7月督促")
    screenshot("form")
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/audiences/imports/*/")
    page.wait_for_selector("#import-progress[data-final='1']")
    page.wait_for_function("() => document.getElementById('imp-bar').getAttribute('aria-valuenow') === '100'")
    assert page.locator("#imp-percent").inner_text() == "100"
    counts = {k: page.locator(f"#imp-{k}").inner_text() for k in
              ("records", "created", "updated", "rejected", "blank", "warnings")}
    assert counts == {"records": "6", "created": "3", "updated": "0", "rejected": "2", "blank": "1", "warnings": "1"}
    assert page.locator("#imp-status").inner_text() == "完了"
    assert polls, "the page polls the JSON status endpoint"
    screenshot("done")
    with page.expect_download() as download:
        page.click("#imp-report")
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))  # noqa: SIM115
    assert rows[0] == ["line", "severity", "code", "message"] + ROWS[0]
    assert [(r[0], r[2]) for r in rows[1:]] == [("4", "row.no_contact"), ("5", "email.invalid"),
                                                ("6", "row.duplicate_key")]
    assert rows[2][5] == "'=HYPERLINK(\"x\")"  # neutralised
    assert Recipient.objects.get(external_id="K0001").name == "山田 ㈱①"
    assert Recipient.objects.get(external_id="K0002").name == "髙橋 ～"


def test_the_bar_follows_a_job_run_by_a_worker(live_server, page, operator, screenshot, tmp_path):
    rows = [ROWS[0]] + [[f"W{i:05d}", f"名前{i}", f"w{i}@example.jp", f"090{i:08d}", "1", "2025-07-01"]
                        for i in range(1, 3001)]
    path = tmp_path / "worker.csv"
    path.write_bytes(csv_bytes(rows, encoding="cp932"))
    job = import_create(path=path, list_name="worker", actor="op", queue=False)
    sign_in(page, live_server.url, "op", PASSWORD)
    page.goto(f"{live_server.url}/audiences/imports/{job.pk}/")
    assert float(page.locator("#imp-bar").get_attribute("aria-valuenow")) == 0
    assert page.locator("#import-progress").get_attribute("data-final") == "0"
    screenshot("waiting")
    job = run_import(job.pk)  # what the Celery worker does; the page only polls
    assert job.status == ImportJob.Status.COMPLETED
    page.wait_for_function("() => document.getElementById('imp-bar').getAttribute('aria-valuenow') === '100'")
    page.wait_for_selector("#import-progress[data-final='1']")
    assert page.locator("#imp-created").inner_text() == str(job.created)
    assert page.locator("#imp-cancel").count() == 0
    screenshot("finished")

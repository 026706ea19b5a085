"""After an import, an operator builds the dunning segment in Chromium and watches the live count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audiences.imports.runner import run_import
from audiences.models import Segment
from audiences.services import import_create
from tests.audiences.conftest import csv_bytes
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_builds_the_dunning_segment_with_a_live_count(live_server, page, make_user, screenshot, tmp_path,
                                                                settings):
    settings.IMPORT_DIR = tmp_path / "imports"
    make_user("operator", username="op")
    soon = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    later = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    rows = [["顧客番号", "氏名", "携帯電話番号", "unpaid_amount", "due_date"],
            ["D1", "督促 一郎", "090-1111-0001", "12,000", soon],
            ["D2", "支払済 花子", "090-1111-0002", "0", soon],
            ["D3", "先の 三郎", "090-1111-0003", "5000", later]]
    path = tmp_path / "dunning.csv"
    path.write_bytes(csv_bytes(rows, encoding="cp932"))
    assert run_import(import_create(path=path, list_name="督促", actor="op", queue=False).pk).created == 3

    sign_in(page, live_server.url, "op", PASSWORD)
    page.click("nav.mainnav a[data-nav='audiences:segments']")
    page.click("a[href$='/segments/new/']")
    page.wait_for_function("() => document.getElementById('seg-count').textContent === '3'")
    page.click("#seg-example")
    page.wait_for_function("() => document.getElementById('seg-count').textContent === '1'")
    assert page.locator("#seg-preview tbody tr").count() == 1
    assert "督促 一郎" in page.locator("#seg-preview").inner_text()
    page.fill("#seg-name", "3日以内の督促")
    screenshot("builder")
    page.click("#segment-form button[type=submit]")
    page.wait_for_url("**/audiences/segments/*/")
    segment = Segment.objects.get()
    assert segment.name == "3日以内の督促"
    assert [r["op"] for r in segment.rules["rules"]] == ["gt", "within_days"]

"""An auditor filters the audit log by campaign and downloads the CSV; an operator is refused the page."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest

from audit.models import AuditEvent
from audit.services import Event, record_many
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _campaign_events(campaign_id: int, n: int) -> None:
    record_many([
        Event(action="send.sent", actor="system:worker@e2e", campaign_id=campaign_id, channel="sms",
              address=f"+8190{i:08d}", outcome="sent", details={"n": i})
        for i in range(n)
    ])


def test_an_auditor_filters_by_campaign_and_reads_back_the_csv(live_server, page, make_user, screenshot):
    make_user("auditor", username="kansa")
    _campaign_events(42, 37)
    _campaign_events(43, 12)
    sign_in(page, live_server.url, "kansa", PASSWORD)
    page.click("nav.mainnav a[data-nav='audit:events']")
    page.fill("#audit-filters input[name=campaign]", "42")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url("**campaign=42**")
    assert page.locator("table.audit-events tbody tr[data-event]").count() == 37
    screenshot("filtered")

    with page.expect_download() as info:
        page.click("a[data-export=csv]")
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == 37 and {row["campaign_id"] for row in rows} == {"42"}
    assert rows[0]["address"].startswith("'+8190")  # neutralised for Excel
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor == "kansa" and exported.details["rows"] == 37
    assert exported.details["sha256"] == hashlib.sha256(data).hexdigest()
    assert info.value.suggested_filename == exported.details["filename"]


def test_an_operator_is_refused_the_audit_pages(live_server, page, make_user):
    make_user("operator", username="sousa")
    sign_in(page, live_server.url, "sousa", PASSWORD)
    assert page.locator("nav.mainnav a[data-nav^='audit:']").count() == 0
    for path in ("/audit/events/", "/audit/events/export/?campaign=42", "/audit/integrity/", "/audit/deliveries/"):
        response = page.goto(live_server.url + path)
        assert response.status == 403, path

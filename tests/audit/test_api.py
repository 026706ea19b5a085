"""GET /api/v1/audit/events and /api/v1/audit/export: the page's search and export for programs."""

from __future__ import annotations

import hashlib

import pytest

from audit.models import AuditEvent
from tests.audit.conftest import body, read_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(auditor, token_for):
    return {"Authorization": f"Bearer {token_for(auditor)}"}


def test_events_are_paged_newest_first_with_a_cursor(client, bearer, write_events):
    write_events(7, campaign_id=5)
    write_events(2, campaign_id=6)
    first = client.get("/api/v1/audit/events?campaign=5&limit=5", headers=bearer).json()
    second = client.get(f"/api/v1/audit/events?campaign=5&limit=5&before={first['next_before']}",
                        headers=bearer).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(ids) == 7 == len(set(ids)) and second["next_before"] is None
    assert ids == sorted(ids, reverse=True)
    assert first["items"][0]["campaign_id"] == 5 and "details" in first["items"][0]


def test_a_bad_filter_is_a_400_with_a_code(client, bearer):
    response = client.get("/api/v1/audit/events?from=tomorrow", headers=bearer)
    assert response.status_code == 400 and response.json()["code"] == "filter.bad_date"


def test_export_answers_the_file_with_its_manifest_headers(client, bearer, auditor, write_events):
    write_events(4, campaign_id=5)
    response = client.get("/api/v1/audit/export?campaign=5", headers=bearer)
    data = body(response)
    assert response.status_code == 200
    assert response["X-Export-SHA256"] == hashlib.sha256(data).hexdigest()
    assert response["X-Export-Rows"] == "4" == str(len(read_csv(data)))
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.actor == auditor.username and event.details["rows"] == 4


def test_export_refuses_an_unknown_format(client, bearer):
    response = client.get("/api/v1/audit/export?format=xml", headers=bearer)
    assert response.status_code == 400 and response.json()["code"] == "export.bad_format"

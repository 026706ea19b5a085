"""The integrity page: the last verdict of the seal chain, and a broken seal shown loudly."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.integrity import VERIFIED, integrity_status
from audit.models import AuditEvent
from audit.sealing import seal_pending
from audit.triggers import install_sql, remove_sql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_seal_delay(settings):
    settings.AUDIT_SEAL_DELAY_S = 0


def _sealed(write_events, seals: int = 2):
    for _ in range(seals):
        write_events(5)
        seal_pending()


def _tamper(sql: str) -> None:
    with connection.cursor() as cursor:
        for statement in remove_sql(connection.vendor, "audit_auditevent"):
            cursor.execute(statement)
        cursor.execute(sql)
        for statement in install_sql(connection.vendor, "audit_auditevent"):
            cursor.execute(statement)


def test_before_any_verification_the_page_says_so(auditor_client):
    page = auditor_client.get("/audit/integrity/").content
    assert b'data-verdict="none"' in page


def test_verify_audit_records_its_verdict_which_the_page_shows(auditor_client, write_events):
    _sealed(write_events)
    call_command("verify_audit")
    verdict = AuditEvent.objects.get(action=VERIFIED)
    assert (verdict.actor, verdict.outcome, verdict.details["seals_checked"]) == ("system:cli", "ok", 2)
    page = auditor_client.get("/audit/integrity/").content.decode()
    assert 'data-verdict="ok"' in page
    last = verdict.details["last_good_seal"]
    assert f"#{last['id']}" in page and str(last["last_event_id"]) in page


def test_a_broken_seal_is_shown_loudly(auditor_client, write_events):
    _sealed(write_events, seals=3)
    victim = AuditEvent.objects.order_by("id")[6]
    _tamper(f"UPDATE audit_auditevent SET actor = 'mallory' WHERE id = {victim.id}")
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert integrity_status().broken
    page = auditor_client.get("/audit/integrity/").content.decode()
    assert 'data-verdict="broken"' in page and 'role="alert"' in page
    broken = AuditEvent.objects.get(action=VERIFIED).details["broken_seal"]
    assert broken["first_event_id"] <= victim.id <= broken["last_event_id"]
    assert f"#{broken['id']}" in page


def test_verify_now_runs_the_verification_and_records_who_asked(
    auditor_client, auditor, write_events, django_capture_on_commit_callbacks
):
    _sealed(write_events)
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post("/audit/integrity/verify/")
    assert response.status_code == 302 and response["Location"] == "/audit/integrity/"
    verdict = AuditEvent.objects.get(action=VERIFIED)
    assert (verdict.actor, verdict.outcome) == (auditor.username, "ok")
    assert b'data-verdict="ok"' in auditor_client.get("/audit/integrity/").content


def test_the_page_counts_events_not_sealed_yet(auditor_client, write_events):
    _sealed(write_events, seals=1)
    write_events(4)
    status = integrity_status()
    assert status.unsealed_events == 4 and status.seal_count == 1


def test_the_retention_policy_is_shown(auditor_client, settings):
    settings.AUDIT_RETENTION_DAYS, settings.RECIPIENT_DATA_RETENTION_DAYS = 4000, 700
    page = auditor_client.get("/audit/integrity/").content.decode()
    assert "4000" in page and "700" in page


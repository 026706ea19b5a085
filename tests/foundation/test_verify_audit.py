"""Seals chain the audit table; verify_audit names the first range altered behind the triggers' back."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.sealing import seal_pending, verify_chain
from audit.services import record
from audit.triggers import install_sql, remove_sql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_seal_delay(settings):
    settings.AUDIT_SEAL_DELAY_S = 0


def _tamper(sql: str) -> None:
    """What an attacker with the owner's rights could do: switch the triggers off, edit, switch back."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for statement in remove_sql(vendor, "audit_auditevent"):
            cursor.execute(statement)
        cursor.execute(sql)
        for statement in install_sql(vendor, "audit_auditevent"):
            cursor.execute(statement)


def _three_seals():
    events = []
    for batch in range(3):
        events += [record(action="test.event", actor=f"user{batch}", details={"n": i}) for i in range(5)]
        seal_pending()
    return events


def test_verify_audit_passes_on_an_intact_log(capsys):
    _three_seals()
    call_command("verify_audit")
    assert "OK: 3 seals, 15 events verified" in capsys.readouterr().out


def test_verify_audit_names_the_first_range_with_a_changed_row():
    events = _three_seals()
    _tamper(f"UPDATE audit_auditevent SET actor = 'mallory' WHERE id = {events[7].pk}")
    with pytest.raises(CommandError) as info:
        call_command("verify_audit")
    message = str(info.value)
    assert f"events {events[5].pk}–{events[9].pk}" in message
    assert "changed" in message


def test_verify_audit_notices_a_deleted_row():
    events = _three_seals()
    _tamper(f"DELETE FROM audit_auditevent WHERE id = {events[12].pk}")
    verdict = verify_chain()
    assert not verdict.ok
    assert verdict.broken_seal.first_event_id == events[10].pk
    assert verdict.last_good_seal.last_event_id == events[9].pk


def test_a_seal_leaves_out_events_younger_than_the_delay(settings):
    settings.AUDIT_SEAL_DELAY_S = 3600
    record(action="test.event", actor="alice")
    assert seal_pending() is None


def test_seal_task_seals_pending_events():
    from audit.tasks import seal_audit

    event = record(action="test.event", actor="alice")
    seal_id = seal_audit.delay().get()
    from audit.models import AuditSeal

    assert AuditSeal.objects.get(pk=seal_id).last_event_id == event.pk

"""Seals chain the audit table; verify_audit names the first range altered behind the triggers' back."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEvent
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


def test_verify_audit_with_an_anchor_detects_a_chain_rewritten_and_resealed(tmp_path):
    """The chain alone cannot catch an owner who rewrites an event and recomputes the seals; the anchor can."""
    from audit.models import AuditSeal
    from audit.sealing import _hash_range

    events = _three_seals()
    anchor = tmp_path / "anchor.json"
    call_command("audit_anchor", output=str(anchor))
    call_command("verify_audit", "--no-record", anchor=str(anchor))
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditseal"):
            for statement in remove_sql(vendor, table):
                cursor.execute(statement)
    AuditEvent.objects.filter(pk=events[7].pk).update(actor="mallory")
    prev_hash = "0" * 64
    for seal in AuditSeal.objects.order_by("id"):
        digest, _ = _hash_range(prev_hash, seal.first_event_id, seal.last_event_id)
        AuditSeal.objects.filter(pk=seal.pk).update(prev_hash=prev_hash, hash=digest)
        prev_hash = digest
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditseal"):
            for statement in install_sql(vendor, table):
                cursor.execute(statement)
    call_command("verify_audit", "--no-record")  # consistent: the chain alone is fooled
    with pytest.raises(CommandError, match="BROKEN against the anchor.*rewritten"):
        call_command("verify_audit", "--no-record", anchor=str(anchor))

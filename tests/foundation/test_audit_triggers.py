"""The database itself refuses to change the audit table (PostgreSQL and SQLite)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from audit.models import AuditEvent
from audit.sealing import seal_pending
from audit.services import Event, record, record_many

pytestmark = pytest.mark.django_db


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(info.value)


def test_record_writes_one_event_with_its_fields():
    event = record(action="campaign.approved", actor="alice", campaign_id=7, outcome="ok", details={"hash": "ab"})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.action, stored.campaign_id, stored.details) == (
        "alice", "campaign.approved", 7, {"hash": "ab"}
    )


def test_record_many_writes_a_batch():
    count = record_many(Event(action="send.sent", actor="system:test", recipient_id=i) for i in range(250))
    assert count == 250
    assert AuditEvent.objects.filter(action="send.sent").count() == 250


def test_update_is_refused_by_the_database():
    event = record(action="auth.login", actor="alice")
    message = _refused(f"UPDATE audit_auditevent SET actor = 'mallory' WHERE id = {event.pk}")
    assert "append-only" in message
    assert AuditEvent.objects.get(pk=event.pk).actor == "alice"


def test_delete_is_refused_by_the_database():
    event = record(action="auth.login", actor="alice")
    assert "append-only" in _refused(f"DELETE FROM audit_auditevent WHERE id = {event.pk}")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_are_refused_too():
    event = record(action="auth.login", actor="alice")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor="mallory")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).actor == "alice"


def test_emptying_the_table_is_refused():
    """TRUNCATE on PostgreSQL; on SQLite (no TRUNCATE) an unqualified DELETE, its truncate optimisation."""
    record(action="auth.login", actor="alice")
    sql = "TRUNCATE audit_auditevent" if connection.vendor == "postgresql" else "DELETE FROM audit_auditevent"
    assert "append-only" in _refused(sql)
    assert AuditEvent.objects.count() == 1


def test_seal_table_is_append_only_too():
    record(action="auth.login", actor="alice")
    with override_settings(AUDIT_SEAL_DELAY_S=0):
        seal = seal_pending()
    assert "append-only" in _refused(f"UPDATE audit_auditseal SET hash = 'x' WHERE id = {seal.pk}")

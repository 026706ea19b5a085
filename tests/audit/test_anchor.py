"""Anchors: the newest seal kept outside the database catches a chain rewritten and re-sealed (SQLite and
PostgreSQL), which the chain alone cannot."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.anchor import EXPORTED, FORMAT
from audit.integrity import VERIFIED, integrity_status
from audit.models import AuditEvent, AuditSeal
from audit.sealing import _hash_range, seal_pending, verify_chain
from audit.services import record
from audit.triggers import APPEND_ONLY_TABLES, install_sql, remove_sql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_seal_delay(settings):
    settings.AUDIT_SEAL_DELAY_S = 0


def _seal_batches(batches: int = 3, size: int = 4) -> list[AuditSeal]:
    seals = []
    for batch in range(batches):
        for i in range(size):
            record(action="test.event", actor=f"user{batch}", details={"n": i})
        seals.append(seal_pending())
    return seals


def _anchor(tmp_path) -> tuple[str, dict]:
    path = tmp_path / "anchor.json"
    call_command("audit_anchor", output=str(path))
    return str(path), json.loads(path.read_text())


class _Owner:
    """What someone with the owner's rights can do: switch the triggers off, edit, switch them back."""

    def __enter__(self):
        with connection.cursor() as cursor:
            for table in APPEND_ONLY_TABLES:
                for statement in remove_sql(connection.vendor, table):
                    cursor.execute(statement)
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            for table in APPEND_ONLY_TABLES:
                for statement in install_sql(connection.vendor, table):
                    cursor.execute(statement)


def _reseal_from(first_seal_id: int) -> None:
    """Recompute every seal from ``first_seal_id`` on, so that the chain verifies again."""
    previous = AuditSeal.objects.filter(id__lt=first_seal_id).order_by("-id").first()
    prev_hash = previous.hash if previous else "0" * 64
    for seal in AuditSeal.objects.filter(id__gte=first_seal_id).order_by("id"):
        digest, count = _hash_range(prev_hash, seal.first_event_id, seal.last_event_id)
        AuditSeal.objects.filter(pk=seal.pk).update(prev_hash=prev_hash, hash=digest, event_count=count)
        prev_hash = digest


def test_audit_anchor_exports_the_newest_seal_and_records_it(tmp_path, capsys):
    seals = _seal_batches()
    _, anchor = _anchor(tmp_path)
    newest = seals[-1]
    assert anchor["format"] == FORMAT
    assert (anchor["seal_id"], anchor["first_event_id"], anchor["last_event_id"]) == (
        newest.id, newest.first_event_id, newest.last_event_id)
    assert (anchor["hash"], anchor["prev_hash"], anchor["event_count"], anchor["events_total"]) == (
        newest.hash, seals[-2].hash, 4, 12)
    assert anchor["sealed_at"] == newest.sealed_at.isoformat()
    event = AuditEvent.objects.get(action=EXPORTED)
    assert (event.actor, event.object_id, event.details["hash"]) == ("system:cli", str(newest.id), newest.hash)
    assert str(tmp_path / "anchor.json") in event.details["destination"]
    call_command("audit_anchor")  # to standard output
    assert json.loads(capsys.readouterr().out)["seal_id"] == newest.id


def test_audit_anchor_refuses_when_nothing_is_sealed():
    with pytest.raises(CommandError, match="nothing is sealed yet"):
        call_command("audit_anchor")
    assert not AuditEvent.objects.filter(action=EXPORTED).exists()


def test_seal_first_seals_then_anchors(tmp_path):
    record(action="test.event", actor="alice")
    _, anchor = _anchor_with_seal_first(tmp_path)
    assert anchor["seal_id"] == AuditSeal.objects.get().id


def _anchor_with_seal_first(tmp_path):
    path = tmp_path / "anchor.json"
    call_command("audit_anchor", output=str(path), seal_first=True)
    return str(path), json.loads(path.read_text())


def test_an_intact_chain_reaches_and_matches_its_anchor(tmp_path, capsys):
    _seal_batches()
    path, anchor = _anchor(tmp_path)
    _seal_batches(batches=2)  # the chain grows after the anchor: still fine
    call_command("verify_audit", anchor=path)
    assert f"matches the anchor, seal #{anchor['seal_id']}" in capsys.readouterr().out
    verdict = AuditEvent.objects.filter(action=VERIFIED).latest("id")
    assert verdict.outcome == "ok"
    assert verdict.details["anchor"]["ok"] is True and verdict.details["anchor"]["hash"] == anchor["hash"]


def test_a_chain_rewritten_and_resealed_passes_alone_but_not_against_the_anchor(tmp_path):
    seals = _seal_batches()
    path, anchor = _anchor(tmp_path)
    victim = AuditEvent.objects.filter(id__gte=seals[1].first_event_id).order_by("id").first()
    with _Owner():
        AuditEvent.objects.filter(pk=victim.pk).update(actor="mallory")
        _reseal_from(seals[1].id)
    assert verify_chain().ok  # the attack defeats the chain by itself
    with pytest.raises(CommandError) as info:
        call_command("verify_audit", anchor=path)
    message = str(info.value)
    assert f"BROKEN against the anchor, seal #{anchor['seal_id']}" in message
    assert "hash differ" in message and "rewritten" in message
    verdict = AuditEvent.objects.filter(action=VERIFIED).latest("id")
    assert verdict.outcome == "broken" and verdict.details["anchor"]["ok"] is False
    assert integrity_status().broken


def test_a_chain_cut_short_misses_the_anchored_seal(tmp_path):
    seals = _seal_batches()
    path, anchor = _anchor(tmp_path)
    with _Owner():  # the newest seal and its events vanish: what is left still verifies
        AuditSeal.objects.filter(pk=seals[-1].pk).delete()
        AuditEvent.objects.filter(id__gte=seals[-1].first_event_id).delete()
    assert verify_chain().ok
    with pytest.raises(CommandError) as info:
        call_command("verify_audit", "--no-record", anchor=path)
    assert f"seal #{anchor['seal_id']}" in str(info.value)
    assert f"is missing: the chain ends at seal #{seals[-2].id}" in str(info.value)


def test_a_seal_rebuilt_over_fewer_events_does_not_match(tmp_path):
    seals = _seal_batches()
    path, _ = _anchor(tmp_path)
    with _Owner():  # one event removed from the anchored range, its seal recomputed in place
        AuditEvent.objects.filter(pk=seals[-1].last_event_id).delete()
        AuditSeal.objects.filter(pk=seals[-1].pk).update(last_event_id=seals[-1].last_event_id - 1)
        _reseal_from(seals[-1].id)
    assert verify_chain().ok
    with pytest.raises(CommandError, match="last_event_id, event_count, events_total, hash differ"):
        call_command("verify_audit", "--no-record", anchor=path)


def test_a_broken_chain_is_reported_as_such_even_with_an_anchor(tmp_path):
    seals = _seal_batches()
    path, _ = _anchor(tmp_path)
    with _Owner():
        AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id").first().pk).update(actor="mallory")
    with pytest.raises(CommandError, match=f"BROKEN: seal #{seals[0].id} .* an event in the range was changed"):
        call_command("verify_audit", "--no-record", anchor=path)


def test_what_an_anchor_cannot_see_events_sealed_after_it(tmp_path):
    """Documented limit: a rewrite confined to seals newer than the anchor passes; anchor often."""
    seals = _seal_batches()
    path, _ = _anchor(tmp_path)
    later = _seal_batches(batches=1)
    with _Owner():
        AuditEvent.objects.filter(pk=later[0].first_event_id).update(actor="mallory")
        _reseal_from(later[0].id)
    call_command("verify_audit", "--no-record", anchor=path)
    assert seals[-1].id < later[0].id


@pytest.mark.parametrize("content, complaint", [
    ("not json", "not JSON"),
    ('{"format": "something else"}', "format is not"),
    (json.dumps({"format": FORMAT, "seal_id": 1}), "lacks first_event_id"),
    (json.dumps({"format": FORMAT, "seal_id": "x", "first_event_id": 1, "last_event_id": 1, "event_count": 1,
                 "events_total": 1, "hash": "a" * 64, "prev_hash": "0" * 64, "sealed_at": ""}), "wrong type"),
    (json.dumps({"format": FORMAT, "seal_id": 1, "first_event_id": 1, "last_event_id": 1, "event_count": 1,
                 "events_total": 1, "hash": "nothex", "prev_hash": "0" * 64, "sealed_at": ""}), "SHA-256"),
])
def test_an_unusable_anchor_file_is_refused(tmp_path, content, complaint):
    path = tmp_path / "anchor.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=complaint):
        call_command("verify_audit", anchor=str(path))
    assert not AuditEvent.objects.filter(action=VERIFIED).exists()


def test_a_missing_anchor_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="cannot read the anchor"):
        call_command("verify_audit", anchor=str(tmp_path / "nowhere.json"))

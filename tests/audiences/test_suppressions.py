"""Suppressions: idempotent, normalised, audited; CSV bulk add and export."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audiences.models import Suppression
from audiences.services import SuppressionInputError, suppression_add, suppression_remove
from audiences.services.suppression_bulk import suppressions_import_csv
from audit.models import AuditEvent

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


def test_add_is_idempotent_normalised_and_audited():
    first = suppression_add(channel="email", address="  Taro@Example.JP ", reason="hard_bounce",
                            source="bounce:smtp", actor="system:worker")
    again = suppression_add(channel="email", address="taro@example.jp", reason="hard_bounce", source="bounce:smtp",
                            actor="system:worker")
    assert first.created_now and not again.created_now and first.pk == again.pk
    assert first.address == "taro@example.jp"
    events = AuditEvent.objects.filter(action="suppression.added")
    assert events.count() == 1
    event = events.get()
    assert (event.actor, event.channel, event.address, event.details["reason"]) == (
        "system:worker", "email", "taro@example.jp", "hard_bounce")


def test_phone_addresses_are_stored_in_e164():
    row = suppression_add(channel="sms", address="090-1234-5678", reason="opt_out", source="reply:STOP", actor="t")
    assert row.address == "+819012345678"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"channel": "fax", "address": "a@example.jp", "reason": "manual"}, "suppression.bad_channel"),
    ({"channel": "email", "address": "a@example.jp", "reason": "because"}, "suppression.bad_reason"),
    ({"channel": "email", "address": "not-an-address", "reason": "manual"}, "suppression.bad_address"),
    ({"channel": "sms", "address": "12", "reason": "manual"}, "suppression.bad_address"),
])
def test_bad_input_has_stable_codes(kwargs, code):
    with pytest.raises(SuppressionInputError) as info:
        suppression_add(source="t", actor="t", **kwargs)
    assert info.value.code == code


def test_remove_is_audited():
    row = suppression_add(channel="email", address="a@example.jp", reason="manual", source="t", actor="t")
    suppression_remove(suppression=row, note="added by mistake")
    event = AuditEvent.objects.get(action="suppression.removed")
    assert (event.address, event.details["note"]) == ("a@example.jp", "added by mistake")
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("enc", ["utf-8", "cp932"])
def test_bulk_csv(enc, make_user):
    suppression_add(channel="email", address="old@example.jp", reason="opt_out", source="t", actor="t")
    data = csv_bytes([
        ["channel", "address", "reason", "note", "expires_at"],
        ["email", "NEW@example.jp", "complaint", "苦情①", ""],
        ["sms", "０９０－１２３４－５６７８", "opt_out", "", "2099-01-01"],
        ["email", "old@example.jp", "opt_out", "", ""],
        ["email", "broken", "opt_out", "", ""],
        ["fax", "x@example.jp", "opt_out", "", ""],
        ["email", "x@example.jp", "whatever", "", ""],
        ["all", "legal@example.jp", "legal_hold", "", "someday"],
    ], encoding=enc)
    result = suppressions_import_csv(upload=SimpleUploadedFile("s.csv", data), user=make_user("operator"))
    assert (result.added, result.existing, result.rejected) == (2, 1, 4)
    assert [e["code"] for e in result.errors] == ["suppression.bad_address", "suppression.bad_channel",
                                                  "suppression.bad_reason", "suppression.bad_expiry"]
    expires = Suppression.objects.get(address="+819012345678").expires_at
    assert timezone.localtime(expires).date().isoformat() == "2099-01-01"  # midnight in TIME_ZONE
    assert Suppression.objects.get(address="new@example.jp").note == "苦情①"
    assert AuditEvent.objects.filter(action="suppression.added", details__bulk=True).count() == 2
    summary = AuditEvent.objects.get(action="suppression.bulk_imported")
    assert (summary.details["added"], summary.details["rejected"]) == (2, 4)


def test_bulk_csv_needs_its_columns():
    result = suppressions_import_csv(upload=SimpleUploadedFile("s.csv", b"email\r\na@example.jp\r\n"), user=None)
    assert result.problem[0] == "file.columns"


def test_export_streams_every_entry_with_formula_cells_neutralised(client_for, make_user):
    suppression_add(channel="email", address="a@example.jp", reason="manual", source="=HYPERLINK(\"x\")",
                    actor="t")
    suppression_add(channel="sms", address="+819012345678", reason="opt_out", source="t", actor="t")
    response = client_for(make_user("operator")).get("/audiences/suppressions/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["channel", "address", "reason"]
    assert {r[1] for r in rows[1:]} == {"a@example.jp", "'+819012345678"}
    assert any(r[3] == "'=HYPERLINK(\"x\")" for r in rows[1:])
    assert AuditEvent.objects.filter(action="suppression.exported").count() == 1


def test_suppression_page_adds_and_lists(client_for, make_user):
    client = client_for(make_user("operator"))
    response = client.post("/audiences/suppressions/", {"channel": "email", "address": "p@example.jp",
                                                        "reason": "do_not_contact", "note": "本人申出"})
    assert response.status_code == 302
    page = client.get("/audiences/suppressions/?address=P@example.jp")
    assert "p@example.jp" in page.content.decode()
    bulk = client.post("/audiences/suppressions/bulk/", {
        "file": SimpleUploadedFile("b.csv", csv_bytes([["channel", "address", "reason"],
                                                       ["email", "q@example.jp", "manual"]]))})
    assert bulk.status_code == 302 and Suppression.objects.filter(address="q@example.jp").exists()
    row = Suppression.objects.get(address="p@example.jp")
    assert client.post(f"/audiences/suppressions/{row.pk}/delete/").status_code == 302
    assert not Suppression.objects.filter(pk=row.pk).exists()


def test_suppression_api(client, make_user, token_for):
    headers = {"Authorization": f"Bearer {token_for(make_user('operator'))}"}
    body = {"channel": "sms", "address": "080-1234-5678", "reason": "opt_out", "source": "reply:STOP"}
    first = client.post("/api/v1/suppressions", body, content_type="application/json", headers=headers)
    again = client.post("/api/v1/suppressions", body, content_type="application/json", headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["address"] == "+818012345678"
    bad = client.post("/api/v1/suppressions", {**body, "address": "1"}, content_type="application/json",
                      headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (400, "suppression.bad_address")
    listed = client.get("/api/v1/suppressions?address=08012345678", headers=headers).json()
    assert [i["address"] for i in listed["items"]] == ["+818012345678"]
    assert client.delete(f"/api/v1/suppressions/{first.json()['id']}", headers=headers).status_code == 204

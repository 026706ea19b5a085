"""Exclusion list pages: create a list, paste customer numbers, find and remove one; the API refuses the same."""

from __future__ import annotations

import importlib

import pytest

from audiences.models import ExclusionEntry, ExclusionList
from audiences.services import ExclusionInputError, exclusion_entries_add, exclusion_list_create
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def operator_client(client_for, make_user):
    return client_for(make_user("operator"))


def page(response) -> str:
    return response.content.decode()


def test_an_operator_creates_a_list_and_pastes_numbers_as_excel_gives_them(operator_client):
    response = operator_client.post("/audiences/exclusions/", {"name": "係争中", "description": "法務部管理"})
    row = ExclusionList.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/audiences/exclusions/{row.pk}/"
    assert AuditEvent.objects.filter(action="exclusion_list.created", object_id=str(row.pk)).exists()
    # A pasted Excel column (CRLF), a comma list, full-width characters and a repeat.
    pasted = "C001\r\nＣ００２\r\nC003, C001\u3000C004\r\n\r\n"
    response = operator_client.post(f"/audiences/exclusions/{row.pk}/", {"external_ids": pasted, "reason": "訴訟"},
                                    follow=True, **EN)
    assert "4 added, 0 already on the list." in page(response)
    assert sorted(row.entries.values_list("external_id", flat=True)) == ["C001", "C002", "C003", "C004"]
    assert set(row.entries.values_list("reason", flat=True)) == {"訴訟"}
    response = operator_client.post(f"/audiences/exclusions/{row.pk}/", {"external_ids": "C004\nC005"},
                                    follow=True, **EN)
    assert "1 added, 1 already on the list." in page(response)
    assert "Customer numbers on this list: 5" in page(response)
    listing = page(operator_client.get("/audiences/exclusions/", **EN))
    assert "係争中" in listing and ">5<" in listing


def test_a_number_too_long_refuses_the_whole_paste(operator_client):
    row = exclusion_list_create(name="VIP")
    response = operator_client.post(f"/audiences/exclusions/{row.pk}/", {"external_ids": "C1\n" + "9" * 129},
                                    follow=True, **EN)
    assert "exclusion.too_long" in page(response) and "at most 128 characters" in page(response)
    assert not ExclusionEntry.objects.exists()  # nothing written, C1 included
    response = operator_client.post(f"/audiences/exclusions/{row.pk}/", {"external_ids": " \n,"}, follow=True, **EN)
    assert "Enter at least one customer number." in page(response)


def test_a_list_needs_a_name(operator_client):
    response = operator_client.post("/audiences/exclusions/", {"name": "  "}, follow=True, **EN)
    assert "exclusion.no_name" in page(response)
    assert not ExclusionList.objects.exists()


def test_find_and_remove_one_number_after_a_confirmation(operator_client):
    row = exclusion_list_create(name="死亡")
    exclusion_entries_add(exclusion_list=row, external_ids=["C100", "C200"])
    found = operator_client.get(f"/audiences/exclusions/{row.pk}/", {"q": "Ｃ１００"}, **EN)
    assert [e.external_id for e in found.context["entries"]] == ["C100"]
    assert 'data-confirm="Remove this customer number?' in page(found)
    entry = row.entries.get(external_id="C100")
    response = operator_client.post(f"/audiences/exclusions/{row.pk}/entries/{entry.pk}/delete/", follow=True, **EN)
    assert "C100 removed" in page(response)
    assert list(row.entries.values_list("external_id", flat=True)) == ["C200"]
    event = AuditEvent.objects.get(action="exclusion.removed")
    assert event.details["external_id"] == "C100"
    other = exclusion_list_create(name="other")
    c200 = row.entries.get()
    # An entry is removed only through its own list's URL.
    assert operator_client.post(f"/audiences/exclusions/{other.pk}/entries/{c200.pk}/delete/").status_code == 404


def test_the_pages_speak_japanese(operator_client):
    row = exclusion_list_create(name="VIP")
    assert "除外リストの作成" in page(operator_client.get("/audiences/exclusions/", HTTP_ACCEPT_LANGUAGE="ja"))
    detail = page(operator_client.get(f"/audiences/exclusions/{row.pk}/", HTTP_ACCEPT_LANGUAGE="ja"))
    assert "顧客番号を追加" in detail and "このリストの顧客番号: 0 件" in detail


def test_the_service_folds_numbers_as_the_import_does():
    row = exclusion_list_create(name="x")
    assert exclusion_entries_add(exclusion_list=row, external_ids=[" Ｃ００２ ", "C002", "", "  "]) == 1
    assert row.entries.get().external_id == "C002"
    with pytest.raises(ExclusionInputError) as info:
        exclusion_list_create(name="")
    assert info.value.code == "exclusion.no_name"


def test_the_api_refuses_a_number_too_long_with_its_code(make_user, token_for, client):
    token = token_for(make_user("operator"))
    auth = {"headers": {"Authorization": f"Bearer {token}"}, "content_type": "application/json"}
    created = client.post("/api/v1/exclusion-lists", {"name": "API"}, **auth)
    assert created.status_code == 201
    response = client.post(f"/api/v1/exclusion-lists/{created.json()['id']}/entries",
                           {"external_ids": ["ok", "x" * 200]}, **auth)
    assert response.status_code == 400 and response.json()["code"] == "exclusion.too_long"
    assert not ExclusionEntry.objects.exists()
    assert client.post("/api/v1/exclusion-lists", {"name": " "}, **auth).json()["code"] == "exclusion.no_name"


def test_the_migration_folds_numbers_typed_before_folding():
    from django.apps import apps

    migration = importlib.import_module("audiences.migrations.0010_fold_exclusion_numbers")
    old = ExclusionList.objects.create(name="old")
    for number in ("Ｃ００２", "C003", "Ｃ００３", "C004"):  # the third is the second, folded
        ExclusionEntry.objects.create(exclusion_list=old, external_id=number)
    migration.fold(apps, None)
    assert sorted(old.entries.values_list("external_id", flat=True)) == ["C002", "C003", "C004"]

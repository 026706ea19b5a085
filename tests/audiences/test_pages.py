"""Recipients, recipient detail with consents, and the segment builder pages and API."""

from __future__ import annotations

import json

import pytest

from audiences.models import AudienceList, Consent, Membership, Segment

from .factories import recipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client_for, make_user):
    return client_for(make_user("operator"))


def test_recipients_are_keyset_paginated_newest_first(operator_client):
    people = [recipient() for _ in range(120)]
    first = operator_client.get("/audiences/recipients/")
    assert first.status_code == 200
    assert first.context["rows"][0] == people[-1] and len(first.context["rows"]) == 50
    before = first.context["next_before"]
    second = operator_client.get(f"/audiences/recipients/?before={before}")
    assert second.context["rows"][0].pk == before - 1
    third = operator_client.get(f"/audiences/recipients/?before={second.context['next_before']}")
    assert len(third.context["rows"]) == 20 and third.context["next_before"] is None


@pytest.mark.parametrize("query", ["X-SEARCH", "Search@Example.jp", "090-9999-0000", "検索"])
def test_search_by_number_email_phone_or_name(operator_client, query):
    target = recipient(external_id="X-SEARCH", email="search@example.jp", phone="+819099990000", name="検索 太郎")
    recipient()
    rows = operator_client.get("/audiences/recipients/", {"q": query}).context["rows"]
    assert rows == [target]


def test_filter_by_list(operator_client):
    inside, _outside = recipient(), recipient()
    lst = AudienceList.objects.create(name="L")
    Membership.objects.create(audience_list=lst, recipient=inside)
    assert operator_client.get("/audiences/recipients/", {"list": lst.pk}).context["rows"] == [inside]


def test_detail_shows_contacts_attributes_lists_and_records_consent(operator_client):
    r = recipient(attributes={"未払金額": "12000"})
    lst = AudienceList.objects.create(name="督促")
    Membership.objects.create(audience_list=lst, recipient=r)
    page = operator_client.get(f"/audiences/recipients/{r.pk}/").content.decode()
    assert r.email in page and "未払金額" in page and "12000" in page and "督促" in page
    response = operator_client.post(f"/audiences/recipients/{r.pk}/consents/", {
        "channel": "email", "source": "https://example.jp/form", "wording": "お知らせメールを受け取る"})
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (consent.channel, consent.created_by) == ("email", operator_client.session.get("_auth_user_id") and
                                                      consent.created_by)
    operator_client.post(f"/audiences/consents/{consent.pk}/revoke/", {"reason": "本人申出"})
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoke_reason == "本人申出"
    assert operator_client.post(f"/audiences/recipients/{r.pk}/consents/", {"channel": "email"}).status_code == 302
    assert Consent.objects.count() == 1  # incomplete consent refused


def test_segment_builder_saves_and_previews(operator_client):
    recipient(attributes={"unpaid_amount": "100"})
    recipient(attributes={"unpaid_amount": "0"})
    assert operator_client.get("/audiences/segments/new/").status_code == 200
    rules = {"match": "all", "rules": [{"field": "attributes.unpaid_amount", "op": "gt", "value": 0}]}
    preview = operator_client.post("/audiences/segments/preview/", json.dumps({"rules": rules}),
                                   content_type="application/json").json()
    assert preview["count"] == 1 and len(preview["preview"]) == 1
    bad = operator_client.post("/audiences/segments/preview/", json.dumps({"rules": {"match": "x"}}),
                               content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (400, "segment.bad_match")
    saved = operator_client.post("/audiences/segments/new/", {"name": "未払い", "rules": json.dumps(rules)})
    segment = Segment.objects.get()
    assert saved["Location"] == f"/audiences/segments/{segment.pk}/" and segment.rules == rules
    assert "未払い" in operator_client.get("/audiences/segments/").content.decode()
    invalid = operator_client.post(f"/audiences/segments/{segment.pk}/", {"name": "未払い", "rules": "{"})
    assert invalid.status_code == 400
    operator_client.post(f"/audiences/segments/{segment.pk}/delete/")
    assert not Segment.objects.exists()


def test_segment_api(client, make_user, token_for):
    headers = {"Authorization": f"Bearer {token_for(make_user('operator'))}"}
    recipient(attributes={"due_date": "2000-01-01"})
    rules = {"match": "all", "rules": [{"field": "attributes.due_date", "op": "date_before", "value": "2001-01-01"}]}
    created = client.post("/api/v1/segments", {"name": "古い", "rules": rules}, content_type="application/json",
                          headers=headers)
    assert created.status_code == 201
    seg_id = created.json()["id"]
    assert client.get(f"/api/v1/segments/{seg_id}/preview", headers=headers).json()["count"] == 1
    dup = client.post("/api/v1/segments", {"name": "古い", "rules": rules}, content_type="application/json",
                      headers=headers)
    assert dup.status_code == 409
    bad = client.patch(f"/api/v1/segments/{seg_id}", {"rules": {"rules": [{"field": "x", "op": "equals",
                                                                             "value": 1}]}},
                       content_type="application/json", headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (400, "segment.unknown_field")
    assert client.delete(f"/api/v1/segments/{seg_id}", headers=headers).status_code == 204


def test_recipient_api(client, make_user, token_for):
    headers = {"Authorization": f"Bearer {token_for(make_user('operator'))}"}
    r = recipient(email="api@example.jp")
    page = client.get("/api/v1/recipients?q=API@example.jp", headers=headers).json()
    assert [i["external_id"] for i in page["items"]] == [r.external_id]
    detail = client.get(f"/api/v1/recipients/{r.pk}", headers=headers).json()
    assert detail["email"] == "api@example.jp" and detail["lists"] == []
    consent = client.post(f"/api/v1/recipients/{r.pk}/consents", {"channel": "sms", "source": "call",
                                                                   "wording": "SMSで案内を受け取る"},
                          content_type="application/json", headers=headers)
    assert consent.status_code == 201
    revoked = client.post(f"/api/v1/consents/{consent.json()['id']}/revoke", {"reason": "x"},
                          content_type="application/json", headers=headers)
    assert revoked.json()["revoked_at"] is not None


def test_exclusion_list_api(client, make_user, token_for):
    from audiences.eligibility import send_block_reason
    from audit.models import AuditEvent

    headers = {"Authorization": f"Bearer {token_for(make_user('operator'))}"}
    r = recipient(external_id="LIT-1")
    created = client.post("/api/v1/exclusion-lists", {"name": "係争中"}, content_type="application/json",
                          headers=headers)
    assert created.status_code == 201
    list_id = created.json()["id"]
    added = client.post(f"/api/v1/exclusion-lists/{list_id}/entries",
                        {"external_ids": ["LIT-1", "LIT-1", "DEAD-9"], "reason": "litigation"},
                        content_type="application/json", headers=headers)
    assert added.json()["entries"] == 2
    assert send_block_reason(recipient=r, channel="email", purpose="notice", exclusion_list_id=list_id) == "excluded"
    entries = client.get(f"/api/v1/exclusion-lists/{list_id}/entries", headers=headers).json()
    first = next(e for e in entries if e["external_id"] == "LIT-1")
    assert client.delete(f"/api/v1/exclusion-lists/{list_id}/entries/{first['id']}",
                         headers=headers).status_code == 204
    assert send_block_reason(recipient=r, channel="email", purpose="notice", exclusion_list_id=list_id) is None
    assert AuditEvent.objects.filter(action__startswith="exclusion").count() == 3  # list created, added, removed

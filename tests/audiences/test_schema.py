"""The recipient and membership schema the million-row import and the recipients page rely on."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from audiences.models import AudienceList, Membership, Recipient
from audiences.selectors import RecipientFilter, recipient_lists, recipient_page

from .factories import recipient

pytestmark = pytest.mark.django_db


def test_membership_is_keyed_by_list_and_recipient():
    first, second = AudienceList.objects.create(name="B list"), AudienceList.objects.create(name="A list")
    person = recipient()
    Membership.objects.create(audience_list=first, recipient=person)
    Membership.objects.create(audience_list=second, recipient=person)
    assert Membership.objects.filter(pk=(first.pk, person.pk)).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(audience_list=first, recipient=person)
    # A recipient's lists, by name, found through the (list, recipient) key.
    assert [a.name for a in recipient_lists(person)] == ["A list", "B list"]
    assert list(recipient_lists(recipient())) == []


def test_deleting_a_recipient_or_a_list_removes_its_memberships():
    audience, other = AudienceList.objects.create(name="L"), AudienceList.objects.create(name="M")
    kept, gone = recipient(), recipient()
    Membership.objects.bulk_create([Membership(audience_list=audience, recipient=kept),
                                    Membership(audience_list=audience, recipient=gone),
                                    Membership(audience_list=other, recipient=kept)])
    gone.delete()
    assert set(Membership.objects.values_list("audience_list_id", "recipient_id")) == {
        (audience.pk, kept.pk), (other.pk, kept.pk)}
    other.delete()
    assert list(Membership.objects.values_list("audience_list_id", "recipient_id")) == [(audience.pk, kept.pk)]


def test_name_search_is_a_prefix_match():
    recipient(name="佐藤 太郎")
    recipient(name="佐藤 花子")
    recipient(name="加佐藤")
    rows, _ = recipient_page(RecipientFilter(q="佐藤"), before_id=None)
    assert sorted(r.name for r in rows) == ["佐藤 太郎", "佐藤 花子"]


def test_postgresql_compares_identifiers_bytewise():
    """Migration 0007: COLLATE "C" on the identifier columns (equality and prefix, no strcoll per comparison)."""
    if connection.vendor != "postgresql":
        assert Recipient._meta.get_field("name").db_collation is None  # SQLite keeps its default
        return
    with connection.cursor() as cur:
        cur.execute("SELECT attname, collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
                    "WHERE attrelid = 'audiences_recipient'::regclass AND attname IN "
                    "('external_id', 'email_normalized', 'phone', 'name')")
        assert dict(cur.fetchall()) == {"external_id": "C", "email_normalized": "C", "phone": "C", "name": "C"}

"""The auditor's search: each filter, periods in the configured time zone, keyset pages without gaps."""

from __future__ import annotations

import re

import pytest

from audit.filters import EventFilter, FilterError, parse_filter
from audit.models import AuditEvent
from audit.selectors import event_page

pytestmark = pytest.mark.django_db


def _ids(filters: EventFilter) -> list[int]:
    rows, _next = event_page(filters, size=1000)
    return [row.id for row in rows]


def _shown(response) -> list[int]:
    return [int(i) for i in re.findall(rb'data-event="(\d+)"', response.content)]


def test_a_period_is_whole_calendar_days_in_tokyo(write_events):
    write_events(1, at="2026-04-01T00:00:00", object_id="first-instant")
    write_events(1, at="2026-03-31T23:59:59.999999", object_id="day-before")
    write_events(1, at="2026-04-02T23:59:59.999999", object_id="last-instant")
    write_events(1, at="2026-04-03T00:00:00", object_id="day-after")
    rows, _ = event_page(parse_filter({"from": "2026-04-01", "to": "2026-04-02"}))
    assert sorted(row.object_id for row in rows) == ["first-instant", "last-instant"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"campaign": "7"}, {"c7-a", "c7-b"}),
        ({"actor": "hanako"}, {"by-hanako"}),
        ({"action": "campaign.approved"}, {"approved"}),
        ({"action": "campaign."}, {"approved", "submitted"}),
        ({"action": "campaign*"}, {"approved", "submitted"}),
        ({"outcome": "failed"}, {"c7-b"}),
    ],
)
def test_each_filter_narrows_the_events(write_events, params, expected):
    write_events(1, campaign_id=7, object_id="c7-a", outcome="ok")
    write_events(1, campaign_id=7, object_id="c7-b", outcome="failed")
    write_events(1, campaign_id=8, object_id="c8")
    write_events(1, actor="hanako", action="op.post", object_id="by-hanako")
    write_events(1, action="campaign.approved", object_id="approved")
    write_events(1, action="campaign.submitted", object_id="submitted")
    rows, _ = event_page(parse_filter(params))
    assert {row.object_id for row in rows} == expected


def test_an_exact_action_does_not_match_longer_actions(write_events):
    write_events(1, action="send.sent")
    write_events(1, action="send.sent_again")
    assert len(_ids(parse_filter({"action": "send.sent"}))) == 1


@pytest.mark.parametrize("typed", ["090-1234-5678", "09012345678", "+81 90 1234 5678", "０９０１２３４５６７８"])
def test_a_phone_number_is_found_however_it_is_typed(write_events, typed):
    write_events(1, address="+819012345678", channel="sms", object_id="hit")
    write_events(1, address="+819099999999", channel="sms")
    rows, _ = event_page(parse_filter({"recipient": typed}))
    assert [row.object_id for row in rows] == ["hit"]


def test_an_email_address_is_found_regardless_of_case(write_events):
    write_events(1, address="taro@example.jp", object_id="hit")
    rows, _ = event_page(parse_filter({"recipient": "Taro@Example.JP"}))
    assert [row.object_id for row in rows] == ["hit"]


def test_a_customer_number_finds_the_recipients_events(write_events):
    from audiences.models import Recipient

    taro = Recipient.objects.create(external_id="C-0001", email="taro@example.jp", phone="+819012345678")
    write_events(1, recipient_id=taro.pk, object_id="by-id")
    write_events(1, address="+819012345678", object_id="by-address")
    write_events(1, recipient_id=taro.pk + 1, object_id="someone-else")
    rows, _ = event_page(parse_filter({"recipient": "C-0001"}))
    assert {row.object_id for row in rows} == {"by-id", "by-address"}


def test_pages_are_newest_first_without_gaps_or_repeats_even_when_times_tie(write_events):
    write_events(30, at="2026-04-01T09:00:00")  # thirty events in the same microsecond
    write_events(45, at="2026-04-01T10:00:00")
    write_events(20, at="2026-03-01T10:00:00")
    seen, before = [], None
    while True:
        rows, before = event_page(EventFilter(), before_id=before, size=10)
        seen += rows
        if before is None:
            break
    assert len(seen) == AuditEvent.objects.count() == 95
    assert len({row.id for row in seen}) == 95
    keys = [(row.at, row.id) for row in seen]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize(
    ("params", "code"),
    [({"from": "2026-13-01"}, "filter.bad_date"), ({"campaign": "abc"}, "filter.bad_number"),
     ({"from": "2026-04-02", "to": "2026-04-01"}, "filter.bad_period")],
)
def test_unusable_filters_carry_a_stable_code(params, code):
    with pytest.raises(FilterError) as info:
        parse_filter(params)
    assert info.value.code == code


def test_a_filter_round_trips_through_its_query_string():
    filters = parse_filter({"from": "2026-04-01", "to": "2026-04-30", "campaign": "7", "recipient": "C-1",
                            "actor": "hanako", "action": "send.", "outcome": "failed", "recipient_id": "3"})
    assert parse_filter(filters.as_query()) == filters


def test_the_page_shows_matching_events_and_links_to_older_ones(auditor_client, write_events):
    write_events(60, campaign_id=7)
    write_events(5, campaign_id=8)
    response = auditor_client.get("/audit/events/?campaign=7")
    assert response.status_code == 200
    first = _shown(response)
    assert len(first) == 50
    older = re.search(rb'href="(\?[^"]*before=\d+)" rel="next"', response.content).group(1).decode()
    second = _shown(auditor_client.get("/audit/events/" + older.replace("&amp;", "&")))
    assert len(second) == 10 and not set(first) & set(second)
    assert set(first + second) == set(AuditEvent.objects.filter(campaign_id=7).values_list("id", flat=True))


def test_the_page_explains_an_unusable_filter(auditor_client):
    response = auditor_client.get("/audit/events/?from=yesterday")
    assert response.status_code == 200
    assert b'data-code="filter.bad_date"' in response.content


def test_the_page_speaks_english_and_japanese(auditor_client):
    auditor_client.cookies["django_language"] = "en"
    assert b"<h1>Audit log</h1>" in auditor_client.get("/audit/events/").content
    auditor_client.cookies["django_language"] = "ja"
    assert "<h1>監査ログ</h1>".encode() in auditor_client.get("/audit/events/").content


def test_event_detail_shows_every_field_and_its_seal(auditor_client, write_events, settings):
    from audit.sealing import seal_pending

    settings.AUDIT_SEAL_DELAY_S = 0
    write_events(1, campaign_id=7, address="+819012345678", details={"provider_id": "SM123"}, ip="192.0.2.1")
    seal = seal_pending()
    event = AuditEvent.objects.get(campaign_id=7)
    page = auditor_client.get(f"/audit/events/{event.id}/").content.decode()
    for text in ("+819012345678", "SM123", "192.0.2.1", seal.hash):
        assert text in page
    assert auditor_client.get("/audit/events/999999/").status_code == 404

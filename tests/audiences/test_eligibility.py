"""Who may get a message: one decision, set-based for a whole audience and per recipient at send time."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from audiences.eligibility import annotate_block_reason, blocking_reasons, send_block_reason
from audiences.models import Consent, ExclusionEntry, ExclusionList, Recipient, Suppression
from audiences.services import consent_grant, consent_revoke, suppression_add

from .factories import recipient

pytestmark = pytest.mark.django_db
REASONS = ["opt_out", "hard_bounce", "complaint", "legal_hold", "do_not_contact", "manual"]
PURPOSES = ["transactional", "notice", "collection", "marketing"]


def reason_for(r, channel, purpose, exclusion_list_id=None):
    row = annotate_block_reason(Recipient.objects.filter(pk=r.pk), channel=channel, purpose=purpose,
                                exclusion_list_id=exclusion_list_id).get()
    single = send_block_reason(recipient=r, channel=channel, purpose=purpose, exclusion_list_id=exclusion_list_id)
    assert row.block_reason == single
    return single


@pytest.mark.parametrize(("purpose", "reason"), list(itertools.product(PURPOSES, REASONS)))
def test_suppression_matrix(purpose, reason):
    r = recipient()
    consent_grant(recipient=r, channel="email", source="https://example.jp/form", wording="メールを受け取ります",
                  actor="t")
    suppression_add(channel="email", address=r.email.upper(), reason=reason, source="test", actor="t")
    bypassed = reason == "opt_out" and purpose in {"transactional", "notice"}
    assert reason_for(r, "email", purpose) == (None if bypassed else f"suppressed.{reason}")


def test_transactional_never_bypasses_bounces_complaints_holds():
    assert set(blocking_reasons("transactional")) == {"hard_bounce", "complaint", "legal_hold", "do_not_contact",
                                                      "manual"}
    assert set(blocking_reasons("collection")) == set(REASONS)
    assert set(blocking_reasons("marketing")) == set(REASONS)


def test_suppression_on_all_channels_blocks_both():
    r = recipient()
    suppression_add(channel="all", address=r.phone, reason="legal_hold", source="t", actor="t")
    suppression_add(channel="all", address=r.email, reason="legal_hold", source="t", actor="t")
    assert reason_for(r, "sms", "notice") == "suppressed.legal_hold"
    assert reason_for(r, "email", "notice") == "suppressed.legal_hold"


def test_suppression_on_the_other_channel_does_not_block():
    r = recipient()
    suppression_add(channel="sms", address=r.phone, reason="opt_out", source="t", actor="t")
    assert reason_for(r, "email", "collection") is None
    assert reason_for(r, "sms", "collection") == "suppressed.opt_out"


def test_expired_suppressions_do_not_block():
    r = recipient()
    suppression_add(channel="email", address=r.email, reason="manual", source="t", actor="t",
                    expires_at=timezone.now() - timedelta(minutes=1))
    assert reason_for(r, "email", "collection") is None
    suppression_add(channel="email", address=r.email, reason="manual", source="t", actor="t",
                    expires_at=timezone.now() + timedelta(days=1))
    assert reason_for(r, "email", "collection") == "suppressed.manual"


def test_precedence_of_several_suppressions():
    r = recipient()
    for reason in ["opt_out", "hard_bounce", "legal_hold"]:
        suppression_add(channel="email", address=r.email, reason=reason, source="t", actor="t")
    assert reason_for(r, "email", "marketing") == "suppressed.legal_hold"
    assert reason_for(r, "email", "transactional") == "suppressed.legal_hold"


def test_no_contact_and_not_mobile():
    r = recipient(email="", phone="", phone_type="unknown")
    assert reason_for(r, "email", "notice") == "no_contact"
    assert reason_for(r, "sms", "notice") == "no_contact"
    landline = recipient(phone="+81312345678", phone_type="fixed_line")
    assert reason_for(landline, "sms", "notice") == "not_mobile"
    assert reason_for(landline, "email", "notice") is None


def test_marketing_needs_unrevoked_consent_for_that_channel():
    r = recipient()
    assert reason_for(r, "email", "marketing") == "no_consent"
    assert reason_for(r, "email", "notice") is None
    consent = consent_grant(recipient=r, channel="email", source="paper", wording="同意します", actor="t")
    assert reason_for(r, "email", "marketing") is None
    assert reason_for(r, "sms", "marketing") == "no_consent"
    consent_revoke(consent=consent, actor="t", reason="電話で撤回")
    assert reason_for(r, "email", "marketing") == "no_consent"


def test_exclusion_list_by_external_id_wins():
    r = recipient()
    excluded = ExclusionList.objects.create(name="係争中")
    ExclusionEntry.objects.create(exclusion_list=excluded, external_id=r.external_id, reason="litigation")
    other = ExclusionList.objects.create(name="empty")
    assert reason_for(r, "email", "notice", excluded.pk) == "excluded"
    assert reason_for(r, "email", "notice", other.pk) is None
    assert reason_for(r, "email", "notice") is None


def test_set_based_and_single_forms_agree_over_a_generated_population():
    rnd = random.Random(11)
    now = timezone.now()
    excluded = ExclusionList.objects.create(name="x")
    people = []
    for i in range(120):
        kind = rnd.choice(["mobile", "fixed_line", "unknown"])
        people.append(recipient(email=rnd.choice(["", f"p{i}@Example.jp"]), phone=rnd.choice(["", f"+819011{i:06d}"]),
                                phone_type=kind))
    for p in people:
        if rnd.random() < 0.3 and (p.email or p.phone):
            channel = rnd.choice(["email", "sms", "all"])
            address = p.email_normalized if channel == "email" or (channel == "all" and p.email) else p.phone
            if address:
                Suppression.objects.create(channel=channel, address=address, reason=rnd.choice(REASONS),
                                           expires_at=rnd.choice([None, now - timedelta(days=1),
                                                                  now + timedelta(days=1)]))
        if rnd.random() < 0.4:
            Consent.objects.create(recipient=p, channel=rnd.choice(["email", "sms"]), granted_at=now, source="s",
                                   wording="w", revoked_at=rnd.choice([None, None, now]))
        if rnd.random() < 0.1:
            ExclusionEntry.objects.create(exclusion_list=excluded, external_id=p.external_id)
    seen = set()
    for channel in ["email", "sms"]:
        for purpose in PURPOSES:
            for list_id in [None, excluded.pk]:
                rows = annotate_block_reason(Recipient.objects.all(), channel=channel, purpose=purpose,
                                             exclusion_list_id=list_id)
                for row in rows:
                    expected = send_block_reason(recipient=row, channel=channel, purpose=purpose,
                                                 exclusion_list_id=list_id)
                    assert row.block_reason == expected, (row.pk, channel, purpose, list_id)
                    seen.add(expected.split(".")[0] if expected else None)
    assert {None, "excluded", "no_contact", "not_mobile", "suppressed", "no_consent"} <= seen


def test_unknown_channel_or_purpose_is_refused():
    with pytest.raises(ValueError):
        annotate_block_reason(Recipient.objects.all(), channel="fax", purpose="notice")
    with pytest.raises(ValueError):
        send_block_reason(recipient=recipient(), channel="email", purpose="spam")

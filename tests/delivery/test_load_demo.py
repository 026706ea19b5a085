"""``manage.py load_demo``: users for every role, Japanese customers, a segment, templates and drafts that
pass preflight — the demo walk works end to end — and a second run changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audiences.models import Recipient, Segment
from campaigns.models import Campaign, Delivery
from campaigns.services import campaign_approve, campaign_submit
from channels.adapters import memory
from notify_console.roles import user_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", "--recipients", "60", stdout=out)
    return out.getvalue()


def test_it_creates_a_user_per_role_and_prints_the_passwords(demo, tmp_path):
    passwords = json.loads((tmp_path / "demo_passwords.json").read_text())
    User = get_user_model()
    for username, role in {"demo-operator": "operator", "demo-approver": "approver", "demo-auditor": "auditor",
                           "demo-admin": "admin"}.items():
        user = User.objects.get(username=username)
        assert user.check_password(passwords[username]) and role in user_roles(user)
        assert f"user: {username}" in demo and passwords[username] in demo


def test_it_creates_customers_segments_and_draft_campaigns(demo):
    people = Recipient.objects.filter(external_id__startswith="DEMO-")
    assert people.count() == 60
    assert people.filter(name="佐藤 太郎").exists()
    assert people.filter(phone_type="fixed_line").count() == 2 and people.filter(email="").count() == 1
    assert set(Segment.objects.values_list("name", flat=True)) >= {"デモ: 全顧客", "デモ: 東京支店"}
    assert set(Campaign.objects.values_list("state", flat=True)) == {Campaign.State.DRAFT}
    assert Campaign.objects.filter(name__startswith="デモ:").count() == 3


def test_running_it_again_changes_nothing(demo, tmp_path):
    out = io.StringIO()
    call_command("load_demo", "--recipients", "60", stdout=out)
    assert "already there" in out.getvalue()
    assert Recipient.objects.count() == 60 and Campaign.objects.count() == 3
    assert json.loads((tmp_path / "demo_passwords.json").read_text())["demo-operator"] in out.getvalue()


def test_it_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")


def test_the_demo_walk_submit_approve_send(demo, drive, settings):
    settings.EMAIL_SETTINGS = {"backend": "memory"}
    User = get_user_model()
    campaign = Campaign.objects.get(name="デモ: 12月お引き落としのお知らせ")
    campaign = campaign_submit(campaign=campaign, user=User.objects.get(username="demo-operator"))
    campaign = campaign_approve(campaign=campaign, user=User.objects.get(username="demo-approver"),
                                seen_hash=campaign.content_hash)
    drive()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED
    skipped = dict(Delivery.objects.filter(campaign=campaign, status="skipped").values_list("skip_reason", "id"))
    assert {"excluded", "no_contact", "suppressed.hard_bounce"} <= set(skipped)
    assert len(memory.sent("email")) == Delivery.objects.filter(campaign=campaign, status="sent").count() > 40

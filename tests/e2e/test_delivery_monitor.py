"""In Chromium: an operator follows an approved campaign from its page to the monitor, pauses it (with the
confirmation dialog), sees it hold, resumes it and watches it complete; an auditor sees no buttons."""

from __future__ import annotations

import pytest

from campaigns.dispatch.materialise import campaign_start
from campaigns.models import Campaign, Delivery
from campaigns.permissions import grant_approve_permission
from campaigns.services import campaign_approve, campaign_create, campaign_submit
from campaigns.tasks import dispatch_tick
from tests.campaigns import conftest as campaigns_fixtures
from tests.campaigns.conftest import customer
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

people, email_sender = campaigns_fixtures.people, campaigns_fixtures.email_sender
make_audience, email_template = campaigns_fixtures.make_audience, campaigns_fixtures.email_template


@pytest.fixture
def started(people, make_audience, email_template, email_sender, settings):
    settings.EMAIL_SETTINGS = {"backend": "memory"}
    grant_approve_permission()  # a transactional test's flush removed what the data migration granted
    segment = make_audience([customer(i) for i in range(12)] + [customer(99, email="")])
    campaign = campaign_create(user=people["author"], name="12月請求のお知らせ", purpose="notice",
                               template=email_template, segment=segment, sender=email_sender,
                               window_start_hour=0, window_end_hour=24)  # real clock: any hour of the day
    campaign = campaign_submit(campaign=campaign, user=people["author"])
    campaign = campaign_approve(campaign=campaign, user=people["approver"], seen_hash=campaign.content_hash)
    assert campaign_start(campaign_id=campaign.pk)  # materialised; no batch has run yet
    return Campaign.objects.get(pk=campaign.pk)


def test_an_operator_pauses_resumes_and_watches_a_campaign_complete(started, live_server, page, screenshot):
    sign_in(page, live_server.url, "author", PASSWORD)
    page.goto(f"{live_server.url}/campaigns/{started.pk}/")
    page.click("#monitor")
    page.wait_for_selector("#mon-state[data-state=sending]")
    assert page.inner_text("#mon-pending") == "12"
    assert page.inner_text("#mon-skipped") == "1"
    assert "no_contact" in page.inner_text("#mon-skipped tbody")
    screenshot("sending")

    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("#mon-pause-form input[name=reason]", "文面の最終確認")
    page.click("#mon-pause")
    page.wait_for_selector("#mon-state[data-state=paused]")
    assert "文面の最終確認" in page.inner_text("#mon-reason")
    dispatch_tick()  # a paused campaign sends nothing
    assert not Delivery.objects.filter(campaign=started, status="sent").exists()
    screenshot("paused")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#mon-resume")
    page.wait_for_selector("#mon-state[data-state=sending]")
    dispatch_tick()  # resumed: the tick fans out and (eagerly) sends
    dispatch_tick()
    page.wait_for_selector("#mon-state[data-state=completed]", timeout=20_000)
    assert page.inner_text("#mon-sent") == "12" and page.inner_text("#mon-pending") == "0"
    assert page.is_hidden("#mon-cancel-form")
    screenshot("completed")


def test_dismissing_the_dialog_keeps_the_campaign_going(started, live_server, page):
    sign_in(page, live_server.url, "author", PASSWORD)
    page.goto(f"{live_server.url}/campaigns/{started.pk}/monitor/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#mon-cancel")
    page.wait_for_timeout(300)
    assert Campaign.objects.get(pk=started.pk).state == Campaign.State.SENDING


def test_an_auditor_watches_without_buttons(started, live_server, page):
    sign_in(page, live_server.url, "auditor1", PASSWORD)
    page.goto(f"{live_server.url}/campaigns/{started.pk}/monitor/")
    page.wait_for_selector("#mon-state[data-state=sending]")
    assert page.locator("#mon-actions").count() == 0

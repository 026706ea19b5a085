"""Links a user can type into a message, and URLs the server itself would fetch (SSRF).

Message links are the only URLs users type: preflight allows them only over https, only to
ALLOWED_LINK_DOMAINS (and our own PUBLIC_BASE_URL host), and never with a host a merge field fills
in. Submitting a campaign with such a link is refused: the campaign stays a draft, the only audit
event is the refusal itself, and a log line names the finding.

The server fetches no URL a user can type: provider endpoints (TWILIO_API_BASE, EMAIL_URL) come from
the environment only; the last test keeps it that way by walking every model for URL-ish fields.
"""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from audit.models import AuditEvent
from campaigns.models import Campaign
from campaigns.preflight.findings import Finding
from campaigns.services import CampaignError, campaign_create, campaign_submit, template_create
from tests.campaigns.conftest import email_sender, make_audience, people, segment  # noqa: F401  (fixtures)

from .conftest import logged

pytestmark = pytest.mark.django_db

BAD_LINKS = {
    "plain http": ("お支払い: http://bank.example.jp/pay", "link.not_https",
                   "Links must use https: http://bank.example.jp/pay"),
    "other domain": ("https://bank-example.top/login", "link.domain_not_allowed",
                     "A link points outside the allowed domains: bank-example.top"),
    "backslash authority": ("https://evil.example\\@bank.example.jp/pay", "link.domain_not_allowed",
                            "A link points outside the allowed domains: evil.example"),
    "userinfo": ("https://bank.example.jp@evil.example/pay", "link.domain_not_allowed",
                 "A link points outside the allowed domains: evil.example"),
    "suffix": ("https://bank.example.jp.evil.example/", "link.domain_not_allowed",
               "A link points outside the allowed domains: bank.example.jp.evil.example"),
    "internal address": ("https://169.254.169.254/latest/meta-data/", "link.domain_not_allowed",
                         "A link points outside the allowed domains: 169.254.169.254"),
    "host from data": ("https://{{ host }}/pay", "link.host_from_data",
                       "A link's domain comes from a merge field (https://{{)"),
    "host suffix from data": ("https://bank.example.jp{{ suffix }}/pay", "link.host_from_data",
                              "A link's domain comes from a merge field (https://bank.example.jp{{)"),
    "no scheme": ("お支払い: www.bank.example.jp/pay", "link.not_https",
                  "Links must use https: www.bank.example.jp/pay"),
    "bare domain": ("詳しくは bank.example.jp/pay へ", "link.not_https", "Links must use https: bank.example.jp/pay"),
    "full-width http": ("ｈｔｔｐ://bank.example.jp/", "link.not_https", "Links must use https: http://bank.example.jp/"),
}
HTML_LINKS = {
    "javascript href": ('<a href="javascript:alert(1)">pay</a>', "link.bad_scheme",
                        "This kind of link is not allowed in a message: javascript:alert(1)"),
    "tab-split javascript": ('<a href="java\tscript:alert(1)">pay</a>', "link.bad_scheme",
                             "This kind of link is not allowed in a message"),
    "data href": ('<a href="data:text/html;base64,PGgxPg==">pay</a>', "link.bad_scheme",
                  "This kind of link is not allowed in a message: data:text/html"),
    "protocol-relative": ('<a href="//bank.example.jp/pay">pay</a>', "link.not_https",
                          "Links must use https: //bank.example.jp/pay"),
    "href from data": ('<a href="{{ url }}">pay</a>', "link.host_from_data",
                       "A link's domain comes from a merge field ({{ url }})"),
    "image from elsewhere": ('<img src="https://tracker.example/p.gif">', "link.domain_not_allowed",
                             "A link points outside the allowed domains: tracker.example"),
}


@pytest.fixture(autouse=True)
def _allowed(settings):
    settings.ALLOWED_LINK_DOMAINS = ["bank.example.jp"]
    settings.PUBLIC_BASE_URL = "https://notify.bank.example.jp"


def _submit_refused(people, segment, email_sender, *, text: str, html: str = ""):  # noqa: F811
    template = template_create(user=people["author"], name="links", channel="email", subject="お知らせ",
                               text=text, html=html)
    campaign = campaign_create(user=people["author"], name="links", purpose="notice", template=template,
                               segment=segment, sender=email_sender)
    before = sorted(AuditEvent.objects.values_list("action", flat=True))
    with pytest.raises(CampaignError) as exc:
        campaign_submit(campaign=campaign, user=people["author"])
    after = sorted(AuditEvent.objects.values_list("action", flat=True))
    for action in before:
        after.remove(action)
    assert after == ["campaign.submit_refused"]
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT and campaign.template_version_id is None
    return exc.value, campaign


@pytest.mark.parametrize("case", list(BAD_LINKS) + list(HTML_LINKS))
def test_a_message_link_outside_https_and_the_allowed_domains_blocks_submission(
        case, people, segment, email_sender, caplog):  # noqa: F811
    caplog.set_level(logging.WARNING)
    if case in BAD_LINKS:
        link, code, message = BAD_LINKS[case]
        error, campaign = _submit_refused(people, segment, email_sender, text=f"{{{{ name }}}} 様\n{link}\n")
    else:
        link, code, message = HTML_LINKS[case]
        error, campaign = _submit_refused(people, segment, email_sender, text="{{ name }} 様\n",
                                          html=f"<p>{{{{ name }}}} 様</p>{link}")
    assert error.code == "campaign.preflight_failed" and code in error.details["errors"]
    with translation.override("en"):
        messages = [(f.code, str(f.message)) for f in map(Finding.from_json, campaign.preflight)]
    assert any(c == code and message in text for c, text in messages), messages
    assert logged(caplog, f"link refused ({code})")


def test_https_links_to_allowed_domains_and_our_own_opt_out_link_pass(people, segment, email_sender):  # noqa: F811
    template = template_create(user=people["author"], name="ok", channel="email", subject="お知らせ",
                               text="{{ name }} 様\nhttps://www.bank.example.jp/pay\n配信停止: {{ unsubscribe_url }}\n",
                               html='<a href="https://bank.example.jp/pay">pay</a> <a href="{{ unsubscribe_url }}">'
                                    'stop</a> <a href="mailto:info@bank.example.jp">mail</a> <a href="#top">top</a>')
    campaign = campaign_create(user=people["author"], name="ok", purpose="notice", template=template,
                               segment=segment, sender=email_sender)
    campaign = campaign_submit(campaign=campaign, user=people["author"])
    assert campaign.state == Campaign.State.PENDING_APPROVAL
    assert not [f for f in campaign.preflight if f["code"].startswith("link.")]


def test_no_model_stores_a_url_that_the_server_would_fetch():
    """SSRF has no door while no user-editable field holds a URL; provider endpoints are environment-only."""
    suspicious = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.URLField) or (isinstance(field, models.CharField) and any(
                    word in field.name for word in ("url", "endpoint", "base", "webhook", "callback", "host"))):
                suspicious.append(f"{model._meta.label}.{field.name}")
    assert suspicious == []

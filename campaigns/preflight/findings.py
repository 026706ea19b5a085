"""What a preflight check reports: a stable code, a severity, and parameters for a human message.

Messages are built from the code when shown (``Finding.message``), in the reader's language, so stored
findings (JSON on the campaign, audit details) stay language-neutral.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext_lazy as _

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

MESSAGES = {
    "template.syntax": _("Template error: %(detail)s"),
    "template.render_failed": _("The template cannot be rendered for %(count)s recipients: %(detail)s"),
    "template.undefined_field": _("The merge field “%(field)s” is missing for %(count)s recipients."),
    "template.empty_field": _("The merge field “%(field)s” is empty for %(count)s recipients."),
    "link.domain_not_allowed": _("A link points outside the allowed domains: %(domain)s"),
    "link.not_https": _("Links must use https: %(link)s"),
    "link.bad_scheme": _("This kind of link is not allowed in a message: %(link)s"),
    "link.host_from_data": _("A link's domain comes from a merge field (%(link)s), so it cannot be checked before "
                             "sending; write the domain in the template."),
    "sms.link_forbidden": _("SMS must not contain links in this organisation (found: %(link)s)."),
    "text.prohibited_word": _("Prohibited word: “%(word)s”."),
    "text.asks_for_secret": _("The message asks for a secret (%(word)s): that is what phishing looks like."),
    "text.mentions_secret": _("The message mentions a secret (%(word)s); make sure it does not ask for it."),
    "sms.encoding": _("SMS encoding %(encoding)s: %(single)s characters in one message, %(part)s per part."),
    "sms.ucs2_recipients": _("%(count)s recipients have characters outside GSM-7 in merge fields (sent as UCS-2)."),
    "sms.segments": _("The longest message is %(characters)s characters in %(segments)s segments."),
    "sms.too_long": _("The longest message has %(characters)s characters, over the limit of %(limit)s."),
    "sms.cost": _("Estimated cost: about %(estimate)s yen (at most %(maximum)s yen) at %(per_segment)s yen per "
                  "segment."),
    "email.no_subject": _("The email has no subject."),
    "marketing.sender_name_missing": _("Marketing email must show the sender's name (特定電子メール法): the sender "
                                       "has none."),
    "marketing.opt_out_missing": _("Marketing email must tell recipients they may opt out, with the link "
                                   "({{ unsubscribe_url }}) in %(part)s."),
    "marketing.postal_address_missing": _("Marketing email must show the sender's postal address: the sender has "
                                          "none."),
    "marketing.contact_missing": _("Marketing email must show a contact for inquiries: the sender has none."),
    "schedule.outside_window": _("The scheduled time is outside the send window; sending starts at %(opening)s."),
    "schedule.in_past": _("The scheduled time has passed; sending starts as soon as the campaign is approved."),
    "schedule.duration": _("At %(rate)s messages per second the send takes about %(duration)s."),
    "audience.empty": _("Nobody in the audience can receive this campaign."),
    "audience.sendable": _("%(count)s recipients will receive the campaign (of %(total)s in the segment)."),
    "audience.suppressed": _("%(count)s recipients are suppressed (%(reason)s)."),
    "audience.excluded": _("%(count)s recipients are on the exclusion list."),
    "audience.no_consent": _("%(count)s recipients have not consented to marketing."),
    "audience.no_contact": _("%(count)s recipients have no usable address for this channel."),
    "audience.not_mobile": _("%(count)s recipients' numbers are not mobile numbers."),
    "audience.blocked": _("%(count)s recipients are blocked (%(reason)s)."),
    "campaign.no_sender": _("No sender is chosen."),
    "campaign.no_segment": _("No segment is chosen."),
    "campaign.no_template": _("No template version is chosen."),
}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    params: dict = field(default_factory=dict)
    link: str = ""

    @property
    def message(self) -> str:
        template = MESSAGES.get(self.code)
        if template is None:
            return self.code
        try:
            return str(template) % self.params
        except (KeyError, ValueError, TypeError):
            return str(template)

    @property
    def blocks(self) -> bool:
        return self.severity == ERROR

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Finding:
        return cls(code=data["code"], severity=data["severity"], params=data.get("params", {}),
                   link=data.get("link", ""))


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.code))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.blocks for f in findings)

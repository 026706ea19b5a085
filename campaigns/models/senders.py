"""What administrators configure: senders (with the 特定電子メール法 details) and prohibited words."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audiences.models.choices import Channel


class Sender(models.Model):
    """An email From or SMS sender id an administrator has approved for campaigns.

    For marketing email, ``name``, ``postal_address`` and ``contact`` are what 特定電子メール法 requires
    every message to show; they are appended to each marketing email as its footer.
    """

    channel = models.CharField(max_length=8, choices=Channel.choices)
    name = models.CharField(_("sender name"), max_length=200, help_text=_("shown to recipients, e.g. 〇〇銀行"))
    from_email = models.EmailField(_("From address"), blank=True, default="")
    sms_sender_id = models.CharField(_("SMS sender id"), max_length=20, blank=True, default="",
                                     help_text=_("alphanumeric id or number"))
    postal_address = models.TextField(_("postal address"), blank=True, default="")
    contact = models.CharField(_("contact for inquiries"), max_length=300, blank=True, default="",
                               help_text=_("phone number, address or URL"))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["channel", "name"]

    def __str__(self) -> str:
        address = self.from_email if self.channel == Channel.EMAIL else self.sms_sender_id
        return f"{self.name} <{address}>"

    def legal_details(self) -> dict[str, str]:
        return {"name": self.name, "postal_address": self.postal_address, "contact": self.contact,
                "address": self.from_email if self.channel == Channel.EMAIL else self.sms_sender_id}


class ProhibitedWord(models.Model):
    """Words preflight flags in any message (edited by administrators in the admin site)."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Error (blocks submission)")
        WARNING = "warning", _("Warning (shown to approvers)")

    word = models.CharField(max_length=100, unique=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.ERROR)
    note = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word

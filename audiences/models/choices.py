"""Value sets shared by the audiences models, services and other apps (stable strings, stored as-is)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class SuppressionChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    ALL = "all", _("All channels")


class SuppressionReason(models.TextChoices):
    OPT_OUT = "opt_out", _("Opt-out")
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Complaint")
    LEGAL_HOLD = "legal_hold", _("Legal hold")
    DO_NOT_CONTACT = "do_not_contact", _("Do not contact")
    MANUAL = "manual", _("Manual")


class PhoneType(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    FIXED_LINE = "fixed_line", _("Fixed line")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Purpose(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    NOTICE = "notice", _("Notice")
    COLLECTION = "collection", _("Collection")
    MARKETING = "marketing", _("Marketing")

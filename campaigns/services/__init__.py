"""State changes of the campaigns app. Import from here: ``from campaigns.services import campaign_submit``."""

from .campaigns import EDITABLE_FIELDS, campaign_create, campaign_update, max_throttle, validate_campaign
from .errors import CampaignError
from .lifecycle import (
    TRANSITIONS,
    campaign_approve,
    campaign_cancel,
    campaign_pause,
    campaign_preflight_run,
    campaign_reject,
    campaign_release,
    campaign_resume,
    campaign_submit,
    campaign_transition,
)
from .templates import template_archive, template_create, template_version_create
from .test_send import campaign_test_send

__all__ = [
    "EDITABLE_FIELDS", "TRANSITIONS", "CampaignError", "campaign_approve", "campaign_cancel", "campaign_create",
    "campaign_pause", "campaign_preflight_run", "campaign_reject", "campaign_release", "campaign_resume",
    "campaign_submit", "campaign_test_send", "campaign_transition", "campaign_update", "max_throttle",
    "template_archive", "template_create", "template_version_create", "validate_campaign",
]

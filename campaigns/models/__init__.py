"""Campaigns' models, one module per concern; import them from ``campaigns.models``."""

from .campaigns import Approval, Campaign, TestSend
from .deliveries import Delivery
from .samples import DeliverySample
from .senders import ProhibitedWord, Sender
from .templates import Template, TemplateVersion

__all__ = ["Approval", "Campaign", "Delivery", "DeliverySample", "ProhibitedWord", "Sender", "Template",
           "TemplateVersion", "TestSend"]

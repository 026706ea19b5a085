"""Audiences' models, one module per concern; import them from ``audiences.models``."""

from .consent import Consent
from .exclusions import ExclusionEntry, ExclusionList
from .imports import ImportIssue, ImportJob
from .recipients import AudienceList, Membership, Recipient
from .segments import Segment
from .suppression import Suppression

__all__ = [
    "AudienceList",
    "Consent",
    "ExclusionEntry",
    "ExclusionList",
    "ImportIssue",
    "ImportJob",
    "Membership",
    "Recipient",
    "Segment",
    "Suppression",
]

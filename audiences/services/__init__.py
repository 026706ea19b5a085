"""State changes of the audiences app; every one that matters writes an audit event.

Import from here: ``from audiences.services import suppression_add``.
"""

from .consent import consent_grant, consent_revoke
from .exclusions import ExclusionInputError, exclusion_entries_add, exclusion_entry_remove, exclusion_list_create
from .imports import ImportInputError, import_cancel, import_create
from .lists import audience_list_get_or_create
from .segments import segment_create, segment_delete, segment_update
from .suppression import SuppressionInputError, suppression_add, suppression_remove

__all__ = [
    "ImportInputError",
    "import_cancel",
    "import_create",
    "SuppressionInputError",
    "audience_list_get_or_create",
    "consent_grant",
    "consent_revoke",
    "ExclusionInputError",
    "exclusion_entries_add",
    "exclusion_entry_remove",
    "exclusion_list_create",
    "segment_create",
    "segment_delete",
    "segment_update",
    "suppression_add",
    "suppression_remove",
]

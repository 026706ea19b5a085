from __future__ import annotations


class CampaignError(Exception):
    """A refused action. ``code`` is stable (``campaign.approver_is_author``, ``campaign.stale`` ...);
    ``message`` is for people, in the active language; ``status`` is the HTTP status an API should use."""

    def __init__(self, code: str, message: str, *, status: int = 409, field: str = "", details=None) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.status = status
        self.field = field
        self.details = details or {}

    def __str__(self) -> str:
        return self.message

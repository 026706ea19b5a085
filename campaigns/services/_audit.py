"""Audit events of campaigns: one per transition, always carrying the content hash."""

from __future__ import annotations

from audit.services import record


def record_campaign(action: str, campaign, *, user=None, actor: str | None = None, request=None, outcome: str = "",
                    **details) -> None:
    record(
        action=action,
        actor=actor,
        user=user,
        request=request,
        obj=campaign,
        campaign_id=campaign.pk,
        channel=campaign.channel,
        outcome=outcome or campaign.state,
        details={"content_hash": campaign.content_hash, "state": campaign.state, **details},
    )

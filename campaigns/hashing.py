"""The content hash: a SHA-256 over everything an approver sees and signs.

Campaign settings (name, purpose, channel, schedule, window, throttle, label, test group, pilot), the
template version's parts, the audience definition (segment rules, exclusion list) and the sender's
details. Approval records the hash the approver saw; approving is refused when the campaign's hash has
moved since, and the approval page is refused when it is stale.
"""

from __future__ import annotations

import hashlib
import json


def content_payload(campaign) -> dict:
    version = campaign.version_for_preview
    if campaign.segment_definition is not None:
        rules = campaign.segment_definition
    else:
        rules = campaign.segment.rules if campaign.segment_id else None
    sender = campaign.sender.legal_details() if campaign.sender_id else None
    return {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "purpose": campaign.purpose,
            "channel": campaign.channel,
            "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
            "window": [campaign.window_start_hour, campaign.window_end_hour, sorted(campaign.window_weekdays),
                       campaign.window_tz],
            "throttle_per_s": campaign.throttle_per_s,
            "importance_label": campaign.importance_label,
            "test_addresses": list(campaign.test_addresses),
            "pilot_percentage": campaign.pilot_percentage,
        },
        "template": None if version is None else {
            "template_id": version.template_id, "version_id": version.pk, "number": version.number,
            "parts": version.parts(),
        },
        "audience": {
            "segment_id": campaign.segment_id,
            "rules": rules,
            "exclusion_list_id": campaign.exclusion_list_id,
        },
        "sender": None if sender is None else {"id": campaign.sender_id, **sender},
    }


def content_hash(campaign) -> str:
    payload = json.dumps(content_payload(campaign), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                         default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()

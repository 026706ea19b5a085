from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import record

from ..models import Segment
from ..segments import validate_rules
from ..selectors import segment_count
from ._actor import actor_name


def segment_create(*, name: str, rules: dict, user: Any = None, request: Any = None, description: str = "",
                   actor: str | None = None) -> Segment:
    validate_rules(rules)
    who = actor_name(actor=actor, user=user, request=request)
    with transaction.atomic():
        segment = Segment.objects.create(
            name=name.strip(), rules=rules, description=description, created_by=who, updated_by=who
        )
        record(action="segment.created", actor=who, request=request, obj=segment,
               details={"name": segment.name, "rules": rules, "count": segment_count(segment)})
    return segment


def segment_update(*, segment: Segment, user: Any = None, request: Any = None, name: str | None = None,
                   rules: dict | None = None, description: str | None = None, actor: str | None = None) -> Segment:
    who = actor_name(actor=actor, user=user, request=request)
    before = {"name": segment.name, "rules": segment.rules, "description": segment.description}
    if rules is not None:
        validate_rules(rules)
        segment.rules = rules
    if name is not None:
        segment.name = name.strip()
    if description is not None:
        segment.description = description
    segment.updated_by, segment.updated_at = who, timezone.now()
    with transaction.atomic():
        segment.save()
        record(action="segment.updated", actor=who, request=request, obj=segment,
               details={"before": before, "after": {"name": segment.name, "rules": segment.rules,
                                                    "description": segment.description},
                        "count": segment_count(segment)})
    return segment


def segment_delete(*, segment: Segment, user: Any = None, request: Any = None, actor: str | None = None) -> None:
    who = actor_name(actor=actor, user=user, request=request)
    with transaction.atomic():
        record(action="segment.deleted", actor=who, request=request, obj=segment,
               details={"name": segment.name, "rules": segment.rules})
        segment.delete()

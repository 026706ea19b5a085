from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from audit.services import record

from ..models import ExclusionEntry, ExclusionList
from ._actor import actor_name


def exclusion_list_create(*, name: str, user: Any = None, request: Any = None, description: str = "") -> ExclusionList:
    who = actor_name(user=user, request=request)
    with transaction.atomic():
        row = ExclusionList.objects.create(name=name.strip(), description=description, created_by=who)
        record(action="exclusion_list.created", actor=who, request=request, obj=row, details={"name": row.name})
    return row


def exclusion_entries_add(*, exclusion_list: ExclusionList, external_ids: Iterable[str], reason: str = "",
                          user: Any = None, request: Any = None) -> int:
    """Add external ids (duplicates ignored); returns how many were new."""
    who = actor_name(user=user, request=request)
    wanted = {str(x).strip() for x in external_ids if str(x).strip()}
    with transaction.atomic():
        existing = set(
            ExclusionEntry.objects.filter(exclusion_list=exclusion_list, external_id__in=wanted)
            .values_list("external_id", flat=True)
        )
        new = sorted(wanted - existing)
        ExclusionEntry.objects.bulk_create(
            [ExclusionEntry(exclusion_list=exclusion_list, external_id=x, reason=reason, created_by=who) for x in new],
            batch_size=2000, ignore_conflicts=True,
        )
        record(action="exclusion.added", actor=who, request=request, obj=exclusion_list,
               details={"added": len(new), "external_ids": new[:1000], "reason": reason})
    return len(new)


def exclusion_entry_remove(*, entry: ExclusionEntry, user: Any = None, request: Any = None) -> None:
    who = actor_name(user=user, request=request)
    with transaction.atomic():
        record(action="exclusion.removed", actor=who, request=request, obj=entry.exclusion_list,
               details={"external_id": entry.external_id})
        entry.delete()

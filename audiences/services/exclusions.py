from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record

from ..imports.parse import MAX_EXTERNAL_ID
from ..models import ExclusionEntry, ExclusionList
from ..normalize import normalize_external_id
from ._actor import actor_name

MAX_ENTRIES_PER_CALL = 100_000


class ExclusionInputError(ValueError):
    """An empty name, too many numbers, a number too long; ``code`` is stable (``exclusion.too_long``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def exclusion_numbers(raw: Iterable[str]) -> set[str]:
    """The distinct customer numbers in ``raw``, normalised as the import normalises them; blanks dropped."""
    return {normalize_external_id(str(x)) for x in raw} - {""}


def exclusion_list_create(*, name: str, user: Any = None, request: Any = None, description: str = "") -> ExclusionList:
    if not name.strip():
        raise ExclusionInputError("exclusion.no_name", _("Name the exclusion list."))
    who = actor_name(user=user, request=request)
    with transaction.atomic():
        row = ExclusionList.objects.create(name=name.strip(), description=description, created_by=who)
        record(action="exclusion_list.created", actor=who, request=request, obj=row, details={"name": row.name})
    return row


def exclusion_entries_add(*, exclusion_list: ExclusionList, external_ids: Iterable[str], reason: str = "",
                          user: Any = None, request: Any = None) -> int:
    """Add external ids (duplicates ignored); returns how many were new.

    Numbers are normalised as the import normalises them, so a full-width ``Ｃ００１`` excludes the
    recipient imported as ``C001``. Nothing is written when any number is refused.
    """
    who = actor_name(user=user, request=request)
    wanted = exclusion_numbers(external_ids)
    if len(wanted) > MAX_ENTRIES_PER_CALL:
        raise ExclusionInputError("exclusion.too_many", _("At most %(max)s customer numbers at a time.") % {
            "max": f"{MAX_ENTRIES_PER_CALL:,}"})
    too_long = sorted(x for x in wanted if len(x) > MAX_EXTERNAL_ID)
    if too_long:
        raise ExclusionInputError("exclusion.too_long", _(
            "Customer numbers are at most %(max)d characters; %(count)d are longer, e.g. %(example)s.") % {
            "max": MAX_EXTERNAL_ID, "count": len(too_long), "example": repr(too_long[0][:40] + "…")})
    reason = reason.strip()[:300]
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

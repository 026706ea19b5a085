from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from audit.services import record

from ..models import AudienceList
from ._actor import actor_name


def audience_list_get_or_create(*, name: str, user: Any = None, actor: str | None = None,
                                request: Any = None, description: str = "") -> AudienceList:
    name = name.strip()
    if not name:
        raise ValueError("a list needs a name")
    found = AudienceList.objects.filter(name=name).first()
    if found:
        return found
    who = actor_name(actor=actor, user=user, request=request)
    try:
        with transaction.atomic():
            created = AudienceList.objects.create(name=name, description=description, created_by=who)
            record(action="audience_list.created", actor=who, request=request, obj=created, details={"name": name})
            return created
    except IntegrityError:
        return AudienceList.objects.get(name=name)

from __future__ import annotations

from typing import Any

from audit.services import actor_of


def actor_name(*, actor: str | None = None, user: Any = None, request: Any = None) -> str:
    """Who acts: an explicit actor string (``system:…``), else the user, else the request's user."""
    if actor:
        return actor
    if user is None and request is not None:
        user = getattr(request, "user", None)
    return actor_of(user)

"""``/api/v1/``: templates and campaigns (mounted by notify_console.api).

Errors answer ``{"code": ..., "message": ...}`` with a 4xx status; the codes are the services'.
"""

from __future__ import annotations

from ninja import Router

from .campaigns import router as campaigns_router
from .templates import router as templates_router

router = Router(tags=["campaigns"])
router.add_router("", templates_router)
router.add_router("", campaigns_router)

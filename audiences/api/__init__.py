"""``/api/v1/``: imports, recipients, segments, suppressions, consents, exclusion lists.

Mounted by notify_console.api.
Every operation is for operators and admins (``auth=roles(OPERATOR, ADMIN)``); errors answer with
``{"code": ..., "message": ...}`` and a 4xx status.
"""

from __future__ import annotations

from ninja import Router

from .exclusions import router as exclusions_router
from .imports import router as imports_router
from .recipients import router as recipients_router
from .segments import router as segments_router
from .suppressions import router as suppressions_router

router = Router(tags=["audiences"])
router.add_router("", imports_router)
router.add_router("", recipients_router)
router.add_router("", segments_router)
router.add_router("", suppressions_router)
router.add_router("", exclusions_router)

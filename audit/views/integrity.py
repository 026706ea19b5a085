from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notify_console.roles import ADMIN, AUDITOR, role_required

from ..integrity import integrity_status


@role_required(AUDITOR, ADMIN)
def integrity(request):
    retention = {"events": settings.AUDIT_RETENTION_DAYS, "recipients": settings.RECIPIENT_DATA_RETENTION_DAYS}
    return render(request, "audit/integrity.html", {"status": integrity_status(), "retention": retention})


@role_required(AUDITOR, ADMIN)
@require_POST
def integrity_verify(request):
    from ..tasks import verify_audit

    username = request.user.get_username()
    transaction.on_commit(lambda: verify_audit.delay(requested_by=username))
    messages.info(request, _("Verification started. Its verdict appears here when it finishes."))
    return redirect("audit:integrity")

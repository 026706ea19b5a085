from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from ninja import Schema

from notify_console.api import roles
from notify_console.roles import ADMIN, APPROVER, AUDITOR, OPERATOR

from ..services import CampaignError

OPERATORS = roles(OPERATOR, ADMIN)
APPROVERS = roles(APPROVER, ADMIN)
STEERERS = roles(OPERATOR, APPROVER, ADMIN)  # may pause and resume
READERS = roles(OPERATOR, APPROVER, AUDITOR, ADMIN)


class ErrorOut(Schema):
    code: str
    message: str
    field: str = ""
    details: dict = {}


def error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"code": code, "message": str(message), **extra}, status=status)


def not_found(what: str = "campaign") -> JsonResponse:
    return error(404, f"{what}.not_found", f"No such {what}.")


def service_errors(view):
    """Turn a refused service call into ``{"code", "message"}`` with the service's status."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except CampaignError as exc:
            return error(exc.status, exc.code, exc.message, field=exc.field, details=exc.details)

    return wrapper

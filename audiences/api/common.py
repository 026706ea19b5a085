from __future__ import annotations

from django.http import JsonResponse

from notify_console.api import roles
from notify_console.roles import ADMIN, OPERATOR

OPERATORS = roles(OPERATOR, ADMIN)


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": str(message)}, status=status)

"""The operation log (操作ログ): every request by which a person changes something becomes an audit event.

``OperationLogMiddleware`` looks at each request after its response is known and records:

- ``op.post`` / ``op.put`` / ``op.patch`` / ``op.delete``: any state-changing request by a signed-in
  person, from the UI (session) or the API (Bearer token), whatever its outcome — a refused or failed
  attempt is as interesting to an auditor as a successful one;
- ``op.view_personal_data``: a ``GET`` of a page named in ``settings.AUDIT_PERSONAL_DATA_VIEWS``
  (the recipient detail page by default);
- ``op.download``: any other ``GET`` answered with a file attachment (an export or a report).

Each event carries the actor, the resolved URL name (``object_type``) and its first argument
(``object_id``), the campaign/recipient when the URL names one, IP address, user agent, the HTTP status
(mapped to ``outcome``) and, in ``details``, the method, path, URL arguments, the names of the submitted
form fields (never their values), ``via`` (``ui`` or ``api``) and the API token's public prefix.

Not recorded here, on purpose:
- anonymous requests: nothing was done *by a person*. A login failure is recorded by the auth signals;
  public endpoints (``PUBLIC_VIEWS``: the one-click unsubscribe, provider webhooks, set_language, health)
  are driven by recipients and providers, and the services behind them record their own domain events
  (suppression added, receipt applied) with an honest actor rather than whoever happens to hold a session;
- sign-in and sign-out, which the auth signals already record as ``auth.login`` / ``auth.logout``;
- requests whose view recorded a fuller event itself and said so with ``mark_recorded`` (the audit
  exports record ``audit.exported`` with the filter, row count and SHA-256).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .services import record

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Recorded as auth.login / auth.logout by notify_console.signals.
SIGNAL_RECORDED_VIEWS = {"login", "logout", "admin:login", "admin:logout"}
_CAMPAIGN_KWARGS = ("campaign_id", "campaign_pk")
_RECIPIENT_KWARGS = ("recipient_id", "recipient_pk")
_QUERY_MAX = 500


def mark_recorded(request: Any) -> None:
    """Tell the middleware that this request's own audit event already says everything."""
    request._audit_recorded = True


def public_views() -> set[str]:
    from notify_console.roles import PUBLIC_VIEWS

    return set(PUBLIC_VIEWS)


def view_name(request: Any) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""


def action_for(request: Any, response: Any) -> str | None:
    """The op-log action for this request, or None when the operation log has nothing to say."""
    if getattr(request, "_audit_recorded", False):
        return None
    name = view_name(request)
    method = request.method.upper()
    if method in STATE_CHANGING:
        action = "op." + method.lower()
    elif method == "GET" and name in set(settings.AUDIT_PERSONAL_DATA_VIEWS):
        action = "op.view_personal_data"
    elif method == "GET" and response.get("Content-Disposition", "").startswith("attachment"):
        action = "op.download"
    else:
        return None
    if name in SIGNAL_RECORDED_VIEWS or name in public_views():
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        user = _bearer_user(request)
        if user is None:
            return None
        request.user = user  # the API refused before authenticating (405, 404): still this person's request
    return action


def _bearer_token(request: Any) -> str:
    parts = request.META.get("HTTP_AUTHORIZATION", "").split(None, 1)
    return parts[1].strip() if len(parts) == 2 and parts[0].lower() == "bearer" else ""


def _bearer_user(request: Any) -> Any:
    token = _bearer_token(request)
    if not token:
        return None
    from notify_console.models import ApiToken, hash_token

    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return row.user if row else None


def outcome_for(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "refused"
    if status < 500:
        return "rejected"
    return "error"


def _int_kwarg(kwargs: dict, names: tuple[str, ...]) -> int | None:
    for name in names:
        try:
            return int(kwargs[name])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def record_operation(request: Any, response: Any, action: str) -> None:
    match = getattr(request, "resolver_match", None)
    kwargs = {k: str(v) for k, v in (match.kwargs if match else {}).items()}
    name = view_name(request)
    namespace = name.split(":", 1)[0] if ":" in name else ""
    campaign_names = _CAMPAIGN_KWARGS + (("pk", "id") if namespace == "campaigns" else ())
    recipient_names = _RECIPIENT_KWARGS + (("pk", "id") if action == "op.view_personal_data" else ())
    token = _bearer_token(request)
    via = "api" if namespace == "api" or token else "ui"
    details: dict[str, Any] = {
        "method": request.method.upper(),
        "path": request.path[:300],
        "view": name,
        "kwargs": kwargs,
        "status": response.status_code,
        "via": via,
    }
    if request.META.get("QUERY_STRING"):
        details["query"] = request.META["QUERY_STRING"][:_QUERY_MAX]
    if "_post" in request.__dict__:  # only when the view parsed the form; never re-read a large upload
        details["fields"] = sorted(k for k in request._post if k != "csrfmiddlewaretoken")
    if token:
        details["token_prefix"] = token[:10]  # the public part ApiToken.prefix also keeps
    if action == "op.download":
        details["content_disposition"] = response.get("Content-Disposition", "")[:200]
    record(
        action=action,
        request=request,
        object_type=name[:64],
        object_id=next(iter(kwargs.values()), "")[:64],
        campaign_id=_int_kwarg(kwargs, campaign_names),
        recipient_id=_int_kwarg(kwargs, recipient_names),
        outcome=outcome_for(response.status_code),
        details=details,
    )


class OperationLogMiddleware:
    """Place after AuthenticationMiddleware: the actor is whoever the request was authenticated as
    once the view has run (the API's Bearer auth sets ``request.user`` inside the view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        action = action_for(request, response)
        if action is not None:
            record_operation(request, response, action)
        return response

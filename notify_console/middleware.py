"""Request-scoped helpers: the current request for audit signals deep inside the admin, and the CSP header."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

from django.conf import settings

_request: ContextVar = ContextVar("notify_request", default=None)


def current_request():
    return _request.get()


class CurrentRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


class ContentSecurityPolicyMiddleware:
    """Sends a Content-Security-Policy on every response (our own: a few lines, no dependency).

    Scripts come from our static files; the few inline blocks that still carry server-rendered labels
    are allowed by a nonce made fresh for every response (``{{ request.csp_nonce }}``), never by
    'unsafe-inline'. No inline styles (``style=""``) either, except on pages that preview an HTML e-mail
    (below): pages set sizes from JavaScript through the CSSOM, which CSP permits. A view that sets its own
    header keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        if "Content-Security-Policy" not in response and "Content-Security-Policy-Report-Only" not in response:
            response[header] = content_security_policy(request.csp_nonce, email_preview=_has_email_preview(response))
        return response


# An HTML e-mail is previewed in a sandboxed srcdoc iframe (no scripts, opaque origin). Such a frame inherits
# the page's policy, and e-mail HTML is styled inline, so only pages that embed one allow inline *styles*
# (never scripts): the approver must see the message as the recipient will.
_EMAIL_PREVIEW = b'sandbox="" srcdoc="'


def _has_email_preview(response) -> bool:
    return (not response.streaming and response.get("Content-Type", "").startswith("text/html")
            and _EMAIL_PREVIEW in response.content)


def content_security_policy(nonce: str, *, email_preview: bool = False) -> str:
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'" if email_preview else "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if settings.CSP_REPORT_URI:
        directives.append(f"report-uri {settings.CSP_REPORT_URI}")
    return "; ".join(directives)

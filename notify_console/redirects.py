"""Open-redirect guard: no response of ours sends a browser to another site, whatever built its Location.

Django's sign-in, sign-out and language views already ignore an unsafe ``?next=``; this middleware
adds the log line they do not write, and a last line of defence for any redirect assembled from user
input elsewhere (today or in a later view): a 3xx whose ``Location`` leaves our host is replaced by a
redirect home and logged (``redirect.off_site``). ``//evil.example``, ``/\\evil.example``,
``https:evil.example`` and ``javascript:`` are all off-site to ``url_has_allowed_host_and_scheme``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .request_limits import form_fields

log = logging.getLogger(__name__)
NEXT_PARAMETERS = ("next",)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_safe(request, url: str) -> bool:
    hosts = {request.get_host(), *[h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]}
    return url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=request.is_secure())


class OffsiteRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self._log_unsafe_next(request)
        response = self.get_response(request)
        location = response.get("Location") if 300 <= response.status_code < 400 else None
        if location and not is_safe(request, location):
            log.warning("refused an off-site redirect (redirect.off_site) from %s %s to %r", request.method,
                        request.path, location[:300])
            return HttpResponseRedirect(reverse("home"))
        return response

    @staticmethod
    def _log_unsafe_next(request) -> None:
        values = [request.GET.get(name, "") for name in NEXT_PARAMETERS]
        # Only a small form is read here (sign-in, sign-out, language): never an upload.
        small = int(request.META.get("CONTENT_LENGTH") or 0) <= 64 * 1024
        if request.method == "POST" and small and request.content_type in _FORMS:
            try:
                values += [form_fields(request).get(name, "") for name in NEXT_PARAMETERS]
            except Exception:  # a malformed body: the view (or RequestLimitsMiddleware) answers for it
                return
        for value in values:
            if value and not is_safe(request, value):
                log.warning("ignored an unsafe next= parameter (redirect.unsafe_next) on %s %s: %r", request.method,
                            request.path, value[:300])

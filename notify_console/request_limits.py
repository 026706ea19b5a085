"""Request bodies refused at the door: by declared size before anything reads them, and malformed
multipart bodies with a coded 400 instead of a bare error page (issue #8, "bad input on every door")."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


# Views whose bodies may be larger (the CSV import) or must be smaller (provider webhooks) than the
# general REQUEST_MAX_BYTES; by URL name, so a moved URL keeps its limit.
_IMPORT_VIEWS = {"audiences:imports", "api:create_import"}
_MULTIPART_BOUNDARY = re.compile(r"[ -~]{0,69}[!-~]")  # RFC 2046: 1-70 characters, no trailing space


def body_limit(request) -> int:
    try:
        name = resolve(request.path_info).view_name
    except Resolver404:
        return settings.REQUEST_MAX_BYTES
    if name in _IMPORT_VIEWS:
        return settings.IMPORT_MAX_BYTES + 64 * 1024  # the multipart envelope around the file
    if name.startswith("channels:hook_"):
        return settings.WEBHOOK_MAX_BYTES
    return settings.REQUEST_MAX_BYTES


def refusal(request, status: int, code: str, message: str) -> HttpResponse:
    """A coded refusal: JSON for the API and webhooks' machine callers, a short page for people."""
    if request.path_info.startswith("/api/") or request.path_info.startswith("/channels/hooks/"):
        return JsonResponse({"code": code, "message": str(message)}, status=status)
    back, label = escape(request.path_info), escape(_("Back"))
    return HttpResponse(f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>"
                        f"<p><code>{code}</code></p><p><a href=\"{back}\">{label}</a></p>", status=status)


class RequestLimitsMiddleware:
    """Refuses a body by its declared size before anything reads it, and a malformed multipart body with
    a coded 400.

    It sits before CSRF on purpose: CsrfViewMiddleware reads ``request.POST``, which parses (and spools
    to disk) a whole multipart upload before any view could look at its size. A body sent without a
    Content-Length (chunked) is read as empty by Django's WSGI handler, so it cannot slip past.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Runs before LocaleMiddleware: answer in the language the caller asked for all the same.
        with translation.override(translation.get_language_from_request(request)):
            refused = self._check(request)
        return refused or self.get_response(request)

    def _check(self, request) -> HttpResponse | None:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(request, 400, "request.malformed", _("The request's Content-Length is not valid."))
        limit = body_limit(request)
        if length > limit:
            return self._refuse(request, 413, "request.too_large",
                                _("The request is %(size)s; the limit here is %(limit)s.") % {
                                    "size": filesizeformat(length), "limit": filesizeformat(limit)})
        content_type = request.META.get("CONTENT_TYPE", "")
        if length and content_type.lower().startswith("multipart/form-data"):
            boundary = _boundary(content_type)
            if not boundary or not _MULTIPART_BOUNDARY.fullmatch(boundary):
                return self._refuse(request, 400, "request.malformed",
                                    _("The multipart body has no valid boundary; send it as multipart/form-data."))
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        """After the size check, before CSRF and the view read any field: no NUL byte in a text field.

        PostgreSQL refuses NUL in text and JSON (psycopg raises, the request ends in a 500 half-way); no
        field of ours has a use for it. Uploaded files are not fields: the CSV sniffer checks those.
        """
        try:
            where = _nul_field(request)
        except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent) as exc:
            return self.process_exception(request, exc)
        if where is None:
            return None
        with translation.override(translation.get_language_from_request(request)):
            return self._refuse(request, 400, "request.nul_byte",
                                _("The field %(field)s contains a NUL byte (\\0), which no text may contain.")
                                % {"field": where[:100]})

    def process_exception(self, request, exception):
        if isinstance(exception, MultiPartParserError | RequestDataTooBig | TooManyFieldsSent):
            with translation.override(translation.get_language_from_request(request)):
                return self._refuse(request, 400, "request.malformed",
                                    _("The form data could not be read (%(reason)s).") % {"reason": exception})
        return None

    @staticmethod
    def _refuse(request, status: int, code: str, message: str) -> HttpResponse:
        log.warning("request refused (%s): %s %s from %s: %s", code, request.method, request.path_info,
                    request.META.get("REMOTE_ADDR"), message)
        return refusal(request, status, code, message)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def form_fields(request):
    """``request.POST`` for a middleware, leaving ``request.body`` readable for views that parse it.

    Parsing a multipart body consumes the stream; a small one is read into ``request.body`` first
    (Django then parses the copy). A large one is an upload, and upload views use ``request.FILES``.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    if request.content_type == "multipart/form-data" and int(request.META.get("CONTENT_LENGTH") or 0) <= limit:
        request.body  # noqa: B018  (cached by Django)
    return request.POST


def _nul_field(request) -> str | None:
    """The name of the first query parameter or body field holding a NUL character, else None."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    if request.content_type in _FORM_TYPES:
        for key, values in form_fields(request).lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key
    elif request.content_type == "application/json" and int(request.META.get("CONTENT_LENGTH") or 0):
        body = request.body
        if b"\x00" in body or b"\\u0000" in body:
            return "(JSON body)"
    return None


def _boundary(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _sep, value = param.strip().partition("=")
        if key.strip().lower() == "boundary":
            return value.strip().strip('"')
    return ""

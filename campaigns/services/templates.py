"""Templates: creating one, and editing one (which adds a version; versions never change)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from audit.services import record

from ..models import Template, TemplateVersion
from ..rendering import PARTS, MessageSource, RenderError, compile_message
from .errors import CampaignError

logger = logging.getLogger(__name__)
# Refusals on save: the template could never be compiled, whatever the data.
BOMB_CODES = ("template.too_large", "template.too_deep")


def _parts_for(channel: str, *, subject: str, text: str, html: str, body: str) -> dict[str, str]:
    given = {"subject": subject, "text": text, "html": html, "body": body}
    parts = {name: (given[name] or "") for name in PARTS[channel]}
    if channel == "email" and not parts["text"].strip():
        raise CampaignError("template.text_required", _("An email template needs a text body."), status=400,
                            field="text")
    if channel == "sms" and not parts["body"].strip():
        raise CampaignError("template.body_required", _("An SMS template needs a body."), status=400, field="body")
    _refuse_bombs(channel, parts)
    return parts


def _refuse_bombs(channel: str, parts: dict[str, str]) -> None:
    """A template that is too long or nests too deeply is never saved: no version would ever compile.

    Ordinary syntax errors are kept (a draft may be half-written); preflight reports them with a line.
    """
    try:
        compile_message(MessageSource(channel=channel, **parts))
    except RenderError as exc:
        if exc.code not in BOMB_CODES:
            return
        logger.warning("template refused (%s): %s", exc.code, exc.message)
        message = (_("The template nests too deeply to be compiled.") if exc.code == "template.too_deep"
                   else _("The template is longer than %(limit)s characters.") % {
                       "limit": f"{settings.TEMPLATE_MAX_SOURCE_CHARS:,}"})
        raise CampaignError(exc.code, message, status=400)


@transaction.atomic
def template_create(*, user, name: str, channel: str, description: str = "", subject: str = "", text: str = "",
                    html: str = "", body: str = "", note: str = "", request=None) -> Template:
    name = (name or "").strip()
    if not name:
        raise CampaignError("template.name_required", _("A template needs a name."), status=400, field="name")
    if channel not in PARTS:
        raise CampaignError("template.bad_channel", _("Unknown channel."), status=400, field="channel")
    parts = _parts_for(channel, subject=subject, text=text, html=html, body=body)
    if Template.objects.filter(name=name).exists():
        raise CampaignError("template.duplicate_name", _("A template with this name exists."), status=400,
                            field="name")
    template = Template.objects.create(name=name, channel=channel, description=description, created_by=user)
    version = _add_version(template, user=user, parts=parts, note=note or "created")
    record(action="template.created", user=user, request=request, obj=template,
           details={"version": version.number, "version_hash": version.content_hash, "channel": channel})
    return template


@transaction.atomic
def template_version_create(*, template: Template, user, subject: str = "", text: str = "", html: str = "",
                            body: str = "", note: str = "", request=None) -> TemplateVersion:
    """Edit = a new version. Unchanged content returns the latest version instead of a copy."""
    template = Template.objects.select_for_update().get(pk=template.pk)
    parts = _parts_for(template.channel, subject=subject, text=text, html=html, body=body)
    latest = template.latest_version
    if latest is not None and latest.content_hash == TemplateVersion.hash_parts(template.channel, parts):
        return latest
    version = _add_version(template, user=user, parts=parts, note=note)
    record(action="template.version_created", user=user, request=request, obj=template,
           details={"version": version.number, "version_id": version.pk, "version_hash": version.content_hash})
    return version


def _add_version(template: Template, *, user, parts: dict[str, str], note: str) -> TemplateVersion:
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        return TemplateVersion.objects.create(
            template=template, number=number, note=note[:300], created_by=user,
            content_hash=TemplateVersion.hash_parts(template.channel, parts), **parts,
        )
    except IntegrityError:
        raise CampaignError("template.concurrent_edit", _("Someone saved this template at the same time; retry."))


@transaction.atomic
def template_archive(*, template: Template, user, request=None) -> Template:
    """Hide a template from new campaigns; its versions stay for the campaigns that used them."""
    template = Template.objects.select_for_update().get(pk=template.pk)
    if not template.archived:
        template.archived = True
        template.save(update_fields=["archived"])
        record(action="template.archived", user=user, request=request, obj=template)
    return template

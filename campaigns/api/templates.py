# No "from __future__ import annotations": django-ninja reads these annotations as real types.
import datetime as dt

from ninja import Router, Schema, Status

from ..models import Template
from ..services import template_archive, template_create, template_version_create
from .common import OPERATORS, READERS, not_found, service_errors

router = Router()


class VersionOut(Schema):
    id: int
    number: int
    subject: str
    text: str
    html: str
    body: str
    note: str
    content_hash: str
    created_by: str
    created_at: dt.datetime


class TemplateOut(Schema):
    id: int
    name: str
    channel: str
    description: str
    archived: bool
    latest_version: VersionOut | None


class TemplateIn(Schema):
    name: str
    channel: str
    description: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    body: str = ""
    note: str = ""


class VersionIn(Schema):
    subject: str = ""
    text: str = ""
    html: str = ""
    body: str = ""
    note: str = ""


def _version(version) -> dict | None:
    if version is None:
        return None
    return {**{f: getattr(version, f) for f in ("id", "number", "subject", "text", "html", "body", "note",
                                                 "content_hash", "created_at")},
            "created_by": version.created_by.get_username()}


def _template(template: Template) -> dict:
    return {"id": template.pk, "name": template.name, "channel": template.channel,
            "description": template.description, "archived": template.archived,
            "latest_version": _version(template.latest_version)}


@router.get("/templates", response=list[TemplateOut], auth=READERS, summary="Message templates")
def list_templates(request):
    return [_template(t) for t in Template.objects.order_by("name")]


@router.post("/templates", response={201: TemplateOut}, auth=OPERATORS, summary="Create a template (version 1)")
@service_errors
def create_template(request, payload: TemplateIn):
    template = template_create(user=request.auth, request=request, **payload.dict())
    return Status(201, _template(template))


@router.get("/templates/{template_id}", response=TemplateOut, auth=READERS, summary="A template")
def get_template(request, template_id: int):
    template = Template.objects.filter(pk=template_id).first()
    return _template(template) if template else not_found("template")


@router.get("/templates/{template_id}/versions", response=list[VersionOut], auth=READERS,
            summary="Every version, newest first")
def list_versions(request, template_id: int):
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        return not_found("template")
    return [_version(v) for v in template.versions.select_related("created_by").order_by("-number")]


@router.post("/templates/{template_id}/versions", response={201: VersionOut}, auth=OPERATORS,
             summary="Edit a template: adds a version (versions never change)")
@service_errors
def create_version(request, template_id: int, payload: VersionIn):
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        return not_found("template")
    version = template_version_create(template=template, user=request.auth, request=request, **payload.dict())
    return Status(201, _version(version))


@router.delete("/templates/{template_id}", response={204: None}, auth=OPERATORS,
               summary="Archive a template (its versions stay for the campaigns that used them)")
def archive_template(request, template_id: int):
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        return not_found("template")
    template_archive(template=template, user=request.auth, request=request)
    return Status(204, None)

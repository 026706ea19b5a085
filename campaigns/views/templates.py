"""Template pages: list, create, and the editor (saving makes a new version; preview before saving)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from audiences.models import Recipient
from notify_console.roles import ADMIN, OPERATOR, role_required

from ..forms import TemplateForm, TemplateVersionForm
from ..messages import MessageSpec, decorate
from ..messages import context_for as message_context
from ..models import Template
from ..preflight.findings import sort_findings
from ..preflight.runner import template_findings
from ..preflight.sms import sms_text_findings
from ..rendering import MessageSource, RenderError
from ..services import CampaignError, template_create, template_version_create


@role_required(OPERATOR, ADMIN)
def template_list(request):
    templates = Template.objects.annotate(versions_count=Count("versions"), latest=Max("versions__number"))
    return render(request, "campaigns/template_list.html", {"templates": templates})


@role_required(OPERATOR, ADMIN)
def template_new(request):
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = template_create(user=request.user, request=request, **form.cleaned_data)
        except CampaignError as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            messages.success(request, _("Template created."))
            return redirect("campaigns:template_detail", template_id=template.pk)
    return render(request, "campaigns/template_form.html", {"form": form})


def sample_preview(source: MessageSource) -> dict:
    """Template checks plus a preview for the first recipient who has every field the template needs."""
    compiled, findings = template_findings(source)
    preview = {"findings": findings, "parts": None, "recipient": None, "error": ""}
    if compiled is None:
        preview["findings"] = sort_findings(findings)
        return preview
    recipients = Recipient.objects.order_by("id")
    attribute_fields = [f for f in compiled.required_fields if f not in ("name", "email", "phone", "external_id")]
    if attribute_fields:
        recipients = recipients.filter(attributes__has_keys=attribute_fields)
    recipient = recipients.first()
    if recipient is not None:
        spec = MessageSpec(channel=source.channel, purpose="notice")
        try:
            preview["parts"] = decorate(compiled.render(message_context(compiled, spec, recipient)), spec)
            preview["recipient"] = recipient
            if source.channel == "sms":
                findings = findings + sms_text_findings(preview["parts"]["body"])
        except RenderError as exc:
            preview["error"] = exc.message
    preview["findings"] = sort_findings(findings)
    return preview


@role_required(OPERATOR, ADMIN)
def template_detail(request, template_id: int):
    template = get_object_or_404(Template, pk=template_id)
    latest = template.latest_version
    initial = {part: getattr(latest, part) for part in ("subject", "text", "html", "body")} if latest else {}
    form = TemplateVersionForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            source = MessageSource(template.channel, subject=data["subject"], text=data["text"], html=data["html"],
                                   body=data["body"])
            preview = sample_preview(source)
        else:
            try:
                version = template_version_create(template=template, user=request.user, request=request, **data)
            except CampaignError as exc:
                form.add_error(exc.field or None, exc.message)
            else:
                messages.success(request, _("Saved as version %(number)s.") % {"number": version.number})
                return redirect("campaigns:template_detail", template_id=template.pk)
    if preview is None and latest is not None:
        preview = sample_preview(latest.source())
    versions = template.versions.select_related("created_by").order_by("-number")
    return render(request, "campaigns/template_detail.html",
                  {"template": template, "form": form, "preview": preview, "versions": versions, "latest": latest})

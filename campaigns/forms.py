"""Forms of the campaigns pages. They only parse input; the services validate and decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audiences.models import ExclusionList, Segment
from audiences.models.choices import Channel, Purpose

from .models import Sender, Template

WEEKDAYS = [(0, _("Mon")), (1, _("Tue")), (2, _("Wed")), (3, _("Thu")), (4, _("Fri")), (5, _("Sat")), (6, _("Sun"))]
HOURS = [(h, f"{h:02d}:00") for h in range(25)]


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Title"), max_length=200)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    subject = forms.CharField(label=_("Subject"), required=False, max_length=500)
    text = forms.CharField(label=_("Text body"), required=False, widget=forms.Textarea(attrs={"rows": 10}))
    html = forms.CharField(label=_("HTML body (optional)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}))
    body = forms.CharField(label=_("SMS body"), required=False, widget=forms.Textarea(attrs={"rows": 5}))


class TemplateVersionForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, max_length=500)
    text = forms.CharField(label=_("Text body"), required=False, widget=forms.Textarea(attrs={"rows": 10}))
    html = forms.CharField(label=_("HTML body (optional)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}))
    body = forms.CharField(label=_("SMS body"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    note = forms.CharField(label=_("What changed"), required=False, max_length=300)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Title"), max_length=200)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    template = forms.ModelChoiceField(label=_("Template"), queryset=Template.objects.filter(archived=False))
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.all())
    exclusion_list = forms.ModelChoiceField(label=_("Exclusion list"), queryset=ExclusionList.objects.all(),
                                            required=False)
    sender = forms.ModelChoiceField(label=_("Sender"), queryset=Sender.objects.filter(active=True))
    send_at = forms.DateTimeField(label=_("Send at (empty: as soon as approved)"), required=False,
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    window_start_hour = forms.TypedChoiceField(label=_("Window opens"), choices=HOURS[:24], coerce=int, initial=8)
    window_end_hour = forms.TypedChoiceField(label=_("Window closes"), choices=HOURS[1:], coerce=int, initial=21)
    window_weekdays = forms.TypedMultipleChoiceField(label=_("Weekdays"), choices=WEEKDAYS, coerce=int,
                                                     initial=list(range(7)), widget=forms.CheckboxSelectMultiple)
    window_tz = forms.CharField(label=_("Time zone"), initial="Asia/Tokyo", max_length=64)
    throttle_per_s = forms.IntegerField(label=_("Messages per second"), min_value=1, initial=10)
    importance_label = forms.BooleanField(label=_("Mark as important (【重要】, notices only)"), required=False)
    test_addresses = forms.CharField(label=_("Test group (internal addresses, one per line)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    pilot_percentage = forms.IntegerField(label=_("Pilot percentage (0: no pilot)"), min_value=0, max_value=99,
                                          initial=0)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["channel"] = data["template"].channel
        return data

    @classmethod
    def initial_from(cls, campaign) -> dict:
        initial = {name: getattr(campaign, name) for name in cls.base_fields if name != "test_addresses"}
        initial["test_addresses"] = "\n".join(campaign.test_addresses)
        return initial


class ApproveForm(forms.Form):
    seen_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)
    comment = forms.CharField(label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("I have checked the previews, the audience and the preflight results."))


class RejectForm(forms.Form):
    seen_hash = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    comment = forms.CharField(label=_("Why (required)"), widget=forms.Textarea(attrs={"rows": 2}))

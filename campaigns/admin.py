"""Administrators configure senders (with the 特定電子メール法 details) and the prohibited-word list here.

Templates and campaigns are read-only in the admin: their changes go through the services (versions,
approvals, audit events), never through a generic edit form.
"""

from __future__ import annotations

from django.contrib import admin

from .models import Campaign, ProhibitedWord, Sender, Template


@admin.register(Sender)
class SenderAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "from_email", "sms_sender_id", "active")
    list_filter = ("channel", "active")
    fields = ("channel", "name", "from_email", "sms_sender_id", "postal_address", "contact", "active")


@admin.register(ProhibitedWord)
class ProhibitedWordAdmin(admin.ModelAdmin):
    list_display = ("word", "severity", "note")
    list_filter = ("severity",)
    search_fields = ("word",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Template)
class TemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "channel", "archived", "created_at")


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "purpose", "channel", "state", "created_at")
    list_filter = ("state", "purpose", "channel")

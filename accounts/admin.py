"""An administrator can remove someone's authenticator (lost phone); they then enrol again at next sign-in
if their role requires it. The secret itself is never shown."""

from django.contrib import admin

from audit.services import record

from .models import TOTPDevice


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at")
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")
    search_fields = ("user__username",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        record(action="auth.mfa_reset", request=request, obj=user, outcome="ok",
               details={"username": user.get_username()})

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            self.delete_model(request, device)

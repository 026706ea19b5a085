"""Who may approve: the ``campaigns.approve_campaign`` permission, held by the approver and admin groups."""

from __future__ import annotations

APPROVE_PERMISSION = "campaigns.approve_campaign"
APPROVER_GROUPS = ("approver", "admin")


def grant_approve_permission(apps=None) -> None:
    """Give the approver and admin groups the approve permission (the data migration calls this; so do
    test set-ups that recreate groups after a flush)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="campaigns", model="campaign")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="approve_campaign",
        defaults={"name": "Can approve or reject campaigns"},
    )
    for name in APPROVER_GROUPS:
        Group.objects.get_or_create(name=name)[0].permissions.add(permission)


def user_may_approve(user) -> bool:
    return bool(user and user.is_active and user.has_perm(APPROVE_PERMISSION))

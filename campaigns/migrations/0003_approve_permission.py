"""Data migration: the approver and admin groups may approve campaigns (four-eyes approval)."""

from django.db import migrations

from campaigns.permissions import grant_approve_permission


def grant(apps, schema_editor):
    grant_approve_permission(apps)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="campaigns", codename="approve_campaign").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_immutable_template_versions"),
        ("notify_console", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]

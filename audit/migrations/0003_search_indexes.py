"""Indexes for the auditor's search: (filter column, at, id) so each filter reads one page of rows.

On PostgreSQL they are built CONCURRENTLY: the audit table is written by every send, and a plain
CREATE INDEX would block those inserts for as long as it takes to index millions of events.
"""

from django.db import migrations, models

# Frozen here: a migration must not change when the model's index list does later (see 0004).
SEARCH_INDEXES = [
    models.Index(
        fields=["campaign_id", "at", "id"], name="audit_campaign_at", condition=models.Q(campaign_id__isnull=False)
    ),
    models.Index(
        fields=["recipient_id", "at", "id"], name="audit_recipient_at", condition=models.Q(recipient_id__isnull=False)
    ),
    models.Index(fields=["address", "at", "id"], name="audit_address_at", condition=~models.Q(address="")),
    models.Index(fields=["actor", "at", "id"], name="audit_actor_at"),
    models.Index(fields=["action", "at", "id"], name="audit_action_at"),
]


def _create(apps, schema_editor):
    model = apps.get_model("audit", "AuditEvent")
    for index in SEARCH_INDEXES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, index, concurrently=True)
        else:
            schema_editor.add_index(model, index)


def _drop(apps, schema_editor):
    model = apps.get_model("audit", "AuditEvent")
    for index in SEARCH_INDEXES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_create, _drop)],
            state_operations=[migrations.AddIndex("auditevent", index) for index in SEARCH_INDEXES],
        )
    ]

"""Two filters that still read the whole table at ten million events (measured with EXPLAIN, see
docs/benchmarks.md): an action prefix that matches nothing, and a rare outcome.

- ``action`` gets ``varchar_pattern_ops`` so that ``LIKE 'prefix%'`` can use the index whatever the
  database collation (only the C collation lets a plain index serve LIKE); equality still uses it.
- ``(outcome, at, id)`` serves "every refused/failed/error event", which is rare and often asked.

Built and dropped CONCURRENTLY on PostgreSQL, like 0003.
"""

from django.db import migrations, models

OLD_ACTION = models.Index(fields=["action", "at", "id"], name="audit_action_at")
NEW = [
    models.Index(fields=["action", "at", "id"], name="audit_action_prefix_at",
                 opclasses=["varchar_pattern_ops", "", ""]),
    models.Index(fields=["outcome", "at", "id"], name="audit_outcome_at"),
]


def _pg(schema_editor) -> dict:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def forwards(apps, schema_editor):
    model = apps.get_model("audit", "AuditEvent")
    for index in NEW:
        schema_editor.add_index(model, index, **_pg(schema_editor))
    schema_editor.remove_index(model, OLD_ACTION, **_pg(schema_editor))


def backwards(apps, schema_editor):
    model = apps.get_model("audit", "AuditEvent")
    schema_editor.add_index(model, OLD_ACTION, **_pg(schema_editor))
    for index in NEW:
        schema_editor.remove_index(model, index, **_pg(schema_editor))


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("audit", "0003_search_indexes")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.RemoveIndex("auditevent", "audit_action_at"),
                *[migrations.AddIndex("auditevent", index) for index in NEW],
            ],
        )
    ]

"""Memberships keyed by (audience_list, recipient): one index instead of three.

The table had an ``id`` primary key, a unique (audience_list, recipient) constraint and an index on
recipient — three index entries per membership, written once per imported row. The composite
primary key replaces all three (a recipient's lists are found by probing it once per list).
Django cannot migrate a table to a composite primary key by itself, so the state changes here and
the database is changed by hand: in place on PostgreSQL, by rebuilding the table on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] "
                "WHERE x.indrelid = 'audiences_membership'::regclass AND x.indnatts = 1 "
                "AND a.attname = 'recipient_id' AND NOT x.indisprimary"
            )
            recipient_indexes = [name for (name,) in cur.fetchall()]
        for name in recipient_indexes:
            schema_editor.execute(f'DROP INDEX "{name}"')
        schema_editor.execute("ALTER TABLE audiences_membership DROP CONSTRAINT aud_membership_unique")
        schema_editor.execute("ALTER TABLE audiences_membership DROP COLUMN id")
        schema_editor.execute("ALTER TABLE audiences_membership ADD CONSTRAINT audiences_membership_pkey "
                              "PRIMARY KEY (audience_list_id, recipient_id)")
        return
    for sql in (
        'CREATE TABLE "new__audiences_membership" ("audience_list_id" bigint NOT NULL, '
        '"recipient_id" bigint NOT NULL, "added_at" datetime NOT NULL, '
        'PRIMARY KEY ("audience_list_id", "recipient_id"))',
        'INSERT INTO "new__audiences_membership" ("audience_list_id", "recipient_id", "added_at") '
        'SELECT "audience_list_id", "recipient_id", "added_at" FROM "audiences_membership"',
        'DROP TABLE "audiences_membership"',
        'ALTER TABLE "new__audiences_membership" RENAME TO "audiences_membership"',
    ):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("audiences", "0007_c_collation_name_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="membership",
                    name="aud_membership_unique",
                ),
                migrations.RemoveField(
                    model_name="membership",
                    name="id",
                ),
                migrations.AddField(
                    model_name="membership",
                    name="pk",
                    field=models.CompositePrimaryKey("audience_list", "recipient", blank=True, editable=False,
                                                     primary_key=True, serialize=False),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="recipient",
                    field=models.ForeignKey(db_constraint=False, db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="memberships", to="audiences.recipient"),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, migrations.RunPython.noop)],
        ),
    ]

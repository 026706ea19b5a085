"""The database itself refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the audit tables."""

from django.db import migrations

from audit.triggers import APPEND_ONLY_TABLES, install_sql, remove_sql


def install(apps, schema_editor):
    for table in APPEND_ONLY_TABLES:
        for statement in install_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    for table in APPEND_ONLY_TABLES:
        for statement in remove_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]

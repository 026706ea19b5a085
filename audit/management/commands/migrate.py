"""``migrate`` as the tables' owner when ``DATABASE_OWNER_URL`` is set.

The application's role (``DATABASE_URL``) may not create or alter tables, nor own the audit table (see
``audit.db_roles``). So this process — schema changes, data migrations (which use the default alias),
post-migrate signals, the system checks — connects as the owner: the ``default`` connection takes the
owner's credentials before Django's ``migrate`` runs (and keeps them for the rest of the process: call it
from a one-off process, as ``manage.py migrate`` is). Without ``DATABASE_OWNER_URL`` (SQLite, CI's
single role) this is Django's ``migrate`` unchanged.
"""

from __future__ import annotations

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS

from audit.db_roles import connect_default_as_owner


class Command(MigrateCommand):
    def handle(self, *args, **options):
        if options["database"] == DEFAULT_DB_ALIAS and connect_default_as_owner():
            self.stdout.write("Migrating as the database owner (DATABASE_OWNER_URL).")
        return super().handle(*args, **options)

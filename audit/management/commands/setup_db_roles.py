from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from audit.db_roles import RoleSetupError, grant_statements, migration_alias, setup_app_role


class Command(BaseCommand):
    help = (
        "Create the application's PostgreSQL role (DATABASE_URL's user and password unless given) and grant it "
        "ordinary DML on every table but only SELECT and INSERT on the audit tables, including default "
        "privileges for tables later migrations create. Connects as the owner (DATABASE_OWNER_URL). "
        "Idempotent: run it after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=None, help="the alias to connect as (default: owner if set)")
        parser.add_argument("--app-role", default=None, help="default: the user of DATABASE_URL")
        parser.add_argument("--app-password-env", default=None, metavar="VAR",
                            help="take the role's password from this environment variable "
                                 "(default: the password of DATABASE_URL; empty: leave it unchanged)")
        parser.add_argument("--no-create", action="store_true", help="the role must exist already")
        parser.add_argument("--print-sql", action="store_true",
                            help="print the GRANT statements for a DBA instead of running them")

    def handle(self, *args, **options):
        alias = options["database"] or migration_alias()
        default = settings.DATABASES["default"]
        app_role = options["app_role"] or default.get("USER") or ""
        if not app_role:
            raise CommandError("no application role: pass --app-role or set DATABASE_URL=postgres://app:…@…")
        if options["app_password_env"]:
            password = os.environ.get(options["app_password_env"], "")
        else:
            password = default.get("PASSWORD", "") if app_role == default.get("USER") else ""
        connection = connections[alias]
        if options["print_sql"]:
            owner = settings.DATABASES[alias].get("USER") or "OWNER"
            for statement in grant_statements(app_role=app_role, owner_role=owner,
                                              database=settings.DATABASES[alias].get("NAME") or "DATABASE"):
                self.stdout.write(statement + ";")
            return
        try:
            with transaction.atomic(using=alias):
                result = setup_app_role(connection, app_role=app_role, password=password or None,
                                        create=not options["no_create"])
        except RoleSetupError as exc:
            raise CommandError(str(exc))
        verb = "created" if result.created else "updated"
        self.stdout.write(f"role {result.app_role!r} {verb}: {len(result.statements)} grants as {result.owner_role!r}; "
                          "SELECT and INSERT only on the audit tables")

"""Two PostgreSQL roles, so the audit log is out of the application's reach.

The triggers of ``audit.triggers`` refuse ``UPDATE``/``DELETE``/``TRUNCATE``, but a role that owns the
table (or is a superuser) can switch them off (``ALTER TABLE … DISABLE TRIGGER``,
``SET session_replication_role = replica``) and rewrite history. So in production:

- the **owner** role (``DATABASE_OWNER_URL``) owns every table: ``migrate`` and ``setup_db_roles`` run
  as it, and nothing else does;
- the **application** role (``DATABASE_URL``) gets ordinary DML on every table, but only ``SELECT`` and
  ``INSERT`` on ``audit_auditevent`` and ``audit_auditseal``, only ``SELECT`` on ``django_migrations``,
  and no role attribute (superuser, CREATEROLE, BYPASSRLS, REPLICATION) that would lift it back up.

``grant_statements()`` is the SQL (also printed by ``setup_db_roles --print-sql`` for a DBA);
``role_findings()`` is what the system check (``audit.checks``) and the tests inspect.
This module is imported by the settings: nothing Django-model-related at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

OWNER_ALIAS = "owner"
AUDIT_TABLES = ("audit_auditevent", "audit_auditseal")
# Tables the application may read but never write: the migration history belongs to the owner.
READ_ONLY_TABLES = ("django_migrations",)
# Role attributes the application role must not have; each one (re)opens a way around the triggers.
SAFE_ATTRIBUTES = "LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def owner_database(default: dict, url: str) -> dict:
    """``DATABASES["owner"]`` from ``DATABASE_OWNER_URL``: the same PostgreSQL database as ``default``,
    another role. Mirrors ``default`` in tests (one test database, not two)."""
    import environ
    from django.core.exceptions import ImproperlyConfigured

    def bad(expected: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"DATABASE_OWNER_URL={_redacted(url)!r} is not valid: expected {expected}.")

    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several kinds here
        raise bad(f"postgres://owner:pass@host:5432/name ({exc})")
    if default.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_OWNER_URL is set but DATABASE_URL is not a postgres:// URL: "
                                   "the two-role setup is for PostgreSQL only.")
    if config.get("ENGINE") not in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
        raise bad("a postgres:// URL")
    for key in ("NAME", "HOST", "PORT"):
        if str(config.get(key) or "") != str(default.get(key) or ""):
            raise bad(f"the same database as DATABASE_URL (its {key.lower()} differs)")
    if config.get("USER") == default.get("USER"):
        raise bad("another role than DATABASE_URL's (the owner migrates, the application only writes rows)")
    return {
        **default,
        "USER": config.get("USER", ""),
        "PASSWORD": config.get("PASSWORD", ""),
        "OPTIONS": {**default.get("OPTIONS", {}), **config.get("OPTIONS", {})},
        "CONN_MAX_AGE": 0,  # used by one-off commands only
        "TEST": {"MIRROR": "default"},
    }


def _redacted(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":…@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def migration_alias() -> str:
    """The alias ``setup_db_roles`` uses by default: the owner when it is configured."""
    from django.db import connections

    return OWNER_ALIAS if OWNER_ALIAS in connections.settings else "default"


def connect_default_as_owner() -> bool:
    """In this process, let the ``default`` connection log in as the owner (``migrate`` does, so that data
    migrations and post-migrate signals, which write through ``default``, run as the owner too).
    False when no owner is configured."""
    from django.db import connections

    if OWNER_ALIAS not in connections.settings:
        return False
    owner, default = connections.settings[OWNER_ALIAS], connections.settings["default"]
    connections["default"].close()
    default["USER"], default["PASSWORD"] = owner["USER"], owner["PASSWORD"]
    return True


def is_owner_connection(connection) -> bool:
    """True for a connection that logs in as the owner role (the ``owner`` alias, or ``default`` in migrate)."""
    from django.db import connections

    owner = connections.settings.get(OWNER_ALIAS)
    return connection.alias == OWNER_ALIAS or bool(owner and connection.settings_dict.get("USER") == owner["USER"])


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_statements(*, app_role: str, owner_role: str, database: str, schema: str = "public",
                     existing_tables: tuple[str, ...] = AUDIT_TABLES + READ_ONLY_TABLES) -> list[str]:
    """The GRANT/REVOKE statements that give ``app_role`` its rights; idempotent. Run as ``owner_role``."""
    app, owner, db, sch = _ident(app_role), _ident(owner_role), _ident(database), _ident(schema)
    statements = [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        # USAGE (nextval) without UPDATE (setval): the application cannot rewind an id sequence.
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        # Tables and sequences later migrations create (as the owner) get the same rights.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    for table in AUDIT_TABLES:
        if table in existing_tables:
            statements += [
                f"REVOKE ALL ON {sch}.{_ident(table)} FROM {app}, PUBLIC",
                f"GRANT SELECT, INSERT ON {sch}.{_ident(table)} TO {app}",
            ]
    for table in READ_ONLY_TABLES:
        if table in existing_tables:
            statements += [
                f"REVOKE ALL ON {sch}.{_ident(table)} FROM {app}, PUBLIC",
                f"GRANT SELECT ON {sch}.{_ident(table)} TO {app}",
            ]
    return statements


class RoleSetupError(Exception):
    pass


@dataclass(frozen=True)
class RoleSetup:
    app_role: str
    owner_role: str
    created: bool
    statements: list[str]


def setup_app_role(connection, *, app_role: str, password: str | None, create: bool = True) -> RoleSetup:
    """Create (or bring back in line) ``app_role`` and grant it its rights, connected as the owner.

    ``connection`` is a Django connection to the database, as the role that owns (or will own) the
    tables. Refuses when the application role is that owner, owns an audit table or is a member of the
    owner role: grants cannot take rights away from an owner.
    """
    if connection.vendor != "postgresql":
        raise RoleSetupError("database roles are a PostgreSQL feature; this database is " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema(), "
                       "(SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user)")
        owner_role, database, schema, can_create_roles = cursor.fetchone()
        if app_role == owner_role:
            raise RoleSetupError(f"the application role {app_role!r} is the role this command connects as; "
                                 "set DATABASE_OWNER_URL to the owner and DATABASE_URL to the application's role")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role])
        exists = cursor.fetchone() is not None
        created = False
        if not exists and not create:
            raise RoleSetupError(f"role {app_role!r} does not exist (create it, or run without --no-create)")
        if can_create_roles:
            verb = "ALTER" if exists else "CREATE"
            # format() quotes the name (%I) and the password (%L) on the server: no quoting of our own.
            template = f"{verb} ROLE %%I WITH {SAFE_ATTRIBUTES}" + (" PASSWORD %%L" if password else "")
            cursor.execute(f"SELECT format('{template}', %s::text, %s::text)", [app_role, password or ""])
            cursor.execute(cursor.fetchone()[0])
            created = not exists
        elif not exists:
            raise RoleSetupError(f"role {app_role!r} does not exist and {owner_role!r} may not create roles: "
                                 f"a DBA runs CREATE ROLE {app_role} WITH {SAFE_ATTRIBUTES} PASSWORD '…'")
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app_role, owner_role])
        if cursor.fetchone()[0]:
            raise RoleSetupError(f"role {app_role!r} is a member of the owner role {owner_role!r}, so it has the "
                                 f"owner's rights: REVOKE {owner_role} FROM {app_role}")
        cursor.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = ANY(%s)",
            [schema, list(AUDIT_TABLES + READ_ONLY_TABLES)])
        owners = dict(cursor.fetchall())
        owned = sorted(t for t, o in owners.items() if o == app_role)
        if owned:
            raise RoleSetupError(
                f"role {app_role!r} owns {', '.join(owned)}: it created the tables. Hand them to the owner first "
                f"(as a superuser: REASSIGN OWNED BY {app_role} TO {owner_role}), then run this again")
        statements = grant_statements(app_role=app_role, owner_role=owner_role, database=database, schema=schema,
                                      existing_tables=tuple(owners))
        for statement in statements:
            cursor.execute(statement)
    return RoleSetup(app_role, owner_role, created, statements)


@dataclass(frozen=True)
class Finding:
    id: str  # audit.W001 (can switch the triggers off) or audit.W002 (rights it must not have)
    message: str


def role_findings(cursor) -> list[Finding]:
    """What the connected role could do to the audit tables beyond SELECT and INSERT.

    ``cursor`` is a DB-API cursor on PostgreSQL (Django's, or psycopg's). Empty list = out of reach.
    """
    cursor.execute("SELECT current_user, rolsuper, rolcreaterole, rolbypassrls, rolreplication, "
                   "current_setting('server_version_num')::int FROM pg_roles WHERE rolname = current_user")
    role, superuser, createrole, bypassrls, replication, version = cursor.fetchone()
    findings: list[Finding] = []
    if superuser:
        findings.append(Finding("audit.W001", f"the database role {role!r} is a superuser: it can switch the audit "
                                              "triggers off and rewrite the audit log"))
    if createrole:
        findings.append(Finding("audit.W001", f"the database role {role!r} has CREATEROLE: it can make itself a "
                                              "member of the tables' owner and switch the audit triggers off"))
    if version >= 150000:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        if cursor.fetchone()[0] and not superuser:
            findings.append(Finding("audit.W001", f"the database role {role!r} may SET session_replication_role, "
                                                  "which skips the audit triggers"))
    if bypassrls:
        findings.append(Finding("audit.W002", f"the database role {role!r} has BYPASSRLS"))
    if replication:
        findings.append(Finding("audit.W002", f"the database role {role!r} has REPLICATION"))
    for table in AUDIT_TABLES:
        cursor.execute(
            "SELECT pg_get_userbyid(c.relowner), pg_has_role(c.relowner, 'MEMBER'), "
            "has_any_column_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE'), "
            "has_table_privilege(c.oid, 'TRUNCATE') FROM pg_class c WHERE c.oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
        if row is None:
            continue
        owner, member_of_owner, update, delete, truncate = row
        if owner == role:
            findings.append(Finding("audit.W001", f"the database role {role!r} owns {table}: it can disable the "
                                                  "table's triggers (ALTER TABLE … DISABLE TRIGGER)"))
        elif member_of_owner and not superuser:
            findings.append(Finding("audit.W001", f"the database role {role!r} is a member of {owner!r}, which owns "
                                                  f"{table}: it can disable the table's triggers"))
        granted = [name for name, has in (("UPDATE", update), ("DELETE", delete), ("TRUNCATE", truncate)) if has]
        if granted and not superuser:
            findings.append(Finding("audit.W002", f"the database role {role!r} has {', '.join(granted)} on {table}; "
                                                  "it needs only SELECT and INSERT"))
    return findings

"""The application's PostgreSQL role cannot change the audit log, even with raw SQL.

Tests marked ``postgresql`` need database roles: on SQLite they are not collected, and the run's summary
says how many were left out (tests/conftest.py). The rest (settings, the compose file, ``--print-sql``)
run on both databases.

The suite connects as ``notify``, a superuser that owns the tables, i.e. the *owner* role. Each test
creates the application's role with the production code (``audit.db_roles.setup_app_role``), under a
unique name, and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from audit.anchor import anchor_export
from audit.checks import audit_out_of_reach
from audit.db_roles import RoleSetupError, owner_database, setup_app_role
from audit.models import AuditEvent
from audit.sealing import seal_pending, verify_chain
from audit.services import Event, record, record_many, record_many_copy

ROOT = Path(__file__).resolve().parents[2]
PG = {"ENGINE": "django.db.backends.postgresql", "NAME": "notify", "USER": "notify_app", "PASSWORD": "a",
      "HOST": "db", "PORT": 5432, "OPTIONS": {}}

@pytest.fixture
def app_role(transactional_db):
    """(name, password) of a fresh application role with production grants on the test database."""
    name, password = f"nc_test_app_{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    setup_app_role(connection, app_role=name, password=password)
    try:
        yield name, password
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{name}"')
            cursor.execute(f'DROP ROLE "{name}"')


@contextmanager
def connect_as(role):
    name, password = role
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                         dbname=settings["NAME"], user=name, password=password, autocommit=True) as conn:
        yield conn


@contextmanager
def django_as(role):
    """Django's default connection logs in as ``role`` for the block (what production's DATABASE_URL does)."""
    settings = connection.settings_dict
    saved = settings["USER"], settings["PASSWORD"]
    connection.close()
    settings["USER"], settings["PASSWORD"] = role
    try:
        yield
    finally:
        connection.close()
        settings["USER"], settings["PASSWORD"] = saved


def _event_id() -> int:
    return record(action="test.event", actor="alice").pk


ATTACKS = {
    "update": "UPDATE audit_auditevent SET actor = 'mallory'",
    "delete": "DELETE FROM audit_auditevent",
    "truncate": "TRUNCATE audit_auditevent",
    "disable all triggers": "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "disable one trigger": "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update_delete",
    "replication role": "SET session_replication_role = replica",
    "drop the trigger": "DROP TRIGGER audit_auditevent_no_update_delete ON audit_auditevent",
    "replace the trigger function": "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS "
                                    "$$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
    "take the table": "ALTER TABLE audit_auditevent OWNER TO CURRENT_USER",
    "drop the table": "DROP TABLE audit_auditevent",
    "rewind the id sequence": "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), 1)",
    "update a seal": "UPDATE audit_auditseal SET hash = 'x'",
    "delete the seals": "DELETE FROM audit_auditseal",
    "truncate the seals": "TRUNCATE audit_auditseal",
    "rewrite migration history": "DELETE FROM django_migrations",
    "become the owner": "SET ROLE notify",
}


@pytest.mark.parametrize("sql", ATTACKS.values(), ids=ATTACKS.keys())
@pytest.mark.postgresql
def test_the_app_role_cannot_change_the_audit_table(app_role, sql):
    event_id = _event_id()
    with connect_as(app_role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                       "AND NOT tgisinternal ORDER BY tgname")
        assert cursor.fetchall() == [("audit_auditevent_no_truncate", "O"), ("audit_auditevent_no_update_delete", "O")]
        cursor.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'audit_auditevent'::regclass")
        assert cursor.fetchone()[0] != app_role[0]
    assert AuditEvent.objects.get(pk=event_id).actor == "alice"


@pytest.mark.postgresql
def test_the_app_role_inserts_and_reads_audit_events(app_role):
    _event_id()
    with connect_as(app_role) as conn:
        conn.execute("INSERT INTO audit_auditevent (at, actor, action, object_type, object_id, channel, address, "
                     "outcome, details, user_agent) VALUES (now(), 'bob', 'test.raw', '', '', '', '', '', '{}', '')")
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM audit_auditseal").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0


@pytest.mark.postgresql
def test_the_app_role_has_ordinary_dml_on_other_tables_and_on_tables_created_later(app_role):
    with connect_as(app_role) as conn:
        conn.execute("INSERT INTO auth_group (name) VALUES ('temp-group')")
        conn.execute("UPDATE auth_group SET name = 'renamed' WHERE name = 'temp-group'")
        conn.execute("DELETE FROM auth_group WHERE name = 'renamed'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE sneaky (id int)")
    # A later migration creates a table as the owner: default privileges give the app its DML.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_test_later (id bigint GENERATED BY DEFAULT AS IDENTITY, v text)")
    try:
        with connect_as(app_role) as conn:
            conn.execute("INSERT INTO audit_test_later (v) VALUES ('x')")
            conn.execute("UPDATE audit_test_later SET v = 'y'")
            conn.execute("DELETE FROM audit_test_later")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE audit_test_later")


@pytest.mark.postgresql
def test_the_application_runs_as_the_app_role(app_role, tmp_path):
    """Recording (one, bulk, COPY), sealing, verifying and anchoring need nothing beyond SELECT and INSERT."""
    with django_as(app_role), override_settings(AUDIT_SEAL_DELAY_S=0):
        record(action="test.event", actor="alice")
        record_many([Event(action="test.bulk", actor="bob") for _ in range(3)])
        record_many_copy([Event(action="test.copy", actor="carol") for _ in range(3)])
        seal = seal_pending()
        assert seal.event_count == 7
        assert verify_chain().ok
        assert anchor_export(actor="test").seal_id == seal.id
        call_command("audit_anchor", output=str(tmp_path / "anchor.json"))
        call_command("verify_audit", anchor=str(tmp_path / "anchor.json"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role[0]


@pytest.mark.postgresql
def test_the_check_warns_for_the_owner_and_is_quiet_for_the_app_role(app_role):
    as_owner = {w.id for w in audit_out_of_reach(None, databases=["default"])}
    assert as_owner >= {"audit.W001"}  # notify is a superuser and owns the audit tables
    with django_as(app_role):
        assert audit_out_of_reach(None, databases=["default"]) == []


@pytest.mark.postgresql
def test_the_check_names_each_right_too_many(app_role):
    name = app_role[0]
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, TRUNCATE ON audit_auditevent TO "{name}"')
        cursor.execute(f'ALTER ROLE "{name}" BYPASSRLS CREATEROLE')
    with django_as(app_role):
        warnings = audit_out_of_reach(None, databases=["default"])
    text = " ".join(w.msg for w in warnings)
    assert {w.id for w in warnings} == {"audit.W001", "audit.W002"}
    assert "UPDATE, TRUNCATE on audit_auditevent" in text and "BYPASSRLS" in text and "CREATEROLE" in text
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER ROLE "{name}" NOBYPASSRLS NOCREATEROLE')


@pytest.mark.postgresql
def test_setup_is_idempotent_and_repairs_grants(app_role):
    name = app_role[0]
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT ALL ON audit_auditevent, audit_auditseal TO "{name}"')
    setup_app_role(connection, app_role=name, password=app_role[1])
    with django_as(app_role):
        assert audit_out_of_reach(None, databases=["default"]) == []


@pytest.mark.postgresql
def test_setup_refuses_an_app_role_that_is_the_owner(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(RoleSetupError, match="is the role this command connects as"):
        setup_app_role(connection, app_role=owner, password=None)
    with pytest.raises(CommandError):
        call_command("setup_db_roles", app_role=owner)


@pytest.mark.postgresql
def test_the_commands_compose_runs(app_role, tmp_path):
    """migrate as the owner, setup_db_roles, and the check that fails the job for a role that could rewrite."""
    settings = connection.settings_dict
    where = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    env.update({"DEBUG": "1", "NOTIFY_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "notify_console.settings",
                "DATABASE_URL": f"postgres://{app_role[0]}:{app_role[1]}@{where}",
                "DATABASE_OWNER_URL": f"postgres://{settings['USER']}:{settings['PASSWORD']}@{where}"})

    def manage(*args, **extra):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **extra},
                              capture_output=True, text=True, timeout=120)

    migrated = manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    assert "Migrating as the database owner" in migrated.stdout and "No migrations to apply" in migrated.stdout
    granted = manage("setup_db_roles")
    assert granted.returncode == 0 and f"role '{app_role[0]}' updated" in granted.stdout, granted.stderr
    checked = manage("check", "--database", "default", "--tag", "database", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stderr
    as_owner = env["DATABASE_OWNER_URL"]
    refused = manage("check", "--database", "default", "--tag", "database", "--fail-level", "WARNING",
                     DATABASE_URL=as_owner, DATABASE_OWNER_URL="")
    assert refused.returncode != 0 and "audit.W001" in refused.stderr


# --- both databases ---------------------------------------------------------------------------------


def test_owner_url_is_the_same_database_as_another_role():
    owner = owner_database(PG, "postgres://notify_owner:secret@db:5432/notify")
    assert [owner[k] for k in ("USER", "PASSWORD", "NAME", "HOST")] == ["notify_owner", "secret", "notify", "db"]
    assert owner["TEST"] == {"MIRROR": "default"}
    for url, complaint in [
        ("postgres://notify_owner:s@db:5432/other", "name differs"),
        ("postgres://notify_owner:s@elsewhere:5432/notify", "host differs"),
        ("postgres://notify_app:s@db:5432/notify", "another role"),
        ("mysql://notify_owner:s@db/notify", "postgres"),
    ]:
        with pytest.raises(ImproperlyConfigured, match=complaint) as info:
            owner_database(PG, url)
        assert "DATABASE_OWNER_URL" in str(info.value) and ":s@" not in str(info.value)
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL only"):
        owner_database({"ENGINE": "django.db.backends.sqlite3"}, "postgres://o:s@db/notify")


def test_print_sql_gives_a_dba_the_grants(capsys):
    call_command("setup_db_roles", print_sql=True, app_role="notify_app")
    sql = capsys.readouterr().out
    assert 'GRANT SELECT, INSERT ON "public"."audit_auditevent" TO "notify_app";' in sql
    assert 'REVOKE ALL ON "public"."audit_auditseal" FROM "notify_app", PUBLIC;' in sql
    assert "ALTER DEFAULT PRIVILEGES FOR ROLE" in sql and "ON SEQUENCES" in sql


def test_compose_runs_the_app_as_its_own_role_and_migrates_as_the_owner():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    steps = " ".join(migrate["command"])
    assert steps.index("migrate") < steps.index("setup_db_roles") < steps.index("check --database default")
    assert "DATABASE_OWNER_URL" in migrate["environment"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://notify_app:")
        assert "DATABASE_OWNER_URL" not in env, f"{name} must not know the owner's password"


@pytest.mark.django_db
def test_the_check_is_quiet_without_database_roles_to_check():
    if connection.vendor == "sqlite":
        assert audit_out_of_reach(None, databases=["default"]) == []
    assert audit_out_of_reach(None, databases=None) == []

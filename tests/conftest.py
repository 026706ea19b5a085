"""Shared fixtures: named users per role, API tokens, and a test-database reset that respects the
append-only audit tables."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from audit.triggers import APPEND_ONLY_TABLES, install_sql, remove_sql
from notify_console.models import ApiToken
from notify_console.roles import ROLES

PASSWORD = "correct-horse-battery-9"


def _patch_flush_for_append_only_tables() -> None:
    """Transactional tests reset the database with TRUNCATE/DELETE, which the audit triggers refuse.

    The harness does what a DBA resetting a test database would do: drop the triggers, empty the
    tables, put the triggers back. The application code never goes this way.
    """
    from django.db import connections

    for conn in connections.all(initialized_only=False):
        ops_class = type(conn.ops)
        if getattr(ops_class, "_append_only_aware", False):
            continue
        original = ops_class.sql_flush

        def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False, _orig=original):
            statements = _orig(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
            guarded = [t for t in APPEND_ONLY_TABLES if t in tables]
            if not guarded:
                return statements
            vendor = self.connection.vendor
            before = [s for t in guarded for s in remove_sql(vendor, t)]
            after = [s for t in guarded for s in install_sql(vendor, t)]
            return before + list(statements) + after

        ops_class.sql_flush = sql_flush
        ops_class._append_only_aware = True


_patch_flush_for_append_only_tables()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` (database roles) are not collected on SQLite — visibly: see below."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
        config.stash[_POSTGRESQL_ONLY] = len(left_out)


def pytest_terminal_summary(terminalreporter, config):
    if left_out := config.stash.get(_POSTGRESQL_ONLY, 0):
        terminalreporter.write_line(f"{left_out} PostgreSQL-only tests not collected on {_vendor()}: run them with "
                                    "DATABASE_URL=postgres://… (marker: postgresql)", yellow=True)


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


_POSTGRESQL_ONLY = pytest.StashKey[int]()

_counter = itertools.count(1)


@pytest.fixture
def make_user(db):
    def make(*roles: str, username: str | None = None, password: str = PASSWORD):
        User = get_user_model()
        user = User.objects.create_user(username=username or f"user{next(_counter)}", password=password)
        if roles:
            # get_or_create: a transactional test's flush empties the groups the data migration made.
            user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        if "admin" in roles:
            user.is_staff = user.is_superuser = True
            user.save()
        return user

    return make


@pytest.fixture
def role_users(make_user):
    """One user per role, named after it: ``role_users['approver'].username == 'approver'``."""
    return {role: make_user(role, username=role) for role in ROLES}


@pytest.fixture
def token_for(db):
    def issue(user) -> str:
        return ApiToken.issue(user, name="test")[1]

    return issue


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login

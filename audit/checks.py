"""System check: the application's database role must not be able to change the audit log.

Run with ``manage.py check --database default`` (docker-compose's migrate job does, after granting):
it connects as ``DATABASE_URL``'s role and warns when that role could rewrite the audit table —
it owns it or is a member of its owner (audit.W001: can ``ALTER TABLE … DISABLE TRIGGER``), is a
superuser or may set ``session_replication_role`` (W001: skips every trigger), has CREATEROLE (W001:
can join the owner role), or holds ``UPDATE``/``DELETE``/``TRUNCATE`` on an audit table, BYPASSRLS or
REPLICATION (W002). See README, "Database roles". Nothing to check on SQLite: the file is the database.

Tagged ``database`` (Django's convention for checks that query it): plain ``manage.py check`` does not
connect. The owner alias is never inspected: it owns the tables by design.
"""

from __future__ import annotations

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connections

from .db_roles import is_owner_connection, role_findings

HINT = ("Connect the application as a role with only SELECT and INSERT on the audit tables and run "
        "migrations as the owner: set DATABASE_URL and DATABASE_OWNER_URL, then manage.py setup_db_roles "
        "(README, 'Database roles').")


def check_connection(connection) -> list[Warning]:
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            findings = role_findings(cursor)
    except DatabaseError as exc:
        return [Warning(f"Could not inspect the database role of {connection.alias!r}: {exc}", hint=HINT,
                        id="audit.W003")]
    return [Warning(f"Audit log within the application's reach: {f.message}.", hint=HINT, id=f.id) for f in findings]


@register(Tags.database)
def audit_out_of_reach(app_configs, databases=None, **kwargs):
    warnings: list[Warning] = []
    for alias in databases or ():
        if not is_owner_connection(connections[alias]):
            warnings += check_connection(connections[alias])
    return warnings

"""SQL that keeps template versions immutable, installed by a migration.

A version an approver signed must be exactly what is sent, so the database refuses any UPDATE of
``campaigns_templateversion`` (editing a template inserts a new version instead). DELETE stays possible
for versions nothing references; the foreign keys from campaigns (PROTECT) keep used ones.
"""

from __future__ import annotations

TABLE = "campaigns_templateversion"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION campaigns_refuse_version_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows are immutable: UPDATE refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION campaigns_refuse_version_update();",
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} rows are immutable: UPDATE refused'); END;",
        ]
    raise NotImplementedError(f"immutable template versions on {vendor}")


def remove_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_no_update ON {TABLE};",
                "DROP FUNCTION IF EXISTS campaigns_refuse_version_update();"]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_no_update;"]
    raise NotImplementedError(f"immutable template versions on {vendor}")

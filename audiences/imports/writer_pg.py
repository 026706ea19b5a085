"""PostgreSQL: COPY into the staging table, one set-based merge."""

from __future__ import annotations

from django.db import connection

from .writer_base import COLUMNS, StagingWriter


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\x00", ""))


class PostgresWriter(StagingWriter):
    json_type = "jsonb"

    def encode(self, rows: list[tuple]) -> bytes:
        """COPY text format; rows the validator marked clean need no escaping at all."""
        out = []
        append = out.append
        for (line, ext, name, name_set, email, email_norm, email_set, email_raw, phone, phone_type, phone_set,
             phone_raw, attrs, clean) in rows:
            if clean:
                append(f"{line}\t{ext}\t{name}\t{'t' if name_set else 'f'}\t{email}\t{email_norm}\t"
                       f"{'t' if email_set else 'f'}\t{email_raw}\t{phone}\t{phone_type}\t"
                       f"{'t' if phone_set else 'f'}\t{phone_raw}\t{attrs}")
            else:
                append("\t".join((str(line), _escape(ext), _escape(name), "t" if name_set else "f", _escape(email),
                                  _escape(email_norm), "t" if email_set else "f", _escape(email_raw), phone,
                                  phone_type, "t" if phone_set else "f", _escape(phone_raw), _escape(attrs))))
        append("")
        return "\n".join(out).encode("utf-8")

    def write(self, payload: bytes) -> None:
        sql = f"COPY {self.table} ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
            copy.write(payload)

    def prepare_merge(self) -> None:
        with connection.cursor() as cur:
            # Temp tables are never auto-analysed; without statistics the planner guesses badly.
            cur.execute(f"ANALYZE {self.table}")

    def lock(self) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('audiences.import.merge'))")

    # Each statement adds the list memberships of the rows it touched from its own RETURNING, so no
    # join back to the staging table and no index on last_import_id are needed.
    _MEMBERS = ("m AS (INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at) "
                "SELECT %s, id, %s FROM touched ON CONFLICT (audience_list_id, recipient_id) DO NOTHING) "
                "SELECT COUNT(*) FROM touched")

    def update_existing(self, now) -> int:
        with connection.cursor() as cur:
            cur.execute(
                "WITH touched AS (UPDATE audiences_recipient r SET "  # noqa: S608
                "name = CASE WHEN s.name_set THEN s.name ELSE r.name END, "
                "email = CASE WHEN s.email_set THEN s.email ELSE r.email END, "
                "email_normalized = CASE WHEN s.email_set THEN s.email_norm ELSE r.email_normalized END, "
                "phone = CASE WHEN s.phone_set THEN s.phone ELSE r.phone END, "
                "phone_type = CASE WHEN s.phone_set THEN s.phone_type ELSE r.phone_type END, "
                "attributes = r.attributes || s.attributes, updated_at = %s, last_import_id = %s "
                f"FROM {self.table} s WHERE r.external_id = s.external_id RETURNING r.id), " + self._MEMBERS,
                [now, self.job.pk, self.job.audience_list_id, now],
            )
            return cur.fetchone()[0]

    def insert_new(self, now) -> int:
        with connection.cursor() as cur:
            cur.execute(
                "WITH touched AS (INSERT INTO audiences_recipient (external_id, name, email, "  # noqa: S608
                "email_normalized, phone, phone_type, attributes, created_at, updated_at, last_import_id) "
                f"SELECT external_id, name, email, email_norm, phone, phone_type, attributes, %s, %s, %s "
                f"FROM {self.table} ON CONFLICT (external_id) DO NOTHING RETURNING id), " + self._MEMBERS,
                [now, now, self.job.pk, self.job.audience_list_id, now],
            )
            return cur.fetchone()[0]

    def add_memberships(self, now) -> None:
        """Done by ``update_existing`` and ``insert_new``."""

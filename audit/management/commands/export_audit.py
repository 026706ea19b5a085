from __future__ import annotations

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.exports.service import ENCODINGS, FORMATS, ExportError, audit_export
from audit.filters import FilterError, parse_filter


class Command(BaseCommand):
    help = (
        "Export audit events for a period (days in TIME_ZONE, both included) to FILE, with a manifest "
        "(FILE.manifest.json: rows, SHA-256, filter). The export is itself recorded as audit.exported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD (included)")
        parser.add_argument("--campaign", type=int, help="only events of this campaign id")
        parser.add_argument("--actor", default="")
        parser.add_argument("--action", default="", help="exact, or a prefix ending in '.' or '*'")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--encoding", choices=ENCODINGS, default="utf-8")
        parser.add_argument("--out", required=True, help="the file to write (replaced if it exists)")

    def handle(self, *args, **options):
        params = {
            "from": options["date_from"], "to": options["date_to"], "campaign": options["campaign"] or "",
            "actor": options["actor"], "action": options["action"],
        }
        out = Path(options["out"])
        try:
            filters = parse_filter(params)
            with out.open("wb") as handle:
                result = audit_export(
                    filters=filters, fmt=options["format"], encoding=options["encoding"], actor="system:cli",
                    out=handle, details={"os_user": getpass.getuser(), "out": str(out.resolve())},
                )
        except (FilterError, ExportError) as exc:
            raise CommandError(f"{exc.code}: {exc}")
        manifest = result.manifest()
        manifest_path = out.with_name(out.name + ".manifest.json")
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(f"{result.rows} rows, {result.size} bytes, sha256 {result.sha256} → {out}")
        self.stdout.write(f"manifest: {manifest_path} (audit event #{result.event.id})")

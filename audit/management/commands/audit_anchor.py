from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.anchor import anchor_export
from audit.sealing import seal_pending


class Command(BaseCommand):
    help = (
        "Export the newest audit seal (id, event range, count, hash, time) as JSON, for safekeeping outside the "
        "database; verify_audit --anchor FILE later proves the chain still reaches and matches it. The export is "
        "recorded as an audit.anchor_exported event."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
        parser.add_argument("--seal-first", action="store_true", help="seal pending events first")

    def handle(self, *args, **options):
        if options["seal_first"]:
            while seal_pending() is not None:
                pass
        output = options["output"]
        destination = str(Path(output).resolve()) if output else "stdout"
        anchor = anchor_export(actor="system:cli", destination=f"{destination} (os user {getpass.getuser()})")
        if anchor is None:
            raise CommandError("nothing is sealed yet: run seal_audit (or pass --seal-first) once events exist")
        text = anchor.to_json()
        if not output:
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
        self.stderr.write(f"anchored {anchor.describe()} → {path}")

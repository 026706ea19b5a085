from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.anchor import Anchor, AnchorError
from audit.integrity import integrity_verify, verify
from audit.sealing import seal_pending


class Command(BaseCommand):
    help = (
        "Recompute the audit seal chain; exit non-zero naming the first broken range. With --anchor FILE "
        "(from audit_anchor) the chain must also still hold that seal with that hash: a chain rewritten and "
        "re-sealed, or cut short, fails. The verdict is recorded as an audit.verified event, which the "
        "integrity page shows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seal-first", action="store_true", help="seal pending events before verifying")
        parser.add_argument("--no-record", action="store_true", help="verify without recording the verdict")
        parser.add_argument("--anchor", metavar="FILE", help="an anchor written by audit_anchor ('-' = stdin)")

    def handle(self, *args, **options):
        anchor = _load_anchor(options["anchor"], sys.stdin) if options["anchor"] else None
        if options["seal_first"]:
            seal_pending()
        record = not options["no_record"]
        verdict = integrity_verify(actor="system:cli", anchor=anchor) if record else verify(anchor)
        if not verdict.ok:
            raise CommandError(verdict.describe())
        self.stdout.write(verdict.describe())


def _load_anchor(path: str, stdin) -> Anchor:
    try:
        text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        return Anchor.from_json(text)
    except OSError as exc:
        raise CommandError(f"cannot read the anchor {path}: {exc.strerror or exc}")
    except AnchorError as exc:
        raise CommandError(f"{path}: {exc}")

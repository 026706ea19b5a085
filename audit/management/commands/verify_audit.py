from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.integrity import integrity_verify
from audit.sealing import seal_pending, verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit seal chain; exit non-zero naming the first broken range. "
        "The verdict is recorded as an audit.verified event, which the integrity page shows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seal-first", action="store_true", help="seal pending events before verifying")
        parser.add_argument("--no-record", action="store_true", help="verify without recording the verdict")

    def handle(self, *args, **options):
        if options["seal_first"]:
            seal_pending()
        verdict = verify_chain() if options["no_record"] else integrity_verify(actor="system:cli")
        if not verdict.ok:
            raise CommandError(verdict.describe())
        self.stdout.write(verdict.describe())

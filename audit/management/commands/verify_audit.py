from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.sealing import seal_pending, verify_chain


class Command(BaseCommand):
    help = "Recompute the audit seal chain; exit non-zero naming the first broken range."

    def add_arguments(self, parser):
        parser.add_argument("--seal-first", action="store_true", help="seal pending events before verifying")

    def handle(self, *args, **options):
        if options["seal_first"]:
            seal_pending()
        verdict = verify_chain()
        if not verdict.ok:
            raise CommandError(verdict.describe())
        self.stdout.write(verdict.describe())

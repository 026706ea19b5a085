from __future__ import annotations

from django.core.management.base import BaseCommand

from audit.sealing import seal_pending


class Command(BaseCommand):
    help = "Seal the audit events not yet sealed (beat does this every minute)."

    def handle(self, *args, **options):
        sealed = 0
        while (seal := seal_pending()) is not None:
            sealed += 1
            self.stdout.write(f"sealed #{seal.id}: events {seal.first_event_id}–{seal.last_event_id}")
        if not sealed:
            self.stdout.write("nothing to seal")

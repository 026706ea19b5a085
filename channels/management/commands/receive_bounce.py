"""Read one bounce (a DSN) from standard input and hand its events to the registered handler.

For an MTA that delivers the VERP bounce address to a program, e.g. Postfix ``/etc/aliases``::

    bounces: "|/srv/notify/.venv/bin/python /srv/notify/manage.py receive_bounce"

Exit status 0 when handled (or not a DSN: nothing to do), 75 (EX_TEMPFAIL) when no handler is
registered or it failed, so the MTA keeps the message and tries again later.
"""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand

from channels.inbound import NoHandler, deliver
from channels.inbound.dsn import parse_dsn

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Parse a delivery status notification from stdin into bounce events for the campaigns app."

    def add_arguments(self, parser):
        parser.add_argument("--recipient", default=os.environ.get("RECIPIENT", ""),
                            help="the envelope recipient (the VERP address); Postfix sets $RECIPIENT")

    def handle(self, *args, recipient: str = "", **options):
        raw = sys.stdin.buffer.read()
        bounces = parse_dsn(raw, envelope_to=recipient)
        if not bounces:
            self.stdout.write("not a DSN with failed recipients: ignored")
            return
        try:
            deliver(bounces)
        except NoHandler:
            self.stderr.write("no inbound event handler is registered; try again later")
            sys.exit(EX_TEMPFAIL)
        except Exception as exc:  # the MTA retries; the message is not lost
            self.stderr.write(f"handler failed: {exc!r}")
            sys.exit(EX_TEMPFAIL)
        for bounce in bounces:
            self.stdout.write(f"{bounce.kind} bounce {bounce.status} for delivery {bounce.message_id or '?'}")

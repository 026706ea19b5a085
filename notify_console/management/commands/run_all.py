"""Start web (gunicorn), Celery worker and Celery beat together; Ctrl-C stops all three."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web + worker + beat in the foreground (the embedded default)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")

    def handle(self, *args, bind: str, workers: int, concurrency: int, **options):
        python = sys.executable
        commands = {
            "web": [python, "-m", "gunicorn", "notify_console.wsgi", "--bind", f"{bind}:{settings.PORT}",
                    "--workers", str(workers), "--access-logfile", "-", "--graceful-timeout", "5"],
            "worker": [python, "-m", "celery", "-A", "notify_console", "worker", "--loglevel", "INFO",
                       "--concurrency", str(concurrency), "--hostname", "worker@%h"],
            "beat": [python, "-m", "celery", "-A", "notify_console", "beat", "--loglevel", "INFO",
                     "--schedule", str(settings.VAR_DIR / "celerybeat-schedule")],
        }
        # Each child leads its own process group, so stopping it also stops what it forked (gunicorn's
        # and Celery's pool processes) even when the child itself does not pass the signal on in time.
        children = {name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()}
        self.stdout.write(f"Notify Console on http://{bind}:{settings.PORT}/ (web, worker, beat). Ctrl-C stops.")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with {child.returncode}; stopping the others.")
                    exit_code, stopping = 1, True
                    break
            time.sleep(0.5)
        self._stop_all(children)
        sys.exit(exit_code)

    def _stop_all(self, children: dict[str, subprocess.Popen]) -> None:
        """SIGTERM (warm shutdown), then SIGKILL whatever is left after GRACE_S.

        A send task cut short is safe: tasks are acks_late, so the broker hands them out again and the
        delivery rows' state decides what is redone.
        """
        for child in children.values():
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for child in children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
        for child in children.values():
            _signal_group(child, signal.SIGKILL)
            child.wait()


GRACE_S = 3


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)

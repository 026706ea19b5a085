"""Start web (gunicorn), Celery worker and Celery beat together; Ctrl-C stops all three."""

from __future__ import annotations

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
        children = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
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
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

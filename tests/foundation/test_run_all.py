"""The embedded run command serves the login page and Ctrl-C stops web, worker and beat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _descendants_of(pid: int) -> list[int]:
    found = []
    for child in _children_of(pid):
        found += [child, *_descendants_of(child)]
    return found


def test_run_all_serves_login_and_ctrl_c_stops_every_process(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    env.update({"DEBUG": "1", "PORT": str(port), "NOTIFY_VAR_DIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "notify_console.settings"})
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*manage, "run_all"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        body, deadline = "", time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert 'type="password"' in body
        assert len(_children_of(proc.pid)) == 3  # web, worker, beat
        time.sleep(3)  # let gunicorn and Celery fork their pools
        everything = _descendants_of(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        proc.wait(timeout=5)
        time.sleep(0.5)
        alive = [pid for pid in everything if Path(f"/proc/{pid}").exists()]
        assert alive == [], f"still running after Ctrl-C: {alive} of {everything}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

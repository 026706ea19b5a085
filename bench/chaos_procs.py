"""The chaos bench's processes: its environment, a private Redis it can kill, two Celery workers it can
kill and restart (see bench/chaos_bench.py)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys
from pathlib import Path

from bench.send_bench import PG, TWILIO_SID, TWILIO_TOKEN, group_pids, start, stop, wait_port

ROOT = Path(__file__).resolve().parent.parent


def environment(args, *, smtp_port: int, twilio_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "notify_console.settings",
        "DATABASE_URL": f"{PG}/{args.db}",
        "REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/0",
        "DEBUG": "0",
        "SECRET_KEY": "chaos-" + "x" * 30 + "-only-not-a-secret-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "NOTIFY_VAR_DIR": args.var_dir,
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?timeout={args.client_timeout}",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM": "+815000000000",
        "TWILIO_API_BASE": f"http://127.0.0.1:{twilio_port}",
        "TWILIO_TIMEOUT_S": str(args.client_timeout),
        "PUBLIC_BASE_URL": "https://notify.example.jp",
        "EMAIL_RATE_PER_S": "0",
        "SMS_RATE_PER_S": "0",
        "SEND_BATCH_SIZE": str(args.batch),
        "SEND_CHUNK_SIZE": str(args.chunk),
        "SEND_LEASE_S": str(args.lease),
        "SEND_STALL_S": "5",
        "SEND_RETRY_BASE_S": "1",
        "SEND_RETRY_MAX_S": "5",
        "SEND_MAX_ATTEMPTS": "30",
        "PYTHONPATH": str(ROOT),
    }


class Redis:
    def __init__(self, port: int, directory: Path, env: dict) -> None:
        self.port, self.dir, self.env, self.proc = port, directory, env, None
        directory.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise SystemExit("redis-server is needed (apt-get install redis-server)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                   "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
                   "--save", ""]
        self.proc = start(command, {**self.env, "NOTIFY_VAR_DIR": str(self.dir)}, "redis")
        wait_port(self.port)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


class Workers:
    """Two worker processes (``--concurrency`` pool children each), restarted when killed."""

    def __init__(self, env: dict, concurrency: int) -> None:
        self.env, self.concurrency, self.procs, self.started = env, concurrency, [None, None], 0
        self.killed: set[int] = set()

    def start(self, slot: int) -> None:
        self.started += 1
        command = [sys.executable, "-m", "celery", "-A", "notify_console", "worker", "--concurrency",
                   str(self.concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
                   "--without-heartbeat", "--hostname", f"chaos{slot}-{self.started}@%h"]
        self.procs[slot] = start(command, self.env, f"worker{slot}-{self.started}")

    def children(self, slot: int) -> list[int]:
        """Live pool children (not one killed before and not yet reaped: a zombie cannot die twice)."""
        leader = self.procs[slot].pid
        return [pid for pid in group_pids(leader) if pid != leader and pid not in self.killed and alive(pid)]

    def kill_child(self, rng: random.Random) -> str:
        slots = [slot for slot in (0, 1) if self.children(slot)]
        if not slots:
            return ""
        slot = rng.choice(slots)
        pid = rng.choice(sorted(self.children(slot)))
        os.kill(pid, signal.SIGKILL)
        self.killed.add(pid)
        return f"worker {slot} child {pid}"

    def kill_main(self, rng: random.Random) -> str:
        slot = rng.choice((0, 1))
        proc = self.procs[slot]
        os.killpg(proc.pid, signal.SIGKILL)  # the main process and its children: the machine is gone
        proc.wait()
        self.start(slot)
        return f"worker {slot} main {proc.pid} (restarted)"

    def stop_all(self) -> str:
        return "".join(stop(proc)[-1500:] for proc in self.procs if proc is not None)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")

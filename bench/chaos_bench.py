"""Chaos bench (issue 8): one campaign of 20,000 emails and one of 20,000 SMS on PostgreSQL + Redis with two
Celery worker processes, a recording SMTP sink and the recording Twilio stand-in (each its own process),
while a driver on a fixed random seed breaks things:

- SIGKILLs worker pool children and worker main processes (with their children: the container dies) 10
  times in all, starting a killed main worker again;
- restarts Redis once (SIGKILL, a few seconds down, started again on its append-only file);
- makes the SMTP sink answer 451 and the SMS stand-in 429 and 503 for a few seconds each, and both stall
  past the client timeout for a few seconds.

    python bench/chaos_bench.py --seed 1

Redis is a private ``redis-server`` on its own port and directory (``--redis-port``, default 6391), so its
restart hurts nobody else; the database is a fresh ``nc_chaos_bench``. This process plays beat: it runs
the dispatch tick and the reconciler every half second (they only queue tasks). The figures are counted
from what the SINKS recorded against the delivery rows in the database (definitions of ``lost``,
``duplicates`` and ``duplicates_in_flight`` in ``channels/testing/chaos.py``).

In flight at a kill, strictly: a delivery row stores no worker identity, so at each kill (right after
the SIGKILL: the dead renew nothing any more) the driver records ``{delivery id: lease_until}`` of every
row in ``sending``. The reconciler writes the expired ``lease_until`` it took back into each
``send.reconciled`` event. A row counts as in flight at a kill only if a reconciliation took back exactly
the lease recorded at a kill: that lease was never renewed after the kill, so its holder really died
there (a survivor's row renews its lease every quarter lease and cannot match). Each extra copy a
recipient got needs one such reconciliation. The same match against the leases recorded at the Redis
restart is reported apart as ``duplicates_redis_restart`` (a Redis restart kills no worker: a duplicate
there is not explained and fails the run).

``recovery_s_max`` is the longest time from a fault until what it interrupted was final again (a kill:
every row whose lease matched that kill's record is final; Redis: from the kill of Redis until every row
held at that moment is final AND a row that was pending when Redis was back has been claimed — by a
batch that started after the restart; a sink fault: that sink accepts again after the fault ended). It
also checks that there are exactly ``--messages`` delivery rows per campaign, none skipped (``lost``
counts the rows that are not skipped), every row final and with its audit event. The last line printed
is the JSON result; it exits non-zero when a check fails or the run times out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_procs import Redis, Workers, environment  # noqa: E402
from bench.chaos_verify import verify  # noqa: E402
from bench.send_bench import (  # noqa: E402
    TWILIO_SID,
    TWILIO_TOKEN,
    free_port,
    log,
    recreate_database,
    seed,
    start,
    stop,
    wait_port,
)

KILL_KINDS = ("child", "main")


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


FAULTS = ("smtp_4xx", "sms_429", "sms_503", "smtp_stall", "sms_stall")


# -- the run -----------------------------------------------------------------------------------------
def schedule(rng: random.Random, kills: int) -> list[tuple[float, str]]:
    """(progress fraction at which to fire, what) for every fault, in firing order."""
    children = rng.randint(kills // 2 - 1, kills // 2 + 1)
    events = ["kill_child"] * children + ["kill_main"] * (kills - children) + ["redis_restart", *FAULTS]
    rng.shuffle(events)
    fractions = sorted(rng.uniform(0.03, 0.85) for _ in events)
    return list(zip(fractions, events, strict=True))


class Driver:
    def __init__(self, args, campaigns: dict, env: dict, workers: Workers, redis: Redis, faults: dict) -> None:
        self.args, self.campaigns, self.env, self.workers, self.redis = args, campaigns, env, workers, redis
        self.fault_files, self.records = faults, {"email": Path(args.var_dir) / "smtp.tsv",
                                                  "sms": Path(args.var_dir) / "sms.tsv"}
        self.rng = random.Random(args.seed)
        self.plan = schedule(self.rng, args.kills)
        self.in_flight: dict[int, int] = {}  # delivery id → reconciliations that took back a lease seen at a kill
        self.in_flight_redis: dict[int, int] = {}  # the same for the leases seen at the Redis restart
        # (when, {delivery id: lease_until} of the rows claimed then, what); the Redis restart is apart
        self.faults_at: list[tuple[dt.datetime, dict[int, str], str]] = []
        self.redis_at: list[tuple[dt.datetime, dict[int, str]]] = []
        self.kills = self.redis_restarts = 0
        self.recoveries: list[float] = []
        self.waiting: list[tuple[str, float, object]] = []  # (label, since, condition)
        self.ends: list[tuple[float, str]] = []  # (when, fault file to clear)
        self.last_event = 0.0

    # what the database and the sinks say
    def sent(self) -> int:
        from campaigns.models import Delivery

        return Delivery.objects.filter(campaign_id__in=self.campaigns.values(), status="sent").count()

    def sending_leases(self) -> dict[int, str]:
        """{delivery id: lease_until} of every row claimed right now (as the reconciler writes it down)."""
        from campaigns.dispatch.reconcile import lease_text
        from campaigns.models import Delivery

        rows = Delivery.objects.filter(campaign_id__in=self.campaigns.values(), status="sending",
                                       lease_until__isnull=False)
        return {row_id: lease_text(lease) for row_id, lease in rows.values_list("id", "lease_until")}

    def redis_recovered(self, held: set[int], pending_at_up: set[int]) -> bool:
        from campaigns.models import Delivery

        if Delivery.objects.filter(id__in=held, status__in=("pending", "sending")).exists():
            return False
        if not pending_at_up or not self.open_rows("email") and not self.open_rows("sms"):
            return True
        return Delivery.objects.filter(id__in=pending_at_up).exclude(status="pending").exists()

    def accepted(self, channel: str) -> int:
        try:
            with open(self.records[channel], "rb") as handle:
                return sum(1 for _ in handle)
        except FileNotFoundError:
            return 0

    def done(self) -> bool:
        from campaigns.models import Campaign

        states = set(Campaign.objects.filter(pk__in=self.campaigns.values()).values_list("state", flat=True))
        if states - {"sending", "approved", "completed"}:
            raise SystemExit(f"a campaign ended {states}")
        return states == {"completed"}

    # faults
    def fire(self, event: str) -> None:
        now = time.monotonic()
        if event in ("kill_child", "kill_main"):
            what = self.workers.kill_child(self.rng) if event == "kill_child" else self.workers.kill_main(self.rng)
            if not what:
                return
            # Read after the SIGKILL: the dead process renews nothing any more, so its rows keep exactly these
            # leases until the reconciler takes them back (a survivor renews its own every quarter lease).
            # Which rows were the dead one's is not stored on the row: all claimed rows are recorded.
            held = self.sending_leases()
            self.faults_at.append((wall_clock(), held, f"kill {what}"))
            self.kills += 1
            log(f"SIGKILL {what}; {len(held)} rows claimed by all workers")
        elif event == "redis_restart":
            at = wall_clock()
            self.redis.kill()
            held = self.sending_leases()
            self.redis_at.append((at, held))
            log(f"Redis killed; {len(held)} rows claimed")
            time.sleep(self.rng.uniform(2, 4))
            self.redis.start()
            self.redis_restarts += 1
            from campaigns.models import Delivery

            pending = set(Delivery.objects.filter(campaign_id__in=self.campaigns.values(), status="pending")
                          .values_list("id", flat=True))
            self.waiting.append(("redis restart", now, lambda held=set(held), pending=pending:
                                 self.redis_recovered(held, pending)))
            log(f"Redis started again; {len(pending)} rows pending")
        else:
            sink, kind = event.split("_")
            value = {"4xx": "4xx", "429": "429", "503": "503", "stall": "stall"}[kind]
            self.fault_files[sink].write_text(value)
            duration = self.rng.uniform(3, 5)
            self.ends.append((now + duration, sink))
            log(f"{sink} answers {value} for {duration:.1f} s")
        self.last_event = time.monotonic()

    def open_rows(self, channel: str) -> bool:
        from campaigns.models import Delivery

        return Delivery.objects.filter(campaign_id=self.campaigns[channel], status__in=("pending", "sending")).exists()

    def held_by_the_dead(self) -> None:
        """For every kill: the rows whose reconciliation took back exactly the lease recorded at that kill
        (never renewed after it: the holder was dead) are the ones in flight at it; its recovery is the time
        until the last of them was final again. The same match against the Redis restart goes apart."""
        from django.db.models import Max

        from audit.models import AuditEvent
        from campaigns.models import Delivery

        dead_by_fault: dict[int, set[int]] = {}
        unmatched: list[int] = []
        events = AuditEvent.objects.filter(action="send.reconciled", campaign_id__in=self.campaigns.values())
        for object_id, lease in events.values_list("object_id", "details__lease_until"):
            row_id = int(object_id)
            kill = next((index for index, (_, held, _) in enumerate(self.faults_at) if held.get(row_id) == lease),
                        None)
            if kill is not None:
                self.in_flight[row_id] = self.in_flight.get(row_id, 0) + 1
                dead_by_fault.setdefault(kill, set()).add(row_id)
            elif any(held.get(row_id) == lease for _, held in self.redis_at):
                self.in_flight_redis[row_id] = self.in_flight_redis.get(row_id, 0) + 1
            else:
                unmatched.append(row_id)
        for index, (at, _, label) in enumerate(self.faults_at):
            dead = dead_by_fault.get(index, set())
            if dead:
                last = Delivery.objects.filter(id__in=dead).aggregate(last=Max("updated_at"))["last"]
                self.recoveries.append((last - at).total_seconds())
                log(f"{label}: {len(dead)} rows held by the dead, all final {(last - at).total_seconds():.1f} s later")
            else:
                log(f"{label}: no reconciled row took back a lease seen then")
        log(f"reconciled at a Redis restart lease: {sum(self.in_flight_redis.values())}; matching no fault: "
            f"{len(unmatched)} {sorted(unmatched)[:20]}")

    def end_faults(self) -> None:
        now = time.monotonic()
        for when, sink in [end for end in self.ends if end[0] <= now]:
            self.ends.remove((when, sink))
            self.fault_files[sink].write_text("")
            channel = "email" if sink == "smtp" else "sms"
            count = self.accepted(channel)
            self.waiting.append((f"{sink} fault", now, lambda c=channel, n=count: self.accepted(c) > n
                                 or not self.open_rows(c)))
            log(f"{sink} answers normally again")

    def settle(self) -> None:
        now = time.monotonic()
        for item in list(self.waiting):
            label, since, condition = item
            if condition():
                self.waiting.remove(item)
                self.recoveries.append(now - since)
                log(f"recovered from {label} in {now - since:.1f} s")

    def beat(self) -> None:
        from django.db import close_old_connections

        from campaigns.tasks import dispatch_tick, reconcile_deliveries

        try:
            dispatch_tick()
            reconcile_deliveries()
        except Exception as exc:  # Redis down: the next round publishes again
            log(f"beat: {type(exc).__name__}: {exc}")
            close_old_connections()

    def run(self) -> None:
        total = sum(self.expected.values())
        started = last_log = time.monotonic()
        while True:
            self.beat()
            self.end_faults()
            self.settle()
            if self.done():
                break
            elapsed = time.monotonic() - started
            if elapsed > self.args.timeout:
                raise SystemExit(f"TIMEOUT after {elapsed:.0f} s: {self.status()}")
            sent = self.sent()
            spaced = time.monotonic() - self.last_event > self.args.spacing
            if self.plan and spaced and sent / total >= self.plan[0][0]:
                self.fire(self.plan.pop(0)[1])
            if time.monotonic() - last_log > 10:
                last_log = time.monotonic()
                log(f"{sent}/{total} sent after {elapsed:.0f} s; {len(self.plan)} faults to go")
            time.sleep(0.5)
        while self.ends:  # a fault window still open at the end (a fast run)
            time.sleep(0.2)
            self.end_faults()
        self.settle()
        if self.plan:
            log(f"WARNING: the campaigns completed before {len(self.plan)} faults fired: {self.plan}")

    def status(self) -> str:
        from django.db.models import Count

        from campaigns.models import Delivery

        rows = Delivery.objects.filter(campaign_id__in=self.campaigns.values()).values("campaign_id", "status")
        return str(list(rows.annotate(n=Count("id")).order_by()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--messages", type=int, default=20_000, help="per channel")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--rate", type=int, default=150, help="each campaign's throttle, messages/s")
    parser.add_argument("--db", default="nc_chaos_bench")
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--var-dir", default="")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=25)
    parser.add_argument("--lease", type=int, default=6, help="SEND_LEASE_S of the workers")
    parser.add_argument("--concurrency", type=int, default=2, help="pool children per worker process")
    parser.add_argument("--client-timeout", type=int, default=2, help="SMTP and Twilio client timeout, seconds")
    parser.add_argument("--spacing", type=float, default=4.0, help="least seconds between two faults")
    parser.add_argument("--timeout", type=float, default=1800, help="give up (loudly) after this many seconds")
    args = parser.parse_args()
    args.var_dir = args.var_dir or tempfile.mkdtemp(prefix="chaos-bench-")
    var = Path(args.var_dir)
    var.mkdir(parents=True, exist_ok=True)
    smtp_port, twilio_port = free_port(), free_port()
    env = environment(args, smtp_port=smtp_port, twilio_port=twilio_port)
    os.environ.update(env)
    redis = Redis(args.redis_port, var / "redis", env)
    redis.start()
    faults = {"smtp": var / "smtp.fault", "sms": var / "sms.fault"}
    for path in faults.values():
        path.write_text("")
    stall = str(args.client_timeout + 3)
    sinks = [
        start([sys.executable, "-m", "channels.testing.chaos", "--port", str(smtp_port), "--record",
               str(var / "smtp.tsv"), "--fault-file", str(faults["smtp"]), "--stall-s", stall], env, "smtp-sink"),
        start([sys.executable, "-m", "channels.testing.twilio_standin", "--port", str(twilio_port), "--account-sid",
               TWILIO_SID, "--auth-token", TWILIO_TOKEN, "--record", str(var / "sms.tsv"), "--fault-file",
               str(faults["sms"]), "--stall-s", stall], env, "twilio-standin"),
    ]
    workers = Workers(env, args.concurrency)
    failures: list[str] = []
    try:
        import django

        recreate_database(args.db)
        django.setup()
        from django.core.management import call_command

        log("migrating")
        call_command("migrate", verbosity=0)
        log(f"seeding {args.messages} customers (an email and an SMS campaign, {args.rate}/s each)")
        campaigns = seed(args.messages, throttle_per_s=args.rate)
        wait_port(smtp_port)
        wait_port(twilio_port)
        workers.start(0)
        workers.start(1)
        time.sleep(3)  # the pools start
        driver = Driver(args, campaigns, env, workers, redis, faults)
        driver.expected = {"email": args.messages, "sms": args.messages}
        log(f"seed {args.seed}: faults at {[(round(f, 2), e) for f, e in driver.plan]}")
        started = time.monotonic()
        driver.run()
        log(f"both campaigns completed in {time.monotonic() - started:.0f} s")
        result, failures = verify(driver)
    finally:
        output = workers.stop_all()
        for sink in sinks:
            stop(sink)
        if redis.proc is not None:
            stop(redis.proc)
        if failures and output.strip():
            log("worker output (tail):\n" + output[-3000:])
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    print(json.dumps(result))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

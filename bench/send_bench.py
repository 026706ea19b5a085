"""Send benchmark (issue 6): 100,000 emails and 100,000 SMS through the whole pipeline, and the same
emails through django-post-office, on PostgreSQL + Redis with two Celery worker processes, throttle off.

    python bench/send_bench.py --messages 100000

Email goes to Postfix's ``smtp-sink`` (``apt-get install postfix``; started here on 127.0.0.1:2525), SMS
to the Twilio stand-in (``channels.testing.twilio_standin``, its own process). Each rate is end to end:
from "the campaign is approved" to "the campaign is completed with every delivery row and audit event
written" (both are written in the same transaction per chunk, and completion needs every row final).
django-post-office 3.x (the ``bench`` extra) runs with a settings module of its own
(``bench/post_office_settings.py``) on the same database server: ``send_many`` of the same rendered
emails, then ``send_queued(processes=2)`` until its queue is empty.

It creates (and drops) its own database, ``nc_disp_bench`` by default, because the audit table
refuses TRUNCATE. The last line printed is the JSON result; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = "postgres://notify:notify@127.0.0.1:5432"
SINK_PORT = 2525
TWILIO_SID, TWILIO_TOKEN = "ACbench000000000000000000000000000", "bench-token"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def environment(args, twilio_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "notify_console.settings",
        "DATABASE_URL": f"{PG}/{args.db}",
        "REDIS_URL": args.redis,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 30 + "-only-not-a-secret-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "NOTIFY_VAR_DIR": args.var_dir,
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": f"smtp://127.0.0.1:{SINK_PORT}",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM": "+815000000000",
        "TWILIO_API_BASE": f"http://127.0.0.1:{twilio_port}",
        "PUBLIC_BASE_URL": "https://notify.example.jp",
        "EMAIL_RATE_PER_S": "0",
        "SMS_RATE_PER_S": "0",
        "SEND_BATCH_SIZE": str(args.batch),
        "SEND_CHUNK_SIZE": str(args.chunk),
        "PYTHONPATH": str(ROOT),
    }


# -- database and data ---------------------------------------------------------------------------
def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(n: int, *, throttle_per_s: int = 0) -> dict:
    """n customers with an email address and a mobile number; an email and an SMS campaign, approved
    (campaign throttle off unless ``throttle_per_s``)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from audiences.models import AudienceList, Membership, Recipient, Segment
    from campaigns.models import Campaign, Sender
    from campaigns.permissions import grant_approve_permission
    from campaigns.services import campaign_approve, campaign_create, campaign_submit, template_create

    grant_approve_permission()
    User = get_user_model()
    author = User.objects.create_user("bench-author", password="x" * 12)
    author.groups.add(Group.objects.get_or_create(name="operator")[0])
    approver = User.objects.create_user("bench-approver", password="x" * 12)
    approver.groups.add(Group.objects.get_or_create(name="approver")[0])
    audience = AudienceList.objects.create(name="bench")
    surnames, given = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本"], ["太郎", "花子", "健太", "美咲", "翔太"]
    for start in range(0, n, 10_000):
        rows = [Recipient(external_id=f"B{i:08d}", name=f"{surnames[i % 7]} {given[i % 5]}",
                          email=f"user{i}@example.jp", email_normalized=f"user{i}@example.jp",
                          phone=f"+8190{i // 10000:04d}{i % 10000:04d}", phone_type="mobile",
                          attributes={"amount": str(1000 + i % 90000), "due": "2026-12-25"})
                for i in range(start, min(n, start + 10_000))]
        Recipient.objects.bulk_create(rows, batch_size=5000)
    ids = Recipient.objects.values_list("id", flat=True)
    Membership.objects.bulk_create([Membership(audience_list=audience, recipient_id=i) for i in ids], batch_size=10_000)
    segment = Segment.objects.create(name="bench", rules={"match": "all", "rules": [
        {"field": "list", "op": "in", "value": [audience.pk]}]})
    email_sender = Sender.objects.create(channel="email", name="ベンチ銀行", from_email="info@bank.example.jp",
                                         postal_address="東京都千代田区1-1", contact="0120-000-000")
    sms_sender = Sender.objects.create(channel="sms", name="ベンチ銀行", sms_sender_id="BenchBank")
    email_template = template_create(user=author, name="bench email", channel="email",
                                     subject="【ベンチ銀行】ご請求金額のお知らせ", text=EMAIL_TEXT)
    sms_template = template_create(user=author, name="bench sms", channel="sms", body=SMS_TEXT)
    campaigns = {}
    for channel, template, sender in (("email", email_template, email_sender), ("sms", sms_template, sms_sender)):
        campaign = campaign_create(user=author, name=f"bench {channel}", purpose="notice", template=template,
                                   segment=segment, sender=sender, window_start_hour=0, window_end_hour=24)
        # throttle off: 0, which the UI refuses; the content hash is taken at submission, after this
        Campaign.objects.filter(pk=campaign.pk).update(throttle_per_s=throttle_per_s)
        campaign = campaign_submit(campaign=Campaign.objects.get(pk=campaign.pk), user=author)
        campaigns[channel] = campaign_approve(campaign=campaign, user=approver, seen_hash=campaign.content_hash).pk
    return campaigns


EMAIL_TEXT = ("{{ name|sama }}\n\nいつもベンチ銀行をご利用いただきありがとうございます。\n"
              "{{ due|jdate }}のお引き落とし予定額は{{ amount|yen }}です。\nご入金口座の残高をご確認ください。\n")
SMS_TEXT = "{{ name|sama }} ベンチ銀行です。{{ due|jdate }}のお引き落とし予定額は{{ amount|yen }}です。"


# -- processes -------------------------------------------------------------------------------------
def start(command: list[str], env: dict, name: str) -> subprocess.Popen:
    """Its output goes to a file: a pipe nobody reads fills up and stalls the process (smtp-sink -c
    writes a counter for every message)."""
    log(f"starting {name}")
    output = open(Path(env["NOTIFY_VAR_DIR"]) / f"{name.split()[-1]}.log", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stdout=output,
                            stderr=subprocess.STDOUT)
    proc.output = output
    return proc


def stop(proc: subprocess.Popen) -> str:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
    proc.output.seek(0)
    return proc.output.read().decode(errors="replace")


def group_pids(leader: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == leader:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def peak_rss_mb(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peaks.append(int(match.group(1)) / 1024)
    return round(max(peaks), 1) if peaks else 0.0


# -- runs ------------------------------------------------------------------------------------------
def run_campaign(campaign_id: int, expected: int, label: str) -> float:
    from campaigns.models import Campaign, Delivery
    from campaigns.tasks import start_campaign

    started = time.perf_counter()
    start_campaign.delay(campaign_id)
    last = 0.0
    while True:
        state = Campaign.objects.filter(pk=campaign_id).values_list("state", flat=True).get()
        if state == Campaign.State.COMPLETED:
            break
        if state in (Campaign.State.FAILED, Campaign.State.CANCELLED, Campaign.State.PAUSED):
            raise SystemExit(f"{label}: campaign ended {state}")
        if time.perf_counter() - last > 5:
            last = time.perf_counter()
            done = Delivery.objects.filter(campaign_id=campaign_id, status="sent").count()
            log(f"{label}: {done} sent after {last - started:.1f} s")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    sent = Delivery.objects.filter(campaign_id=campaign_id, status="sent").count()
    if sent != expected:
        raise SystemExit(f"{label}: {sent} sent, expected {expected}")
    log(f"{label}: {expected} in {seconds:.1f} s = {expected / seconds:.0f}/s")
    return seconds


def check_audit(campaign_id: int, expected: int) -> None:
    from audit.models import AuditEvent

    audited = AuditEvent.objects.filter(campaign_id=campaign_id, action="send.sent").count()
    if audited != expected:
        raise SystemExit(f"campaign {campaign_id}: {audited} send.sent audit events, expected {expected}")


def post_office_child(n: int) -> None:
    """Runs under bench.post_office_settings: the same rendered emails through django-post-office."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "post_office", verbosity=0)
    from django.db import connection
    from post_office import mail
    from post_office.models import STATUS, Email

    from campaigns.messages import render_message, spec_for
    from campaigns.models import Campaign, Delivery

    campaign = Campaign.objects.select_related("template_version__template", "sender").get(name="bench email")
    spec, version = spec_for(campaign), campaign.template_version
    rows = (Delivery.objects.filter(campaign=campaign).order_by("id")
            .values("address", "recipient__name", "recipient__attributes")[:n])
    kwargs = []
    for row in rows:  # rendered before the clock starts: post-office is timed from send_many on
        parts = render_message(version, spec, {"name": row["recipient__name"],
                                               "attributes": row["recipient__attributes"]})
        kwargs.append({"sender": "ベンチ銀行 <info@bank.example.jp>", "recipients": [row["address"]],
                       "subject": parts["subject"], "message": parts["text"]})
    connection.close()
    started = time.perf_counter()
    for i in range(0, len(kwargs), 5000):
        mail.send_many(kwargs[i : i + 5000])
    while True:
        # send_queued forks with the parent's connection open and the children close theirs: on PostgreSQL
        # that terminates the shared session, so the parent reconnects for each round.
        with contextlib.suppress(Exception):
            connection.close()
        if not mail.get_queued().exists():
            break
        mail.send_queued(processes=2, log_level=1)
    seconds = time.perf_counter() - started
    with contextlib.suppress(Exception):
        connection.close()
    sent = Email.objects.filter(status=STATUS.sent).count()
    print(json.dumps({"sent": sent, "seconds": seconds, "per_s": sent / seconds}))


def post_office(args, env: dict) -> float:
    log("django-post-office: send_many + send_queued(processes=2)")
    child_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.post_office_settings"}
    result = subprocess.run([sys.executable, __file__, "--post-office-child", str(args.messages)], env=child_env,
                            cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit("post-office run failed:\n" + result.stderr[-3000:])
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if data["sent"] != args.messages:
        raise SystemExit(f"post-office sent {data['sent']} of {args.messages}")
    log(f"post-office: {data['sent']} in {data['seconds']:.1f} s = {data['per_s']:.0f}/s")
    return data["per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--db", default="nc_disp_bench")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--var-dir", default="", help="embedded-mode files of the run (default: a temp dir)")
    parser.add_argument("--batch", type=int, default=1000, help="SEND_BATCH_SIZE for the workers")
    parser.add_argument("--chunk", type=int, default=250, help="SEND_CHUNK_SIZE for the workers")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--skip-sms", action="store_true")
    parser.add_argument("--skip-post-office", action="store_true")
    parser.add_argument("--post-office-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.post_office_child:
        return post_office_child(args.post_office_child)

    args.var_dir = args.var_dir or tempfile.mkdtemp(prefix="send-bench-")
    Path(args.var_dir).mkdir(parents=True, exist_ok=True)
    twilio_port = free_port()
    env = environment(args, twilio_port)
    os.environ.update(env)
    import django

    recreate_database(args.db)
    django.setup()
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", verbosity=0)
    log(f"seeding {args.messages} customers")
    campaigns = seed(args.messages)
    from notify_console.celery import app

    app.control.purge()
    as_root = ["-u", "nobody"] if os.geteuid() == 0 else []  # smtp-sink refuses to run as root
    sink = start(["smtp-sink", *as_root, "-c", f"127.0.0.1:{SINK_PORT}", "1000"], env, "smtp-sink")
    twilio = start([sys.executable, "-m", "channels.testing.twilio_standin", "--port", str(twilio_port),
                    "--account-sid", TWILIO_SID, "--auth-token", TWILIO_TOKEN], env, "Twilio stand-in")
    worker = start([sys.executable, "-m", "celery", "-A", "notify_console", "worker", "--concurrency",
                    str(args.concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
                    "--without-heartbeat", "--hostname", "bench@%h"], env, f"{args.concurrency} workers")
    result = {"messages": args.messages}
    try:
        try:
            wait_port(SINK_PORT)
            wait_port(twilio_port)
            time.sleep(3)  # the worker's pool processes start
            email_s = run_campaign(campaigns["email"], args.messages, "email")
            check_audit(campaigns["email"], args.messages)
            result["email_per_s"] = round(args.messages / email_s)
            if not args.skip_sms:
                sms_s = run_campaign(campaigns["sms"], args.messages, "sms")
                check_audit(campaigns["sms"], args.messages)
                result["sms_per_s"] = round(args.messages / sms_s)
            rss = peak_rss_mb(group_pids(worker.pid))
        finally:
            worker_log = stop(worker)
            stop(twilio)
            if worker_log.strip():
                log("worker output:\n" + worker_log[-2000:])
        if not args.skip_post_office:
            po_rate = post_office(args, env)
            result["post_office_per_s"] = round(po_rate)
            result["ratio_vs_post_office"] = round(result["email_per_s"] / po_rate, 2)
    finally:
        stop(sink)
    result["peak_rss_mb"] = rss
    print(json.dumps(result))


if __name__ == "__main__":
    main()

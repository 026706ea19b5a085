"""Preflight over a million-recipient segment on PostgreSQL.

    python bench/preflight_bench.py --recipients 1000000

Creates its own database (``--db``, default ``nc_camp_bench``; dropped and re-created unless ``--reuse``
finds it filled with the same number), migrates it, generates recipients server-side with
``generate_series`` (never the ORM row by row): Japanese names (some very long), e-mail and mobile
numbers (2 % landlines, 1 % without e-mail), merge fields ``amount``/``due``/``note`` (0.1 % without
``amount``, a third with an empty ``note``), 1 % e-mail and 1 % SMS suppressions, 1,000 exclusion
entries and marketing consent for 90 %. Then, each in a fresh child process (so its peak memory is the
preflight's own, Django included), it runs the full preflight for

  - an SMS collection campaign: ``{{ name|sama }} … {{ amount|yen }} … {{ due|jdate }}``, and
  - a marketing e-mail campaign: subject, text and HTML bodies with the same merge fields, an optional
    ``note`` and the opt-out link (consent checked for every recipient).

The last line printed is JSON: ``{"recipients", "seconds", "peak_rss_mb", ...}`` for the slower of the two.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://notify:notify@127.0.0.1:5432/postgres")

GENERATE = [
    "INSERT INTO audiences_audiencelist (name, description, created_at, created_by) "
    "VALUES ('bench', '', now(), 'bench')",
    """
INSERT INTO audiences_recipient (external_id, name, email, email_normalized, phone, phone_type, attributes,
                                 created_at, updated_at)
SELECT 'B' || lpad(g::text, 8, '0'),
       CASE WHEN g %% 100000 = 7 THEN repeat('寿限無', 20)
            ELSE (ARRAY['山田', '佐藤', '鈴木', '高橋', '田中', '伊藤', 'Smith'])[1 + g %% 7]
                 || (ARRAY['太郎', '花子', '一郎', '美咲', ' John'])[1 + g %% 5] END,
       CASE WHEN g %% 100 = 50 THEN '' ELSE 'r' || g || '@example.jp' END,
       CASE WHEN g %% 100 = 50 THEN '' ELSE 'r' || g || '@example.jp' END,
       '+8190' || lpad(g::text, 8, '0'),
       CASE WHEN g %% 50 = 3 THEN 'fixed_line' ELSE 'mobile' END,
       CASE WHEN g %% 1000 = 9 THEN jsonb_build_object('due', '2026-11-25')
            ELSE jsonb_build_object('amount', (1000 + g %% 50000)::text, 'due', '2026-11-25',
                                    'note', CASE WHEN g %% 3 = 0 THEN '' ELSE 'ポイント' || g %% 100 END) END,
       now(), now()
FROM generate_series(1, %(n)s) AS g
""",
    """
INSERT INTO audiences_membership (audience_list_id, recipient_id, added_at)
SELECT (SELECT id FROM audiences_audiencelist WHERE name = 'bench'), id, now() FROM audiences_recipient
""",
    """
INSERT INTO audiences_suppression (channel, address, reason, source, note, created_by, created_at)
SELECT 'email', 'r' || g || '@example.jp', (ARRAY['opt_out', 'hard_bounce', 'complaint'])[1 + g %% 3], 'bench', '',
       'bench', now()
FROM generate_series(1, %(n)s, 100) AS g
""",
    """
INSERT INTO audiences_suppression (channel, address, reason, source, note, created_by, created_at)
SELECT 'sms', '+8190' || lpad(g::text, 8, '0'), 'opt_out', 'bench', '', 'bench', now()
FROM generate_series(2, %(n)s, 100) AS g
""",
    "INSERT INTO audiences_exclusionlist (name, description, created_by, created_at) VALUES ('係争中', '', 'b', now())",
    """
INSERT INTO audiences_exclusionentry (exclusion_list_id, external_id, reason, created_by, created_at)
SELECT (SELECT id FROM audiences_exclusionlist WHERE name = '係争中'), 'B' || lpad(g::text, 8, '0'), '', 'b', now()
FROM generate_series(5, %(n)s, GREATEST(%(n)s / 1000, 1)) AS g
""",
    """
INSERT INTO audiences_consent (recipient_id, channel, granted_at, source, wording, evidence, revoked_by,
                               revoke_reason, created_by, created_at)
SELECT id, 'email', now() - interval '1 day', 'web form', 'お知らせメールを受け取る', '', '', '', 'bench', now()
FROM audiences_recipient WHERE id %% 10 <> 4
""",
    "ANALYZE",
]

SMS_BODY = "{{ name|sama }} サンプル銀行です。{{ amount|yen }}のお支払い期限は{{ due|jdate }}です。"
EMAIL_SUBJECT = "【サンプル銀行】{{ name|sama }}へのご案内"
EMAIL_TEXT = ("{{ name|sama }}\n\nご利用額: {{ amount|yen }}\n期限: {{ due|jdate }}\n{{ note|default('') }}\n\n"
              "配信停止をご希望の方はこちら: {{ unsubscribe_url }}\n")
EMAIL_HTML = ("<p>{{ name|sama }}</p><p>ご利用額: {{ amount|yen }}（期限 {{ due|jdate }}）</p>"
              "<p>{{ note|default('') }}</p><p><a href=\"{{ unsubscribe_url }}\">配信停止</a></p>")


def db_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def child_env(db: str) -> dict[str, str]:
    return {
        **os.environ, "DATABASE_URL": db_url(db), "DJANGO_SETTINGS_MODULE": "notify_console.settings_test",
        "NOTIFY_VAR_DIR": os.environ.get("NOTIFY_VAR_DIR", str(ROOT / "var" / "bench")), "PYTHONPATH": str(ROOT),
        "PUBLIC_BASE_URL": "https://notify.bank.example.jp",
    }


def count_recipients(db: str) -> int:
    try:
        with psycopg.connect(db_url(db)) as conn:
            return conn.execute("SELECT count(*) FROM audiences_recipient").fetchone()[0]
    except psycopg.Error:
        return -1


def prepare(db: str, recipients: int) -> float:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=child_env(db), check=True)
    started = time.perf_counter()
    with psycopg.connect(db_url(db), autocommit=True) as conn:
        for statement in GENERATE:
            conn.execute(statement, {"n": recipients})
    return time.perf_counter() - started


def child(channel: str) -> None:
    """Run in a fresh process: set up one campaign and time its full preflight."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from audiences.models import AudienceList, ExclusionList, Segment
    from campaigns.models import Sender
    from campaigns.preflight.runner import run_preflight
    from campaigns.services import campaign_create, template_create

    user, _ = get_user_model().objects.get_or_create(username=f"bench-{channel}")
    list_id = AudienceList.objects.get(name="bench").pk
    rules = {"match": "all", "rules": [{"field": "list", "op": "in", "value": [list_id]}]}
    segment, _ = Segment.objects.get_or_create(name="bench", defaults={"rules": rules})
    if channel == "sms":
        sender = Sender.objects.create(channel="sms", name="サンプル銀行", sms_sender_id="SampleBank")
        template = template_create(user=user, name=f"bench-sms-{time.time_ns()}", channel="sms", body=SMS_BODY)
        purpose = "collection"
    else:
        sender = Sender.objects.create(channel="email", name="サンプル銀行", from_email="info@bank.example.jp",
                                       postal_address="東京都千代田区丸の内1-1-1", contact="0120-000-000")
        template = template_create(user=user, name=f"bench-email-{time.time_ns()}", channel="email",
                                   subject=EMAIL_SUBJECT, text=EMAIL_TEXT, html=EMAIL_HTML)
        purpose = "marketing"
    campaign = campaign_create(user=user, name=f"bench {channel}", purpose=purpose, template=template,
                               segment=segment, sender=sender, exclusion_list=ExclusionList.objects.get(name="係争中"))
    started = time.perf_counter()
    result = run_preflight(campaign)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "channel": channel, "seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "total": result.summary["total"], "sendable": result.summary["sendable"],
        "blocked": result.summary["blocked"], "missing": result.summary["missing"],
        "previews": len(result.previews),
        "findings": sorted({f"{f.severity}:{f.code}" for f in result.findings}),
    }, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--db", default="nc_camp_bench")
    parser.add_argument("--reuse", action="store_true", help="keep the database when it holds --recipients")
    parser.add_argument("--child", choices=["sms", "email"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    if args.reuse and count_recipients(args.db) == args.recipients:
        print(f"reusing {args.db} with {args.recipients:,} recipients", flush=True)
    else:
        print(f"generating {args.recipients:,} recipients in {args.db} …", flush=True)
        print(f"generated in {prepare(args.db, args.recipients):.1f} s", flush=True)
    runs = []
    for channel in ("sms", "email"):
        out = subprocess.run([sys.executable, __file__, "--child", channel], cwd=ROOT, env=child_env(args.db),
                             check=True, capture_output=True, text=True)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(run)
        print(json.dumps(run, ensure_ascii=False), flush=True)
    slower = max(runs, key=lambda r: r["seconds"])
    print(json.dumps({"recipients": args.recipients, "seconds": slower["seconds"],
                      "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "slower": slower["channel"],
                      "sms_seconds": runs[0]["seconds"], "email_seconds": runs[1]["seconds"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

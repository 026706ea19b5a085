"""Audit export and search speed on PostgreSQL.

    python bench/export_bench.py --events 1000000            # export: CSV of every event
    python bench/export_bench.py --events 10000000 --search  # also the search page, page by page

Creates its own database (``--db``, dropped and re-created unless ``--reuse`` finds it filled), migrates
it, generates events with ``generate_series`` (a fresh table: the audit table refuses UPDATE/DELETE, so
a bench never shares one), then runs the export in a child process so that its peak memory is the
export's own, and times a bare ``COPY … TO STDOUT`` of the same rows in the same order for comparison.
The last line printed is JSON: {"events", "seconds", "rows_per_s", "peak_rss_mb", "copy_rows_per_s", …}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://notify:notify@127.0.0.1:5432/postgres")

# A year of traffic: 9 in 10 events are sends by workers (5,000 per campaign, a million recipients,
# '+81…' SMS addresses that the CSV must neutralise), 1 in 10 are people's operations.
GENERATE = """
INSERT INTO audit_auditevent (at, actor, action, object_type, object_id, campaign_id, recipient_id, channel,
                              address, outcome, details, ip, user_agent)
SELECT timestamptz '2025-01-01 00:00:00+09' + (g::float8 / %(n)s) * interval '365 days',
       CASE WHEN human THEN 'user' || (g / 10) %% 40 ELSE 'system:worker@host' || g %% 4 END,
       CASE WHEN human THEN (ARRAY['op.post', 'campaign.approved', 'campaign.submitted', 'auth.login',
                                   'import.completed', 'op.view_personal_data', 'audit.exported', 'op.delete',
                                   'campaign.created', 'op.post'])[1 + (g / 10) %% 10]
            ELSE (ARRAY['-', 'send.sent', 'send.sent', 'send.sent', 'send.sent', 'send.sent', 'send.delivered',
                        'send.delivered', 'send.failed', 'send.bounced'])[1 + g %% 10] END,
       CASE WHEN human THEN 'campaigns.campaign' ELSE 'campaigns.delivery' END,
       CASE WHEN human THEN campaign::text ELSE g::text END,
       CASE WHEN human AND (g / 10) %% 3 = 0 THEN NULL ELSE campaign END,
       CASE WHEN human THEN NULL ELSE rid END,
       CASE WHEN human THEN '' WHEN campaign %% 2 = 0 THEN 'sms' ELSE 'email' END,
       CASE WHEN human THEN '' WHEN campaign %% 2 = 0 THEN '+8190' || lpad(rid::text, 8, '0')
            ELSE 'r' || rid || '@example.jp' END,
       CASE WHEN human THEN (CASE WHEN g %% 1000 = 0 THEN 'refused' ELSE 'ok' END)
            WHEN g %% 10 >= 8 THEN 'failed' ELSE 'ok' END,
       CASE WHEN human THEN jsonb_build_object('view', 'campaigns:approve', 'status', 302)
            ELSE jsonb_build_object('delivery_id', g, 'provider_id', 'SM' || lpad(to_hex(g), 12, '0')) END,
       CASE WHEN human THEN ('192.0.2.' || g %% 250)::inet END,
       CASE WHEN human THEN 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0' ELSE '' END
FROM (SELECT g, g %% 10 = 0 AS human, 1 + g / 5000 AS campaign, 1 + (g * 7919) %% 1000000 AS rid
      FROM generate_series(1, CAST(%(n)s AS bigint)) AS g) AS s
"""


def db_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def child_env(db: str) -> dict[str, str]:
    return {
        **os.environ, "DATABASE_URL": db_url(db), "DJANGO_SETTINGS_MODULE": "notify_console.settings_test",
        "NOTIFY_VAR_DIR": os.environ.get("NOTIFY_VAR_DIR", str(ROOT / "var" / "bench")), "PYTHONPATH": str(ROOT),
    }


def count_events(db: str) -> int:
    try:
        with psycopg.connect(db_url(db)) as conn:
            return conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]
    except psycopg.Error:
        return -1


def prepare(db: str, events: int) -> float:
    """A fresh database holding ``events`` generated events; returns the seconds generation took."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
        admin.execute(f'CREATE DATABASE "{db}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=child_env(db), check=True)
    started = time.perf_counter()
    with psycopg.connect(db_url(db), autocommit=True) as conn:
        # Indexes are dropped for the load and rebuilt after: far faster than maintaining eleven of them.
        definitions = [row[0] for row in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent' AND indexname NOT LIKE '%pkey'"
        )]
        for name in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_auditevent' "
                                 "AND indexname NOT LIKE '%pkey'").fetchall():
            conn.execute(f'DROP INDEX "{name[0]}"')
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute(GENERATE, {"n": events})
        for definition in definitions:
            conn.execute(definition)
        conn.execute("VACUUM (ANALYZE) audit_auditevent")
    return time.perf_counter() - started


def run_child(db: str, mode: str, extra: list[str] | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--db", db, *(extra or [])],
        cwd=ROOT, env=child_env(db), capture_output=True, text=True,
    )
    sys.stderr.write(out.stderr)
    if out.returncode:
        raise SystemExit(f"the {mode} child failed ({out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bare_copy(db: str) -> tuple[int, float]:
    with psycopg.connect(db_url(db)) as conn, conn.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy("COPY (SELECT * FROM audit_auditevent ORDER BY at, id) TO STDOUT (FORMAT csv)") as copy:
            for _chunk in copy:
                pass
        return cursor.rowcount, time.perf_counter() - started


# --- children (run with Django set up) ---------------------------------------------------------------

def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_export() -> dict:
    from audit.exports.service import audit_export
    from audit.filters import EventFilter

    started = time.perf_counter()
    result = audit_export(filters=EventFilter(), actor="system:bench")
    seconds = time.perf_counter() - started
    result.file.close()
    return {"rows": result.rows, "bytes": result.size, "seconds": round(seconds, 2), "peak_rss_mb": _peak_rss_mb()}


SEARCHES = {
    "no filter": {},
    "one day": {"from": "2025-07-01", "to": "2025-07-01"},
    "old month": {"from": "2025-02-01", "to": "2025-02-28"},
    "campaign": {"campaign": "1000"},
    "campaign + failed": {"campaign": "1000", "outcome": "failed"},
    "recipient (phone as typed)": {"recipient": "090-0001-2345"},
    "recipient_id": {"recipient_id": "12345"},
    "actor": {"actor": "user7"},
    "actor + one day": {"actor": "user7", "from": "2025-07-01", "to": "2025-07-01"},
    "action exact": {"action": "campaign.approved"},
    "action prefix": {"action": "campaign."},
    "rare outcome": {"outcome": "refused"},
    "outcome nobody has": {"outcome": "no-such-outcome"},
    "action prefix nobody has": {"action": "no-such."},
    "action + old month": {"action": "send.failed", "from": "2025-02-01", "to": "2025-02-28"},
}


def child_search(pages: int) -> dict:
    from urllib.parse import urlencode

    from django.contrib.auth.models import Group, User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="bench-auditor")
    user.groups.add(Group.objects.get_or_create(name="auditor")[0])
    client = Client()
    client.force_login(user)
    # The process's first request also imports the URLconf, compiles templates and fills the cached
    # action suggestions (a loose index scan): reported apart, then every search is timed warm.
    started = time.perf_counter()
    assert client.get("/audit/events/").status_code == 200
    cold_ms = round((time.perf_counter() - started) * 1000, 1)
    results = {}
    for label, params in SEARCHES.items():
        timings, before, shown = [], None, 0
        for _page in range(pages):
            query = {**params, **({"before": before} if before else {})}
            started = time.perf_counter()
            response = client.get("/audit/events/?" + urlencode(query))
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (label, response.status_code)
            shown += response.content.count(b"data-event=")
            older = re.search(rb'before=(\d+)" rel="next"', response.content)
            before = older.group(1).decode() if older else None
            if before is None:
                break
        results[label] = {
            "pages": len(timings), "rows": shown, "first_ms": round(timings[0] * 1000, 1),
            "median_ms": round(statistics.median(timings) * 1000, 1), "max_ms": round(max(timings) * 1000, 1),
        }
    return {"searches": results, "worst_page_ms": max(r["max_ms"] for r in results.values()), "cold_first_ms": cold_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "nc_aud7_bench"))
    parser.add_argument("--reuse", action="store_true", help="keep the database when it already holds the events")
    parser.add_argument("--search", action="store_true", help="also time the search page")
    parser.add_argument("--pages", type=int, default=20, help="pages followed per search")
    parser.add_argument("--child", choices=["export", "search"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        import django

        django.setup()
        print(json.dumps(child_export() if args.child == "export" else child_search(args.pages)))
        return

    existing = count_events(args.db) if args.reuse else -1
    generate_s = None
    if existing < args.events:
        generate_s = round(prepare(args.db, args.events), 1)
        print(f"generated {args.events} events in {generate_s} s", file=sys.stderr)
    else:  # a kept database still gets the newest migrations (indexes)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=child_env(args.db), check=True)
    export = run_child(args.db, "export")
    copy_rows, copy_s = bare_copy(args.db)
    summary = {
        "events": export["rows"],
        "seconds": export["seconds"],
        "rows_per_s": round(export["rows"] / export["seconds"]),
        "peak_rss_mb": export["peak_rss_mb"],
        "copy_rows_per_s": round(copy_rows / copy_s),
        "copy_seconds": round(copy_s, 2),
        "bytes": export["bytes"],
        "generate_seconds": generate_s,
    }
    if args.search:
        search = run_child(args.db, "search", ["--pages", str(args.pages)])
        print(json.dumps(search["searches"], indent=1), file=sys.stderr)
        summary["search_worst_page_ms"] = search["worst_page_ms"]
        summary["search_cold_first_request_ms"] = search["cold_first_ms"]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

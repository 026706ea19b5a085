"""``bench/throttle_bench.py --pipeline``: the shared throttle measured through the real send pipeline.

One SMS campaign of 1,000 customers with a campaign throttle of 50 messages/s goes through everything
that sends in production — the start task, materialisation, fan-out, ``send_batch`` tasks claiming rows
in two Celery worker processes, the campaign token bucket in Redis, the Twilio adapter — to the Twilio
stand-in, which records the arrival of every request. The observed rate is (arrivals − 1) / (last −
first), as in the adapter-level benchmark. PostgreSQL + Redis (its own database, ``nc_disp_throttle``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import send_bench as sb
from sink_rate import observed_rate


def main(args) -> None:
    from channels.testing.twilio_standin import TwilioStandIn

    db_args = argparse.Namespace(db="nc_disp_throttle", batch=200, chunk=50,
                                 redis=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
                                 var_dir=tempfile.mkdtemp(prefix="throttle-pipeline-"))
    rate = int(args.rate)
    with TwilioStandIn(account_sid=sb.TWILIO_SID, auth_token=sb.TWILIO_TOKEN, keep_bodies=False) as sink:
        port = int(sink.api_base.rsplit(":", 1)[1])
        env = sb.environment(db_args, port)
        os.environ.update(env)
        import django

        sb.recreate_database(db_args.db)
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        campaigns = sb.seed(args.messages, throttle_per_s=rate)
        from notify_console.celery import app

        app.control.purge()
        worker = sb.start([sys.executable, "-m", "celery", "-A", "notify_console", "worker", "--concurrency",
                           str(args.workers), "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
                           "--without-heartbeat", "--hostname", "throttle@%h"], env, "2 workers")
        try:
            time.sleep(3)
            sb.run_campaign(campaigns["sms"], args.messages, "sms at the throttle")
        finally:
            sb.stop(worker)
        arrivals = sorted(sink.arrivals)
    observed, per_second = observed_rate(arrivals)
    print("arrivals per second:", per_second, file=sys.stderr)
    print(json.dumps({"setting_per_s": rate, "observed_per_s": round(observed, 2), "messages": len(arrivals)}))


"""Throttle benchmark: two worker processes share one token bucket and send SMS to a local Twilio
stand-in; the rate the stand-in observed must be the configured one (issue 6, Acceptance: ±5 %).

    python bench/throttle_bench.py                      # 50 msg/s, 1,000 messages, 2 workers
    REDIS_URL=redis://127.0.0.1:6379/3 python bench/throttle_bench.py   # the Redis bucket instead of the file one

Each worker is a separate interpreter with its own Twilio adapter (one keep-alive connection) and
asks the shared throttle for up to 10 tokens at a time, sending what it is granted — what a dispatch
batch does. The observed rate is measured at the sink: (arrivals − 1) / (last − first arrival).
The last line printed is the JSON result.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

from sink_rate import observed_rate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notify_console.settings")
os.environ.setdefault("DEBUG", "1")

KEY = "sms:twilio"


def _store(kind: str, location: str):
    if kind == "redis":
        from channels.throttle.redis_store import RedisStore

        return RedisStore(location, prefix="nc:bench:")
    from channels.throttle.file_store import FileStore

    return FileStore(Path(location))


def worker(index: int, count: int, args, api_base: str, sid: str, token: str, location: str, start_at: float) -> None:
    from channels.adapters.base import OutgoingMessage
    from channels.adapters.twilio import TwilioAdapter
    from channels.throttle import acquire

    store = _store(args.store, location)
    adapter = TwilioAdapter(account_sid=sid, auth_token=token, from_="+815000000000", api_base=api_base, timeout=10,
                            callback_base="https://notify.example.jp/channels/hooks/twilio/status?mid=")
    messages = [OutgoingMessage(message_id=f"w{index}-{i}", channel="sms", to=f"+8190{index:02d}{i:06d}",
                                text="【テスト】スロットル計測") for i in range(count)]
    while time.time() < start_at:  # both workers start together
        time.sleep(0.001)
    sent = 0
    with adapter:
        while sent < count:
            grant = acquire(KEY, args.rate, args.burst, n=min(10, count - sent), max_wait_s=5, store=store)
            if not grant.granted:
                continue
            results = adapter.send_many(messages[sent : sent + grant.granted])
            failed = [r for r in results if not r.ok]
            if failed:
                raise SystemExit(f"worker {index}: {failed[0]}")
            sent += grant.granted


def main() -> None:
    parser = argparse.ArgumentParser(description="shared-throttle accuracy benchmark")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--burst", type=int, default=5, help="bucket capacity (tokens)")
    parser.add_argument("--store", choices=["auto", "file", "redis"], default="auto")
    parser.add_argument("--pipeline", action="store_true",
                        help="through the real send pipeline (Celery, PostgreSQL + Redis): bench/throttle_pipeline.py")
    args = parser.parse_args()
    if args.pipeline:
        import throttle_pipeline

        return throttle_pipeline.main(args)
    redis_url = os.environ.get("REDIS_URL", "")
    if args.store == "auto":
        args.store = "redis" if redis_url else "file"
    tmp = tempfile.mkdtemp(prefix="throttle-bench-")
    location = redis_url if args.store == "redis" else tmp
    _store(args.store, location).reset([KEY])

    from channels.testing.twilio_standin import TwilioStandIn

    with TwilioStandIn(keep_bodies=False) as sink:
        ctx = multiprocessing.get_context("spawn")
        base, extra = divmod(args.messages, args.workers)
        shares = [base + (1 if i < extra else 0) for i in range(args.workers)]
        start_at = time.time() + 1.5  # time for the interpreters to start
        procs = [
            ctx.Process(target=worker, args=(i, n, args, sink.api_base, sink.account_sid, sink.auth_token, location,
                                             start_at))
            for i, n in enumerate(shares)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        if any(p.exitcode for p in procs):
            raise SystemExit("a worker failed")
        arrivals = sorted(sink.arrivals)
    observed, per_second = observed_rate(arrivals)
    span = arrivals[-1] - arrivals[0]
    print("arrivals per second:", per_second, file=sys.stderr)
    print(f"store={args.store} workers={args.workers} burst={args.burst} requests={len(arrivals)} span_s={span:.3f}",
          file=sys.stderr)
    sys.stderr.flush()
    print(json.dumps({"setting_per_s": args.rate if args.rate % 1 else int(args.rate),
                      "observed_per_s": round(observed, 2), "messages": len(arrivals)}))


if __name__ == "__main__":
    main()

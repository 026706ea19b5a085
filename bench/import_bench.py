"""Import benchmark (issue 4): generate a CSV of N recipients, import it end to end, measure.

    python bench/import_bench.py --rows 1000000
    DATABASE_URL=postgres://notify:notify@127.0.0.1:5432/nc_aud_bench python bench/import_bench.py --rows 1000000

Creates the database if it is missing (the role must be allowed to), migrates it, empties the
audiences tables, writes the file (CP932 by default, as Excel saves it; realistic Japanese rows with
~1 % bad contacts, a few duplicates and blank lines), then runs the real CLI
``manage.py import_recipients`` in a child process — the same validation as the UI — and samples
the peak RSS of that process and of its PostgreSQL backend while it runs. Then, in the same run:

- ``copy_rows_per_s``: a bare PostgreSQL ``COPY`` of the same file into a plain table (the physical
  limit to compare against), and ``copy_backend_peak_rss_mb``, that backend's peak RSS: a write
  larger than ``shared_buffers`` maps the whole buffer pool into the backend that does it;
- the recipients page (``/audiences/recipients/``, first page and a search) and a segment count
  (the dunning segment, and a list + mobile segment) over the imported million, timed through
  Django's test client / the ORM, after one request to another page has loaded the URL conf and
  the views (each timing is [first, median of the rest]).

Prints progress on stderr and, as its last line, one JSON object with ``rows``, ``seconds``,
``rows_per_s``, ``peak_rss_mb`` (sum of the peaks of the import process and its database backends),
``copy_rows_per_s``, the page/segment timings, and — because the machine is shared and wall-clock
figures are noisy — ``cpu_seconds_by_process``, the import's per-phase ``database_seconds`` and the
``load_average`` before and after the import. ``--keep`` keeps the generated file and ``--file PATH``
imports such a file again, so before/after comparisons read identical input.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://notify:notify@127.0.0.1:5432/nc_aud_bench"
APP_NAME = "nc_import_bench"
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "髙橋", "﨑山"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "翔太", "陽菜", "健", "さくら", "大輔", "結衣"]
BRANCHES = ["本店営業部", "新宿支店", "梅田支店", "名古屋支店", "福岡支店", "札幌支店", "㈱法人営業部"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(path: Path, rows: int, encoding: str, seed: int = 4) -> dict:
    """A customer export: mostly mobiles, some landlines, ~1 % bad contacts, duplicates, blank lines."""
    rnd = random.Random(seed)
    expected = {"records": 0, "duplicates": 0, "blank": 0}
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["顧客番号", "氏名", "メールアドレス", "携帯電話番号", "未払金額", "支払期日", "支店", "備考"])
        for i in range(rows):
            expected["records"] += 1
            if i and i % 250_000 == 0:
                handle.write("\r\n")  # a blank line now and then
                expected["blank"] += 1
                expected["records"] += 1
            number = i if i % 100_000 != 99_999 else i - 1  # a repeated customer number
            expected["duplicates"] += number != i
            kind = rnd.random()
            if kind < 0.80:
                phone = f"0{rnd.choice('789')}0-{rnd.randint(1000, 9999)}-{rnd.randint(0, 9999):04d}"
            elif kind < 0.92:
                phone = f"03-{rnd.randint(1000, 9999)}-{rnd.randint(0, 9999):04d}"
            elif kind < 0.99:
                phone = ""
            else:
                phone = "090-12"  # invalid
            email = f"user{i}@example.co.jp" if rnd.random() < 0.85 else ""
            if rnd.random() < 0.005:
                email = "user{i}@@example"  # invalid
            unpaid = rnd.choice(["0", "0", str(rnd.randint(1000, 500000))])
            due = f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            writer.writerow([f"C{number:09d}", f"{rnd.choice(SURNAMES)} {rnd.choice(GIVEN)}", email, phone, unpaid,
                             due, rnd.choice(BRANCHES), "①特記事項なし" if rnd.random() < 0.1 else ""])
    return expected


def database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True,
                          capture_output=True, text=True)


def reset(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE audiences_membership, audiences_importissue, audiences_consent, audiences_recipient, "
                     "audiences_importjob, audiences_segment CASCADE")


class PeakSampler(threading.Thread):
    """Samples VmHWM (peak RSS) of the import process and of its PostgreSQL backend."""

    def __init__(self, url: str, pid: int) -> None:
        super().__init__(daemon=True)
        self.url, self.pid = url, pid
        self.peaks: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # user + system seconds, last sample (robust to other load)
        self.backend_anon_mb = 0.0
        self.stop = threading.Event()

    @staticmethod
    def _status(pid: int) -> dict[str, int]:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return {}
        out = {}
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                out[key] = int(value.split()[0])
        return out

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.1):
                pids = {"import": self.pid}
                for (backend,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                               [APP_NAME]):
                    pids[f"postgres:{backend}"] = backend
                for label, pid in pids.items():
                    cpu = self._cpu(pid)
                    if cpu is not None:
                        self.cpu[label] = cpu
                    status = self._status(pid)
                    if "VmHWM" in status:
                        self.peaks[label] = max(self.peaks.get(label, 0.0), status["VmHWM"] / 1024)
                        if label.startswith("postgres"):
                            anon = status.get("RssAnon", 0) / 1024
                            self.backend_anon_mb = max(self.backend_anon_mb, anon)


def bare_copy(url: str, path: Path, encoding: str) -> tuple[float, float]:
    """(rows per second, peak RSS of the backend in MB) of a bare COPY: the floor for both measures."""
    import psycopg

    pg_encoding = "SJIS" if encoding == "cp932" else "UTF8"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare_copy")
        conn.execute("CREATE TABLE bench_bare_copy (a text, b text, c text, d text, e text, f text, g text, h text)")
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                f"COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING '{pg_encoding}')") as copy, \
                path.open("rb") as handle:
            carry = b""
            while chunk := handle.read(1 << 20):
                # COPY has no notion of a blank line; drop the few the generator wrote.
                data = (carry + chunk).replace(b"\r\n\r\n", b"\r\n")
                carry, data = data[-3:], data[:-3]
                copy.write(data)
            copy.write(carry)
        seconds = time.perf_counter() - started
        count = conn.execute("SELECT COUNT(*) FROM bench_bare_copy").fetchone()[0]
        # Writing more than shared_buffers maps the whole buffer pool into the backend, whatever writes it.
        peak = PeakSampler._status(conn.info.backend_pid).get("VmHWM", 0) / 1024
        conn.execute("DROP TABLE bench_bare_copy")
    return count / seconds, peak


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """(first, median of the rest) in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:])


def read_side(env: dict) -> dict:
    """Recipients page and segment counts over what was imported, in this process through Django."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from audiences.models import AudienceList, Recipient
    from audiences.selectors import segment_count

    user, _ = get_user_model().objects.get_or_create(username="bench-operator")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    client = Client()
    client.force_login(user)
    list_id = AudienceList.objects.get(name="bench").pk

    def page(query: str = ""):
        response = client.get("/audiences/recipients/" + query)
        assert response.status_code == 200, response.status_code
        return response

    # The first request of a fresh Python process imports the URL conf and every view and compiles
    # templates (~0.3-0.4 s here), which a running web server did long before. One request to a page
    # that does not read recipients pays that, so "first" below is this page's first load: a cold
    # plan and cold caches for the million rows, not Python's start-up.
    assert client.get("/audiences/imports/").status_code == 200
    out = {}
    out["recipients_page_s"] = timed(lambda: page())
    top = Recipient.objects.order_by("-id").values_list("id", flat=True)[0]
    out["recipients_page_deep_s"] = timed(lambda: page(f"?before={top - Recipient.objects.count() // 2}"), 3)
    out["recipients_search_email_s"] = timed(lambda: page("?q=USER777777@example.co.jp"))
    out["recipients_search_name_s"] = timed(lambda: page("?q=佐藤"))
    out["recipients_search_name_absent_s"] = timed(lambda: page("?q=存在しない名前"))
    out["recipients_list_filter_s"] = timed(lambda: page(f"?list={list_id}"))
    dunning = {"match": "all", "rules": [{"field": "attributes.未払金額", "op": "gt", "value": 0},
                                         {"field": "attributes.支払期日", "op": "within_days", "value": 3}]}
    mobiles = {"match": "all", "rules": [{"field": "list", "op": "in", "value": [list_id]},
                                         {"field": "phone_type", "op": "equals", "value": "mobile"}]}
    counts = {}
    out["segment_count_dunning_s"] = timed(lambda: counts.__setitem__("dunning", segment_count(dunning)), 3)
    out["segment_count_list_mobile_s"] = timed(lambda: counts.__setitem__("mobiles", segment_count(mobiles)), 3)
    out["segment_counts"] = counts
    return {k: ([round(x, 4) for x in v] if isinstance(v, tuple) else v) for k, v in out.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", choices=["cp932", "utf-8"], default="cp932")
    parser.add_argument("--keep", action="store_true", help="keep the generated file and the imported rows")
    parser.add_argument("--file", type=Path, help="import this file (written by an earlier --keep run) instead")
    parser.add_argument("--skip-reads", action="store_true", help="skip the page and segment timings")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if not url.startswith("postgres"):
        log("this benchmark measures the PostgreSQL path (COPY + set-based merge); set DATABASE_URL=postgres://…")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="nc-import-bench-"))
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "notify_console.settings",
           "NOTIFY_VAR_DIR": str(workdir / "var"), "DEBUG": "1", "LOG_LEVEL": "INFO", "PGAPPNAME": APP_NAME,
           "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver"}
    env.pop("REDIS_URL", None)
    database(url)
    log("migrating…")
    manage(env, "migrate", "--no-input", "-v", "0")
    reset(url)
    if args.file:
        path, args.keep = args.file, True
        expected = {"records": args.rows + (args.rows - 1) // 250_000}  # what generate() writes
    else:
        path = workdir / f"customers-{args.rows}.csv"
        log(f"writing {args.rows:,} rows ({args.encoding}) to {path}…")
        started = time.perf_counter()
        expected = generate(path, args.rows, args.encoding)
        log(f"  {path.stat().st_size / 1e6:,.1f} MB in {time.perf_counter() - started:.1f} s")

    load_before = os.getloadavg()[0]
    log(f"importing through manage.py import_recipients… (load average {load_before:.2f})")
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "import_recipients", str(path), "--list",
                              "bench", "--mode", "upsert", "--encoding", "auto", "--quiet", "--actor", "bench"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakSampler(url, child.pid)
    sampler.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    if child.returncode != 0:
        log(stderr)
        return 1
    load_after = os.getloadavg()[0]
    summary = json.loads(stdout.strip().splitlines()[-1])
    log(f"  {summary}")
    phases, threads = {}, {}
    for line in stderr.splitlines():
        if "staged" in line or "database seconds" in line or "thread cpu" in line:
            log("  " + line)
        if "database seconds" in line:
            phases = ast.literal_eval(line.split("database seconds", 1)[1].strip())
        if "thread cpu seconds:" in line:  # "parser 9.87, database 3.21"
            threads = {k: float(v) for k, v in (p.split() for p in line.split("seconds:", 1)[1].split(","))}
    assert summary["records"] == expected["records"], (summary, expected)
    assert summary["created"] + summary["updated"] + summary["rejected"] + summary["blank"] == summary["records"]

    log("bare COPY of the same file…")
    copy_rate, copy_peak = bare_copy(url, path, args.encoding)
    reads = {} if args.skip_reads else read_side(env)
    peak_total = sum(sampler.peaks.values())
    result = {
        "rows": summary["records"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(summary["records"] / seconds),
        "peak_rss_mb": round(peak_total, 1),
        "peak_rss_by_process_mb": {k: round(v, 1) for k, v in sampler.peaks.items()},
        "postgres_backend_private_mb": round(sampler.backend_anon_mb, 1),
        "cpu_seconds_by_process": {k: round(v, 2) for k, v in sampler.cpu.items()},
        "database_seconds": phases,
        "import_thread_cpu_seconds": threads,
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "copy_rows_per_s": round(copy_rate),
        "copy_backend_peak_rss_mb": round(copy_peak, 1),
        "import_seconds_reported": summary["seconds"],
        "created": summary["created"], "updated": summary["updated"], "rejected": summary["rejected"],
        "blank": summary["blank"], "warnings": summary["warnings"],
        "file_mb": round(path.stat().st_size / 1e6, 1), "encoding": args.encoding,
        **reads,
    }
    if not args.keep:
        path.unlink()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

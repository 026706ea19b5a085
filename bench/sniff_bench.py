"""What the upload sniffer (audiences/imports/sniff.py) costs per MiB of upload.

    python bench/sniff_bench.py --mib 500

Feeds ``--mib`` MiB of a realistic UTF-8 customer CSV (about 75 bytes a line) to the sniffer in 1 MiB
chunks, as the upload copy does. The last line printed is JSON: ``{"mib", "sniff_s", "sniff_mib_per_s",
"lines"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notify_console.settings")
os.environ.setdefault("DEBUG", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=500)
    args = parser.parse_args()
    import django

    django.setup()
    from audiences.imports.sniff import Sniffer

    line = "C123456,山田 太郎,taro.yamada@example.jp,090-1234-5678,12000,2025-07-01\r\n".encode()
    chunk = (line * ((1 << 20) // len(line) + 1))[: 1 << 20]
    sniffer = Sniffer(1 << 20)
    started = time.perf_counter()
    for _ in range(args.mib):
        sniffer.feed(chunk)
    sniff_s = time.perf_counter() - started
    print(json.dumps({"mib": args.mib, "sniff_s": round(sniff_s, 3), "sniff_mib_per_s": round(args.mib / sniff_s),
                      "lines": sniffer.line - 1}))


if __name__ == "__main__":
    main()

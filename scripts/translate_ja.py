"""Fill Japanese translations into locale/ja/LC_MESSAGES/django.po from locale/ja/catalog.py.

Run after ``manage.py makemessages -l ja``; then ``manage.py compilemessages``. Keeping the
translations in a Python dict makes them easy to review in a diff.
"""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/ja/LC_MESSAGES/django.po"
CATALOG = runpy.run_path(str(ROOT / "locale/ja/catalog.py"))["JA"]
# Each app may keep its own strings in <app>/locale_ja.py (a JA dict), so apps never edit one shared file.
# (and a package inside an app its own, e.g. campaigns/dispatch/locale_ja.py for the delivery side).
for _app_catalog in sorted([*ROOT.glob("*/locale_ja.py"), *ROOT.glob("*/*/locale_ja.py")]):
    CATALOG.update(runpy.run_path(str(_app_catalog))["JA"])


def _unquote(block: str) -> str:
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)).encode().decode("unicode_escape").encode(
        "latin-1").decode("utf-8")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _unfuzzy(head: str) -> str:
    """Comments of an entry we translate, without the fuzzy mark makemessages guessed or the msgid it
    guessed from: msgfmt leaves fuzzy entries out, and "#, fuzzy, python-format" hid five translations."""
    kept = []
    for line in head.splitlines(keepends=True):
        if line.startswith("#|"):
            continue
        if line.startswith("#,"):
            flags = [f.strip() for f in line[2:].split(",") if f.strip() and f.strip() != "fuzzy"]
            if not flags:
                continue
            line = "#, " + ", ".join(flags) + "\n"
        kept.append(line)
    return "".join(kept)


def main() -> int:
    text = PO.read_text(encoding="utf-8")
    text = text.replace("Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;", "Plural-Forms: nplurals=1; plural=0;")
    missing = []
    entry = re.compile(r'(?P<head>(?:#[^\n]*\n)*)msgid (?P<id>"(?:[^"\\]|\\.)*"(?:\n"(?:[^"\\]|\\.)*")*)\n'
                       r'msgstr (?P<str>"(?:[^"\\]|\\.)*"(?:\n"(?:[^"\\]|\\.)*")*)')

    def fill(match: re.Match) -> str:
        msgid = _unquote(match.group("id"))
        if not msgid:
            return match.group(0)
        if msgid not in CATALOG:
            missing.append(msgid)
            return match.group(0)
        return f"{_unfuzzy(match.group('head'))}msgid {match.group('id')}\nmsgstr {_quote(CATALOG[msgid])}"

    PO.write_text(entry.sub(fill, text), encoding="utf-8")
    for msgid in missing:
        print(f"missing Japanese for: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

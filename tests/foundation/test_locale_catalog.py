"""The Japanese catalog: every message translated, none left fuzzy, and the compiled file up to date.

msgfmt leaves fuzzy entries out, so a fuzzy mark that makemessages guessed shows the English text in
the Japanese UI; five messages were hidden that way until scripts/translate_ja.py removed the mark.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale/ja/LC_MESSAGES"


def _entries() -> list[str]:
    blocks = LOCALE.joinpath("django.po").read_text(encoding="utf-8").split("\n\n")
    # The first block is the header; obsolete entries (#~) are not compiled.
    return [b.strip() for b in blocks[1:] if b.strip() and not b.strip().startswith("#~")]


def test_no_message_is_fuzzy_or_untranslated():
    entries = _entries()
    fuzzy = [e for e in entries if re.search(r"^#,.*\bfuzzy\b", e, re.MULTILINE)]
    untranslated = [e for e in entries if e.splitlines()[-1] == 'msgstr ""']
    assert fuzzy == [] and untranslated == [], (fuzzy + untranslated)[:3]


def test_the_compiled_catalog_holds_every_message():
    with LOCALE.joinpath("django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001 - the messages msgfmt wrote
    assert len([k for k in compiled if k]) == len(_entries())  # run compilemessages after translate_ja.py
    with translation.override("ja"):
        assert translation.gettext("Exclusion lists") == "除外リスト"
        assert translation.gettext("SMS segments: %(segments)s") != "SMS segments: %(segments)s"  # was fuzzy

"""Checks on message text alone: links, prohibited words, requests for secrets, a missing subject.

Pure functions over strings (the template source and rendered previews), so they are cheap to test
and to run on every preview. Text is NFKC-normalised first so that full-width ``ＰＩＮ`` or
half-width katakana do not slip past a list written the ordinary way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from .findings import ERROR, WARNING, Finding

_TLDS = "jp|com|net|org|info|biz|io|co|me|ly|xyz|top|app|page|link|site|online|shop|club|cc|tk|cn|ru|us|uk"
_LINK = re.compile(
    r"(?i)(?:\b(?:https?://|www\.)[^\s<>\"'）」』】、。]+"
    r"|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:" + _TLDS + r")(?![\w-])(?:/[^\s<>\"'）」』】、。]*)?)"
)

# Words that name a secret, and words that ask for one. A sentence with both is phishing's shape
# (an error); a secret named in a sentence that says "we never ask" is only worth a look (a warning).
_SECRETS = [
    r"暗証番号", r"パスワード", r"パスコード", r"ワンタイムパスワード", r"カード番号", r"セキュリティコード",
    r"\bPIN\b", r"\bpasswords?\b", r"\bpasscodes?\b", r"\bcard numbers?\b",
    r"\bsecurity codes?\b", r"\bCVV\b", r"\bCVC\b", r"\bone[- ]time (?:password|code)\b",
]
_SECRET = re.compile("|".join(f"(?:{p})" for p in _SECRETS), re.IGNORECASE)
_ASK = re.compile(
    r"入力|ご記入|記入|教えて|お知らせください|返信|ご返信|送信して|送って|ご回答|回答|確認のため|ご確認のうえ|登録して|"
    r"\b(?:enter|reply|send|provide|confirm|verify|type|tell us|submit|update)\b",
    re.IGNORECASE,
)
_NEVER = re.compile(
    r"ことはありません|ことは(?:一切)?ございません|しません|いたしません|決して|絶対に|"
    r"\bnever\b|\bwill not\b|\bwon't\b|\bdo not\b|\bdon't\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])|(?<=\.)\s")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def find_links(text: str) -> list[str]:
    return [match.group(0).rstrip(".,;:!?)") for match in _LINK.finditer(normalise(text))]


def link_host(link: str) -> str:
    if not re.match(r"(?i)https?://", link):
        link = "http://" + link
    try:
        return (urlsplit(link).hostname or "").rstrip(".").lower()
    except ValueError:
        return link.lower()


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    for domain in allowed:
        domain = domain.strip().lower().lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def link_findings(texts: Iterable[str], *, channel: str, allowed_domains: Iterable[str],
                  sms_links_forbidden: bool) -> list[Finding]:
    allowed = list(allowed_domains)
    findings, seen_hosts, first_link = [], set(), ""
    for text in texts:
        for link in find_links(text):
            first_link = first_link or link
            host = link_host(link)
            if host in seen_hosts:
                continue
            seen_hosts.add(host)
            if not host_allowed(host, allowed):
                findings.append(Finding("link.domain_not_allowed", ERROR, {"domain": host or link}))
    if channel == "sms" and sms_links_forbidden and first_link:
        findings.insert(0, Finding("sms.link_forbidden", ERROR, {"link": first_link}))
    return findings


def prohibited_word_findings(texts: Iterable[str], words: Iterable[tuple[str, str]]) -> list[Finding]:
    """``words``: (word, severity) pairs, e.g. from the admin-edited ``ProhibitedWord`` table."""
    haystack = normalise("\n".join(texts)).casefold()
    findings = []
    for word, severity in words:
        if word and normalise(word).casefold() in haystack:
            findings.append(Finding("text.prohibited_word", severity or ERROR, {"word": word}))
    return findings


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(normalise(text)) if s and s.strip()]


def secret_request_findings(texts: Iterable[str]) -> list[Finding]:
    asks, mentions = {}, {}
    for text in texts:
        for sentence in _sentences(text):
            for match in _SECRET.finditer(sentence):
                word = match.group(0)
                if _NEVER.search(sentence):
                    mentions.setdefault(word.lower(), word)
                elif _ASK.search(sentence):
                    asks.setdefault(word.lower(), word)
                else:
                    mentions.setdefault(word.lower(), word)
    findings = [Finding("text.asks_for_secret", ERROR, {"word": word}) for word in asks.values()]
    findings += [Finding("text.mentions_secret", WARNING, {"word": word})
                 for key, word in mentions.items() if key not in asks]
    return findings


def subject_findings(*, channel: str, subject: str) -> list[Finding]:
    if channel == "email" and not subject.strip():
        return [Finding("email.no_subject", ERROR)]
    return []

"""Checks on message text alone: links, prohibited words, requests for secrets, a missing subject.

Pure functions over strings (the template source and rendered previews), so they are cheap to test
and to run on every preview. Text is NFKC-normalised first so that full-width ``ＰＩＮ`` or
half-width katakana do not slip past a list written the ordinary way.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from .findings import ERROR, WARNING, Finding

logger = logging.getLogger(__name__)

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
    # Browsers (WHATWG URL) read a backslash in an http(s) URL as a slash; urlsplit does not, so
    # "https://evil.example\@bank.example.jp" would look like bank.example.jp here and go to evil.example.
    link = link.replace("\\", "/")
    if link.startswith("//"):
        link = "https:" + link
    elif not re.match(r"(?i)https?://", link):
        link = "http://" + link
    try:
        return (urlsplit(link).hostname or "").rstrip(".").lower()
    except ValueError:
        return link.lower()


# Attributes of an HTML body that a mail client follows or loads.
_URL_ATTRIBUTE = re.compile(r"""(?i)\b(?:href|src|action|formaction|background|poster|cite)\s*=\s*"""
                            r"""(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:", "file:", "ftp:")
_HARMLESS = ("mailto:", "tel:", "sms:", "cid:")
_AUTHORITY = re.compile(r"(?i)^(?:https?:)?//([^/?#]*)")


def _attribute_links(text: str) -> list[str]:
    return [next(v for v in match.groups() if v is not None) for match in _URL_ATTRIBUTE.finditer(normalise(text))]


def _bare(link: str) -> str:
    # Browsers drop tabs, newlines and leading spaces inside a URL: "java\tscript:" is "javascript:".
    return re.sub(r"[\s\x00-\x1f]", "", link).replace("\\", "/").lower()


def _absolute(value: str) -> bool:
    """An attribute value that leaves the message (a relative "page.html" or "#top" does not)."""
    bare = _bare(value)
    if bare == "{{unsubscribe_url}}":
        return False  # our own opt-out link; the rendered previews check its real address
    return bool(re.match(r"[a-z][a-z0-9+.-]*:|//|\{\{", bare)) and not bare.startswith(_HARMLESS)


def _scheme_findings(link: str, own_hosts: set[str]) -> list[Finding]:
    """A link must go over https to a host that can be checked now, not one filled in from the data."""
    bare = _bare(link)
    if bare.startswith(_DANGEROUS_SCHEMES):
        return [Finding("link.bad_scheme", ERROR, {"link": link[:200]})]
    authority = _AUTHORITY.match(bare)
    if bare.startswith("{{") or (authority and "{{" in authority.group(1)):
        return [Finding("link.host_from_data", ERROR, {"link": link[:200]})]
    # Anything but https, including "www.bank.example.jp/pay" with no scheme: mail and SMS apps make
    # such text into an http:// link.
    if not bare.lower().startswith("https://") and link_host(link) not in own_hosts:
        return [Finding("link.not_https", ERROR, {"link": link[:200]})]
    return []


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    for domain in allowed:
        domain = domain.strip().lower().lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def link_findings(texts: Iterable[str], *, channel: str, allowed_domains: Iterable[str],
                  sms_links_forbidden: bool, own_hosts: Iterable[str] = ()) -> list[Finding]:
    """Links only to allowed domains, only over https (``own_hosts``: our own links, e.g. the opt-out
    page, follow PUBLIC_BASE_URL's scheme), never to a host that a merge field fills in."""
    allowed, own = list(allowed_domains), set(own_hosts)
    findings, seen_hosts, seen_links, first_link = [], set(), set(), ""
    for text in texts:
        for link in find_links(text) + [v for v in _attribute_links(text) if _absolute(v)]:
            first_link = first_link or link
            if link in seen_links:
                continue
            seen_links.add(link)
            scheme = _scheme_findings(link, own)
            findings.extend(scheme)
            if any(f.code != "link.not_https" for f in scheme):
                continue
            host = link_host(link)
            if not host or host in seen_hosts:
                continue
            seen_hosts.add(host)
            if not host_allowed(host, allowed):
                findings.append(Finding("link.domain_not_allowed", ERROR, {"domain": host or link}))
    if channel == "sms" and sms_links_forbidden and first_link:
        findings.insert(0, Finding("sms.link_forbidden", ERROR, {"link": first_link}))
    for finding in findings:
        logger.warning("link refused (%s): %s", finding.code, finding.params)
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

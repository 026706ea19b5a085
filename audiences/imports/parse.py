"""Row validation: one CSV record in, one staging tuple and/or issues out.

Codes (stable; messages are in the importing user's language):
  rejected  row.column_count, external_id.missing, external_id.too_long, row.no_contact,
            row.duplicate_key (found later, in SQL, see the writers)
  warnings  email.invalid, phone.invalid (the row is imported without that field), name.too_long
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from operator import itemgetter

from django.utils.translation import gettext as _

from ..normalize import clean_email
from .headers import Columns
from .phones import parse_phone

MAX_EXTERNAL_ID = 128
MAX_NAME = 1000
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Issue:
    line: int
    severity: str
    code: str
    message: str
    values: list[str]


# (line, external_id, name, name_set, email, email_normalized, email_set, email_raw,
#  phone, phone_type, phone_set, phone_raw, attributes JSON, clean: no character needs escaping)
Staged = tuple


# Characters that JSON or COPY would have to escape; rows without any take the fast paths.
_SPECIAL = re.compile(r'[\x00-\x1f"\\]').search


def _attributes_template(attributes: list[tuple[int, str]]) -> str:
    """``'{"key": "%s", ...}'``: the attributes JSON of a row with nothing to escape, by one %-format."""
    return "{" + ", ".join(json.dumps(key, ensure_ascii=False).replace("%", "%%") + ': "%s"'
                           for _, key in attributes) + "}"


def _picker(indexes: list[int]):
    """``row -> tuple of the values at indexes`` (itemgetter returns a bare value for one index)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return (lambda row: (row[indexes[0]],)) if indexes else (lambda row: ())


class RowValidator:
    """``validate`` runs for every row of files with millions of them: the column plan is unpacked
    from one tuple, and the attributes JSON of a row with nothing to escape is one %-format.
    ``clean_email`` and ``parse_phone`` decide the common shapes quickly themselves.
    """

    def __init__(self, columns: Columns, region: str) -> None:
        self.columns = columns
        self.width = len(columns.headers)
        self.region = region
        self.attributes = columns.attributes
        self._plan = (self.width, columns.external_id, columns.email, columns.phone, columns.name,
                      _attributes_template(columns.attributes), _picker([i for i, _ in columns.attributes]))
        # gettext goes through thread-local machinery: translate once, not once per issue.
        self._text = {
            "column_count": _("Expected %(expected)d columns, found %(found)d."),
            "external_id.missing": _("The customer number is empty."),
            "external_id.too_long": _("The customer number is longer than %(max)d characters.") % {
                "max": MAX_EXTERNAL_ID},
            "row.no_contact": _("No valid e-mail address or phone number."),
            "email.invalid": _("The e-mail address %(value)s is not valid."),
            "phone.invalid": _("The phone number %(value)s is not valid."),
            "imported_without": _("Imported without it."),
            "name.too_long": _("The name is longer than %(max)d characters; it was shortened.") % {"max": MAX_NAME},
        }

    def is_blank(self, row: list[str]) -> bool:
        if row and row[0] and not row[0].isspace():  # the common case, without joining the row
            return False
        return not row or not "".join(row).strip()

    def validate(self, row: list[str], line: int) -> tuple[Staged | None, list[Issue]]:
        width, external_index, email_index, phone_index, name_index, template, pick = self._plan
        if len(row) != width:
            return None, [Issue(line, ERROR, "row.column_count", self._text["column_count"] % {
                "expected": width, "found": len(row)}, row)]
        external_id = row[external_index].strip()
        if not external_id.isascii():
            external_id = unicodedata.normalize("NFKC", external_id).strip()
        if not external_id:
            return None, [Issue(line, ERROR, "external_id.missing", self._text["external_id.missing"], row)]
        if len(external_id) > MAX_EXTERNAL_ID:
            return None, [Issue(line, ERROR, "external_id.too_long", self._text["external_id.too_long"], row)]
        problems = None
        email = email_norm = email_raw = phone = phone_raw = ""
        email_set = phone_set = False
        phone_type = "unknown"
        if email_index is not None:
            email_raw = row[email_index].strip()
            if not email_raw:
                email_set = True
            else:
                cleaned = clean_email(email_raw)
                if cleaned is None:
                    problems = [("email.invalid", email_raw)]
                else:
                    email, email_norm, email_set = cleaned, cleaned.lower(), True
        if phone_index is not None:
            phone_raw = row[phone_index].strip()
            if not phone_raw:
                phone_set = True
            else:
                parsed = parse_phone(phone_raw, self.region)
                if parsed is None:
                    problems = (problems or []) + [("phone.invalid", phone_raw)]
                else:
                    phone, phone_type, phone_set = parsed.e164, parsed.type, True
        if not email and not phone:
            detail = "; ".join(self._problem_text(code, value) for code, value in problems or ())
            message = self._text["row.no_contact"] + (f" {detail}" if detail else "")
            return None, [Issue(line, ERROR, "row.no_contact", message, row)]
        issues = [Issue(line, WARNING, code, self._problem_text(code, value) + " " + self._text["imported_without"],
                        row) for code, value in problems] if problems else []
        name, name_set = "", False
        if name_index is not None:
            name, name_set = row[name_index].strip(), True
            if len(name) > MAX_NAME:
                name = name[:MAX_NAME]
                issues.append(Issue(line, WARNING, "name.too_long", self._text["name.too_long"], row))
        # isprintable() is twice as fast as the regex and false for every control character; it is false
        # for other characters too (U+3000, the full-width space, is common), and then the regex decides.
        joined = "".join(row)
        clean = ('"' not in joined and "\\" not in joined) if joined.isprintable() else _SPECIAL(joined) is None
        if clean:
            attributes = template % pick(row)
        else:
            attributes = json.dumps({key: row[i] for i, key in self.attributes}, ensure_ascii=False)
        return (line, external_id, name, name_set, email, email_norm, email_set, email_raw,
                phone, phone_type, phone_set, phone_raw, attributes, clean), issues

    def duplicate(self, row: list[str], line: int, external_id: str, first_line: int) -> Issue:
        return Issue(line, ERROR, "row.duplicate_key", duplicate_message(external_id, first_line), row)

    def _problem_text(self, code: str, value: str) -> str:
        return self._text[code] % {"value": repr(value)}


def duplicate_message(external_id: str, first_line: int) -> str:
    return _("The customer number %(value)s already appeared on line %(line)d.") % {
        "value": repr(external_id), "line": first_line}

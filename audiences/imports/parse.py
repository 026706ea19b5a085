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


def _fold(value: str) -> str:
    value = value.strip()
    return value if value.isascii() else unicodedata.normalize("NFKC", value).strip()


# Characters that JSON or COPY would have to escape; rows without any take the fast paths.
_SPECIAL = re.compile(r'[\x00-\x1f"\\]').search


class RowValidator:
    def __init__(self, columns: Columns, region: str) -> None:
        self.columns = columns
        self.width = len(columns.headers)
        self.region = region
        self.attributes = columns.attributes
        self._attr_index = [i for i, _ in columns.attributes]
        # '{"key": "{0}", ...}' as a str.format template: most rows need no JSON escaping at all.
        parts = [json.dumps(key, ensure_ascii=False).replace("{", "{{").replace("}", "}}") + ': "{' + str(n) + '}"'
                 for n, (_, key) in enumerate(columns.attributes)]
        self._attr_template = "{{" + ", ".join(parts) + "}}"
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
        c = self.columns
        if len(row) != self.width:
            return None, [Issue(line, ERROR, "row.column_count", self._text["column_count"] % {
                "expected": self.width, "found": len(row)}, row)]
        external_id = _fold(row[c.external_id])
        if not external_id:
            return None, [Issue(line, ERROR, "external_id.missing", self._text["external_id.missing"], row)]
        if len(external_id) > MAX_EXTERNAL_ID:
            return None, [Issue(line, ERROR, "external_id.too_long", self._text["external_id.too_long"], row)]
        problems = None
        email = email_norm = email_raw = phone_raw = ""
        email_set = phone_set = False
        phone, phone_type = "", "unknown"
        if c.email is not None:
            raw = email_raw = row[c.email].strip()
            if not raw:
                email_set = True
            else:
                cleaned = clean_email(raw)
                if cleaned is None:
                    problems = [("email.invalid", raw)]
                else:
                    email, email_norm, email_set = cleaned, cleaned.lower(), True
        if c.phone is not None:
            raw = phone_raw = row[c.phone].strip()
            if not raw:
                phone_set = True
            else:
                parsed = parse_phone(raw, self.region)
                if parsed is None:
                    problems = (problems or []) + [("phone.invalid", raw)]
                else:
                    phone, phone_type, phone_set = parsed.e164, parsed.type, True
        if not email and not phone:
            detail = "; ".join(self._problem_text(code, value) for code, value in problems or ())
            message = self._text["row.no_contact"] + (f" {detail}" if detail else "")
            return None, [Issue(line, ERROR, "row.no_contact", message, row)]
        issues = [Issue(line, WARNING, code, self._problem_text(code, value) + " " + self._text["imported_without"],
                        row) for code, value in problems] if problems else []
        name, name_set = "", False
        if c.name is not None:
            name, name_set = row[c.name].strip(), True
            if len(name) > MAX_NAME:
                name = name[:MAX_NAME]
                issues.append(Issue(line, WARNING, "name.too_long", self._text["name.too_long"], row))
        clean = _SPECIAL("".join(row)) is None
        if clean:
            attributes = self._attr_template.format(*[row[i] for i in self._attr_index])
        else:
            attributes = json.dumps({key: row[i] for i, key in self.attributes}, ensure_ascii=False)
        staged = (line, external_id, name, name_set, email, email_norm, email_set, email_raw,
                  phone, phone_type, phone_set, phone_raw, attributes, clean)
        return staged, issues

    def duplicate(self, row: list[str], line: int, external_id: str, first_line: int) -> Issue:
        return Issue(line, ERROR, "row.duplicate_key", duplicate_message(external_id, first_line), row)

    def _problem_text(self, code: str, value: str) -> str:
        return self._text[code] % {"value": repr(value)}


def duplicate_message(external_id: str, first_line: int) -> str:
    return _("The customer number %(value)s already appeared on line %(line)d.") % {
        "value": repr(external_id), "line": first_line}

"""Row validation: one CSV record in, one staging tuple and/or issues out.

Codes (stable; messages are in the importing user's language):
  rejected  row.column_count, external_id.missing, external_id.too_long, row.no_contact,
            row.duplicate_key (found later, in SQL, see the writers)
  warnings  email.invalid, phone.invalid (the row is imported without that field), name.too_long
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..normalize import KNOWN_DOMAINS, LOCAL_PART, clean_email, domain_is_valid, normalize_external_id
from .headers import Columns
from .phones import DOMESTIC_TYPES, domestic_type, parse_phone

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


def _attributes_json(attributes: list[tuple[int, str]]):
    """``row -> '{"key": "value", ...}'`` for a row with nothing to escape, compiled for this header.

    One ``str.join`` over a tuple of the keys' JSON and the row's values costs about half of what
    %-formatting does, a third of str.format (both parse their template again for every row). The
    function is built as a syntax tree whose only inputs are constant strings and column numbers,
    never source text.
    """
    items: list[ast.expr] = []
    for n, (index, key) in enumerate(attributes):
        items.append(ast.Constant(("{" if n == 0 else '", ') + json.dumps(key, ensure_ascii=False) + ': "'))
        items.append(ast.Subscript(ast.Name("row", ast.Load()), ast.Constant(index), ast.Load()))
    items.append(ast.Constant('"}' if attributes else "{}"))
    join = ast.Call(ast.Attribute(ast.Constant(""), "join", ast.Load()), [ast.Tuple(items, ast.Load())], [])
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg("row")], kwonlyargs=[], kw_defaults=[], defaults=[])
    tree = ast.fix_missing_locations(ast.Expression(ast.Lambda(arguments, join)))
    return eval(compile(tree, "<attributes>", "eval"), {})  # noqa: S307 - a tree of constants, see above


class RowValidator:
    """``validate`` runs for every row of files with millions of them, so it is written for speed:
    the column plan is unpacked from one tuple, the common ASCII e-mail and domestic phone shapes are
    decided inline (``clean_email`` and ``parse_phone`` take the rest, with the same answers), and the
    attributes JSON of a row with nothing to escape comes from a function compiled for the header.
    """

    def __init__(self, columns: Columns, region: str) -> None:
        self.columns = columns
        self.width = len(columns.headers)
        self.region = region
        self.attributes = columns.attributes
        # A header with a quote, a backslash or a control character puts JSON escapes into every row's
        # attributes, which COPY would read as its own: then no row of the file counts as clean.
        self._plain_keys = all(_SPECIAL(key) is None for _, key in columns.attributes)
        self._plan = (self.width, columns.external_id, columns.email, columns.phone, columns.name, region == "JP",
                      _attributes_json(columns.attributes))
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
        width, external_index, email_index, phone_index, name_index, jp, attributes_json = self._plan
        if len(row) != width:
            return None, [Issue(line, ERROR, "row.column_count", self._text["column_count"] % {
                "expected": width, "found": len(row)}, row)]
        external_id = normalize_external_id(row[external_index])
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
                # clean_email's ASCII case, in the steps normalize.py describes.
                local, _at, domain = email_raw.partition("@")
                if (email_raw.isascii() and len(email_raw) <= 254 and (local.isalnum() or LOCAL_PART(local))
                        and (KNOWN_DOMAINS.get(domain) or domain_is_valid(domain))):
                    email, email_norm, email_set = email_raw, email_raw.lower(), True
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
                digits = phone_raw.replace("-", "")
                kind = ""
                if jp and digits.isascii() and digits.isdigit():  # parse_phone's commonest case, inline
                    try:
                        kind = DOMESTIC_TYPES[len(digits)][digits[:5]]
                    except KeyError:
                        kind = domestic_type(digits)
                    if kind:  # then digits starts with its one "0" to replace
                        phone, phone_type, phone_set = digits.replace("0", "+81", 1), kind, True
                if kind == "":
                    parsed = parse_phone(phone_raw, self.region)
                    if parsed is not None:
                        phone, phone_type, phone_set = parsed.e164, parsed.type, True
                if not phone_set:
                    problems = (problems or []) + [("phone.invalid", phone_raw)]
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
            attributes = attributes_json(row)
            # The customer number is NFKC-folded: a full-width ＼ or ＂ comes out as \ or " (and the
            # header's keys are part of the attributes JSON too).
            clean = "\\" not in external_id and '"' not in external_id and self._plain_keys
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

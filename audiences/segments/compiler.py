"""Compile segment rules to a ``Q`` over ``Recipient`` — ORM expressions only, never user SQL.

Rules::

    {"match": "all" | "any", "rules": [rule | group, ...]}
    rule = {"field": "list" | "external_id" | "name" | "email" | "phone" | "phone_type"
                     | "created_at" | "updated_at" | "attributes.<column>",
            "op": see OPS, "value": ...}

Attribute values are kept as text, exactly as imported (they are merge fields); number and date
comparisons read them through a guard, so "12,000" is a number, "" or "n/a" matches no comparison,
and dates are compared when written YYYY-MM-DD or YYYY/MM/DD. The dunning case:

    {"match": "all", "rules": [
        {"field": "attributes.unpaid_amount", "op": "gt", "value": 0},
        {"field": "attributes.due_date", "op": "within_days", "value": 3}]}
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.db.models import BooleanField, Case, Exists, F, FloatField, OuterRef, Q, TextField, Value, When
from django.db.models import lookups as L
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Replace
from django.utils import timezone

from ..models import Membership

TEXT_OPS = {"equals", "not_equals", "in", "not_in", "contains", "not_contains", "starts_with", "is_empty",
            "is_not_empty"}
NUMBER_OPS = {"gt", "gte", "lt", "lte"}
DATE_OPS = {"date_before", "date_after", "date_on_or_before", "date_on_or_after", "date_equals", "within_days"}
OPS = TEXT_OPS | NUMBER_OPS | DATE_OPS
FIELDS = {"external_id", "name", "email", "phone", "phone_type"}
DATE_FIELDS = {"created_at", "updated_at"}
MAX_RULES = 50
MAX_DEPTH = 4

_NUMBER = r"^ *-?[0-9][0-9,]*(\.[0-9]+)? *$"
_ATTRIBUTE_KEY = re.compile(r"[^\x00-\x1f\"\\]{1,100}")
_COMPARE = {"gt": L.GreaterThan, "gte": L.GreaterThanOrEqual, "lt": L.LessThan, "lte": L.LessThanOrEqual,
            "date_after": L.GreaterThan, "date_on_or_after": L.GreaterThanOrEqual, "date_before": L.LessThan,
            "date_on_or_before": L.LessThanOrEqual, "date_equals": L.Exact}


class SegmentError(ValueError):
    """An invalid rule; ``code`` is stable (``segment.unknown_field``, ``segment.bad_value``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text_values(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > 1000 or any(isinstance(v, (dict, list)) for v in values):
        raise SegmentError("segment.bad_value", "expected a value or a list of up to 1,000 values")
    return [str(v) for v in values]


def _number(value) -> float:
    try:
        return float(Decimal(str(value).replace(",", "").strip()))
    except (InvalidOperation, ValueError):
        raise SegmentError("segment.bad_value", f"{value!r} is not a number")


def _date(value) -> str:
    text = str(value).strip().replace("/", "-")
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise SegmentError("segment.bad_value", f"{value!r} is not a date (YYYY-MM-DD)")


def _days(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise SegmentError("segment.bad_value", f"{value!r} is not a whole number of days")
    if abs(days) > 3660:
        raise SegmentError("segment.bad_value", "at most 3,660 days")
    return days


def _window(days: int) -> tuple[str, str]:
    today = timezone.localdate()
    other = today + dt.timedelta(days=days)
    low, high = sorted((today, other))
    return low.isoformat(), high.isoformat()


def _text_rule(expr, op: str, value) -> Q:
    """``expr`` is a text expression (a column or an attribute)."""
    if op in {"is_empty", "is_not_empty"}:
        empty = Q(L.Exact(Coalesce(expr, Value(""), output_field=TextField()), ""))
        return empty if op == "is_empty" else ~empty
    if op in {"equals", "not_equals"}:
        q = Q(L.Exact(expr, _text_values(value)[0]))
    elif op in {"in", "not_in"}:
        q = Q(L.In(expr, _text_values(value)))
    elif op in {"contains", "not_contains"}:
        q = Q(L.IContains(expr, _text_values(value)[0]))
    elif op == "starts_with":
        q = Q(L.StartsWith(expr, _text_values(value)[0]))
    else:
        raise SegmentError("segment.unknown_op", f"{op!r} does not apply to text")
    # "not" also keeps rows where the value is missing: someone without a branch is not in branch X.
    return ~q | Q(L.IsNull(expr, True)) if op.startswith("not_") else q


def _t(text: str) -> Value:
    return Value(text, output_field=TextField())


class _Like(L.Lookup):
    """``lhs LIKE pattern`` with the pattern's wildcards kept (Django's lookups escape them)."""

    lookup_name = "aud_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


# Attribute values are text; these guards are chosen to be cheap per row because a segment count
# reads every recipient (a regex per value for numbers, LIKE and plain comparisons for dates).
def _number_expr(text):
    guarded = Case(When(L.Regex(text, _NUMBER), then=Replace(text, _t(","), _t(""), output_field=TextField())),
                   default=Value(None), output_field=TextField())
    return Cast(guarded, FloatField())


def _date_range(text, low: dt.date | None, high: dt.date | None) -> Q:
    """Dates written YYYY-MM-DD or YYYY/MM/DD (a time may follow) in [low, high), compared as text."""
    forms = []
    for sep in "-/":
        form = f"%Y{sep}%m{sep}%d"
        q = Q()
        if low is not None:
            q &= Q(L.GreaterThanOrEqual(text, low.strftime(form)))
        if high is not None:
            q &= Q(L.LessThan(text, high.strftime(form)))
        if low is None or high is None:  # a range closed on both sides only holds date-shaped text
            q = Q(_Like(text, f"____{sep}__{sep}__%")) & q
        forms.append(q)
    return forms[0] | forms[1]


def _date_bounds(op: str, value) -> tuple[dt.date | None, dt.date | None]:
    one = dt.timedelta(days=1)
    if op == "within_days":
        today = timezone.localdate()
        other = today + dt.timedelta(days=_days(value))
        return min(today, other), max(today, other) + one
    day = dt.date.fromisoformat(_date(value))
    if day >= dt.date.max - one:
        raise SegmentError("segment.bad_value", f"{value!r} is too far in the future")
    return {
        "date_before": (None, day), "date_after": (day + one, None), "date_on_or_before": (None, day + one),
        "date_on_or_after": (day, None), "date_equals": (day, day + one),
    }[op]


def _attribute_rule(key: str, op: str, value) -> Q:
    if not _ATTRIBUTE_KEY.fullmatch(key):
        raise SegmentError("segment.unknown_field", f"bad attribute name {key!r}")
    text = KeyTextTransform(key, "attributes")
    if op in NUMBER_OPS:
        return Q(_COMPARE[op](_number_expr(text), _number(value)))
    if op in DATE_OPS:
        return _date_range(text, *_date_bounds(op, value))
    return _text_rule(text, op, value)


def _e164_or_text(value: str) -> str:
    from ..imports.phones import parse_phone

    parsed = parse_phone(value)
    return parsed.e164 if parsed else value


def _field_rule(field: str, op: str, value) -> Q:
    if field == "email":
        expr = F("email_normalized")
        if op in TEXT_OPS and op not in {"is_empty", "is_not_empty"}:
            value = [str(v).strip().lower() for v in value] if isinstance(value, list) else str(value).strip().lower()
        return _text_rule(expr, op, value)
    if op not in TEXT_OPS:
        raise SegmentError("segment.unknown_op", f"{op!r} does not apply to {field}")
    if field == "phone" and op in {"equals", "not_equals", "in", "not_in"}:
        value = [_e164_or_text(v) for v in _text_values(value)]
    return _text_rule(F(field), op, value)


def _date_field_rule(field: str, op: str, value) -> Q:
    if op == "within_days":
        low, high = _window(_days(value))
        return Q(**{f"{field}__date__gte": low, f"{field}__date__lte": high})
    if op not in DATE_OPS:
        raise SegmentError("segment.unknown_op", f"{op!r} does not apply to {field}")
    lookup = {"date_before": "lt", "date_after": "gt", "date_on_or_before": "lte", "date_on_or_after": "gte",
              "date_equals": "exact"}[op]
    return Q(**{f"{field}__date__{lookup}": _date(value)})


def _list_rule(op: str, value) -> Q:
    try:
        ids = [int(v) for v in (value if isinstance(value, list) else [value])]
    except (TypeError, ValueError):
        raise SegmentError("segment.bad_value", "lists are given by id")
    member = Exists(Membership.objects.filter(recipient_id=OuterRef("pk"), audience_list_id__in=ids))
    if op in {"in", "equals"}:
        return Q(member)
    if op in {"not_in", "not_equals"}:
        return ~Q(member)
    raise SegmentError("segment.unknown_op", f"{op!r} does not apply to lists")


def _rule(rule: dict) -> Q:
    field, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    if not isinstance(field, str):
        raise SegmentError("segment.unknown_field", "each rule needs a field")
    if op not in OPS:
        raise SegmentError("segment.unknown_op", f"unknown operator {op!r}")
    if op not in {"is_empty", "is_not_empty"} and value in (None, "", []):
        raise SegmentError("segment.bad_value", f"{field} {op} needs a value")
    if field == "list":
        return _list_rule(op, value)
    if field.startswith("attributes."):
        return _attribute_rule(field[len("attributes."):], op, value)
    if field in FIELDS:
        return _field_rule(field, op, value)
    if field in DATE_FIELDS:
        return _date_field_rule(field, op, value)
    raise SegmentError("segment.unknown_field", f"unknown field {field!r}")


def _group(group: dict, depth: int, counter: list[int]) -> Q:
    if depth > MAX_DEPTH:
        raise SegmentError("segment.too_deep", f"groups nest at most {MAX_DEPTH} deep")
    match = group.get("match", "all")
    if match not in {"all", "any"}:
        raise SegmentError("segment.bad_match", "match is 'all' or 'any'")
    rules = group.get("rules", [])
    if not isinstance(rules, list):
        raise SegmentError("segment.bad_rules", "rules must be a list")
    combined, attribute_checks = Q(), []
    for item in rules:
        if not isinstance(item, dict):
            raise SegmentError("segment.bad_rules", "each rule is an object")
        counter[0] += 1
        if counter[0] > MAX_RULES:
            raise SegmentError("segment.too_many_rules", f"at most {MAX_RULES} rules")
        q = _group(item, depth + 1, counter) if "rules" in item else _rule(item)
        if match == "all" and str(item.get("field", "")).startswith("attributes."):
            attribute_checks.append((_RANK.get(item.get("op"), 2), len(attribute_checks), q))
        else:
            combined = (combined & q) if match == "all" else (combined | q)
    if attribute_checks:
        combined &= _in_order([q for _, _, q in sorted(attribute_checks, key=lambda c: c[:2])])
    return combined


# Attribute checks can use no index, so a count reads every row; PostgreSQL orders conditions by
# its own cost guess, which put a number's regex before a date range that rejects 99 % of rows.
# Chaining them in CASE WHEN fixes the order: cheap and selective first.
_RANK = dict.fromkeys(DATE_OPS, 0) | {"equals": 1, "in": 1, "is_empty": 1, "is_not_empty": 1}
_RANK |= dict.fromkeys(NUMBER_OPS, 3)


def _in_order(checks: list[Q]) -> Q:
    if len(checks) == 1:
        return checks[0]
    expr = Value(True)
    for q in reversed(checks):
        expr = Case(When(q, then=expr), default=Value(False), output_field=BooleanField())
    return Q(expr)


def compile_rules(rules: dict | None) -> Q:
    """A ``Q`` selecting the recipients the rules describe; an empty rule set selects everyone."""
    if not rules:
        return Q()
    if not isinstance(rules, dict):
        raise SegmentError("segment.bad_rules", "rules must be an object")
    return _group(rules, 1, [0])


def validate_rules(rules: dict | None) -> None:
    compile_rules(rules)


"""Message rendering: the filters people here need, strict merge fields, and template bombs refused."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaigns.rendering import MessageSource, RenderError, compile_message, jdate, recipient_context, sama, yen


def _render(body: str, **fields) -> str:
    return compile_message(MessageSource("sms", body=body)).render(recipient_context({"attributes": fields}))["body"]


@pytest.mark.parametrize(("value", "shown"), [
    (12345, "12,345円"), ("12345", "12,345円"), ("12,345", "12,345円"), (0, "0円"), ("1234.5", "1,235円"),
    (-500, "-500円"), (1234567890, "1,234,567,890円"),
])
def test_yen_formats_whole_yen_with_separators(value, shown):
    assert yen(value) == shown


@pytest.mark.parametrize("value", ["", "n/a", None, True, "NaN"])
def test_yen_refuses_what_is_not_an_amount(value):
    with pytest.raises(RenderError) as exc:
        yen(value)
    assert exc.value.code == "template.bad_value"


@pytest.mark.parametrize("value", [
    dt.date(2026, 11, 25), "2026-11-25", "2026/11/25", dt.datetime(2026, 11, 25, 10, 0),
    "2026-11-25T10:00:00+09:00",
    dt.datetime(2026, 11, 24, 15, 30, tzinfo=dt.UTC),  # 00:30 on the 25th in Tokyo
])
def test_jdate_writes_japanese_dates_in_the_local_zone(value):
    assert jdate(value) == "2026年11月25日"


def test_jdate_refuses_garbage():
    with pytest.raises(RenderError):
        jdate("next tuesday")


def test_sama_adds_the_honorific_once():
    assert sama("山田太郎") == "山田太郎様"
    assert sama(" 山田 太郎 ") == "山田 太郎様"
    assert sama("山田太郎様") == "山田太郎様"


def test_filters_work_inside_templates():
    body = "{{ name|sama }} ご請求額 {{ amount|yen }} 期限 {{ due|jdate }}"
    compiled = compile_message(MessageSource("sms", body=body))
    context = recipient_context({"name": "佐藤花子", "attributes": {"amount": "12345", "due": "2026-11-25"}})
    assert compiled.render(context)["body"] == "佐藤花子様 ご請求額 12,345円 期限 2026年11月25日"


def test_missing_merge_field_is_an_error_not_an_empty_string():
    with pytest.raises(RenderError) as exc:
        _render("残高 {{ amount|yen }}")
    assert exc.value.code == "template.undefined_field"
    assert exc.value.field == "amount"


def test_builtin_fields_win_over_attributes_of_the_same_name():
    context = recipient_context({"name": "本名", "attributes": {"name": "偽名", "plan": "A"}})
    assert compile_message(MessageSource("sms", body="{{ name }} {{ plan }}")).render(context)["body"] == "本名 A"


def test_fields_required_and_optional_are_known_at_compile_time():
    compiled = compile_message(MessageSource(
        "email", subject="{{ name }}", text="{{ amount }} {{ note|default('') }} {% if extra is defined %}"
        "{{ extra }}{% endif %}\n{{ unsubscribe_url }}"))
    assert compiled.fields == {"name", "amount", "note", "extra"}
    assert compiled.required_fields == {"name", "amount"}
    assert compiled.unsubscribe_parts == {"text"}


def test_html_bodies_are_escaped_and_text_bodies_are_not():
    source = MessageSource("email", subject="{{ name }}", text="{{ name }}", html="<p>{{ name }}</p>")
    compiled = compile_message(source)
    out = compiled.render(recipient_context({"name": "<b>A&B</b>"}))
    assert out["html"] == "<p>&lt;b&gt;A&amp;B&lt;/b&gt;</p>"
    assert out["text"] == "<b>A&B</b>"
    assert out["subject"] == "<b>A&B</b>"


def test_subject_lines_are_folded_to_one_line():
    out = compile_message(MessageSource("email", subject="a\n{{ x }}\r\nb", text="t")).render({"x": "X\nY"})
    assert out["subject"] == "a X Y b"


def test_a_template_is_compiled_once():
    source = MessageSource("sms", body="{{ name }}")
    assert compile_message(source) is compile_message(MessageSource("sms", body="{{ name }}"))


@pytest.mark.parametrize(("body", "code"), [
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "template.too_large"),
    ("{{ 'x' * 1000000000 }}", "template.too_large"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
     "template.too_large"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
     "template.too_large"),
    ("{% set ns = namespace(n=3) %}{% for i in range(60) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
     "template.too_large"),
    ("{{ 9 ** 64 ** 64 ** 64 ** 64 }}", "template.too_large"),
    ("{% set a %}{% for i in range(1000) %}" + "y" * 2000 + "{% endfor %}{% endset %}{{ a }}", "template.too_large"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "template.too_large"),
    ("{{ '{:>1000000000}'.format(1) }}", "template.forbidden"),
    ("{{ '%1000000000s' % 'x' }}", "template.forbidden"),
    ("{{ ''.__class__.__mro__ }}", "template.forbidden"),
])
def test_template_bombs_fail_fast_with_a_clear_error(body, code):
    started = time.monotonic()
    with pytest.raises(RenderError) as exc:
        _render(body)
    assert exc.value.code == code
    assert time.monotonic() - started < 5  # a guard against hanging, not a speed target


@pytest.mark.parametrize("body", [
    "{% include 'x' %}", "{% import 'x' as y %}", "{% extends 'x' %}", "{{ name|safe }}", "{{ name|random }}",
    "{{ name|center(9) }}", "{% autoescape false %}{{ name }}{% endautoescape %}",
    "{% for x in [1] recursive %}{{ loop([]) }}{% endfor %}", "{{ name ",
])
def test_constructs_that_break_previews_or_escaping_are_syntax_errors(body):
    with pytest.raises(RenderError) as exc:
        compile_message(MessageSource("sms", body=body))
    assert exc.value.code == "template.syntax"


def test_ordinary_loops_and_conditions_still_work():
    body = "{% for item in items.split(',') %}[{{ item|trim }}]{% endfor %}{% if vip == '1' %}VIP{% endif %}"
    assert _render(body, items="a, b,c", vip="1") == "[a][b][c]VIP"

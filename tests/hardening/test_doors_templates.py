"""Template bombs: refused on save when they can never compile, bounded by the sandbox when they run.

A nesting bomb or a giant source is refused by the page and the API with a code, a message and a log
line, and no template or version is written. A template that compiles but explodes at run time (huge
loops, huge output, a value that doubles itself) is stopped by the render budget within the time
limit, with a code; a log line says so once per template, not once per recipient.
"""

from __future__ import annotations

import logging
import time

import pytest

from campaigns.rendering import MessageSource, RenderError, compile_message
from campaigns.services import template_create

from .conftest import assert_nothing_written, logged, state

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

SAVE_BOMBS = {
    "deep-parentheses": ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "template.too_deep",
                         "The template nests too deeply to be compiled."),
    "deep-blocks": ("{% if 1 %}" * 200 + "x" + "{% endif %}" * 200, "template.too_deep",
                    "The template nests too deeply to be compiled."),
    "deep-lists": ("{{ " + "[" * 3000 + "]" * 3000 + " }}", "template.too_deep",
                   "The template nests too deeply to be compiled."),
    "long-chain": ("{{ " + " + ".join(["1"] * 20000) + " }}", "template.too_deep",
                   "The template nests too deeply to be compiled."),
    "huge-source": ("あ" * 200_001, "template.too_large", "The template is longer than 200,000 characters."),
}


@pytest.fixture
def operator(make_user, client):
    user = make_user("operator")
    client.force_login(user)
    return user


@pytest.mark.parametrize("door", ["ui", "api"])
@pytest.mark.parametrize("bomb", list(SAVE_BOMBS))
def test_a_template_that_can_never_compile_is_refused_on_save(door, bomb, client, operator, token_for, caplog):
    body, code, message = SAVE_BOMBS[bomb]
    token = token_for(operator)
    before = state()
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    if door == "ui":
        response = client.post("/campaigns/templates/new/", {"name": "bomb", "channel": "sms", "body": body}, **EN)
        assert response.status_code == 200  # the form again, with the error
        assert message in response.content.decode(), response.content.decode()[-3000:]
    else:
        response = client.post("/api/v1/templates", {"name": "bomb", "channel": "sms", "body": body},
                               content_type="application/json", headers={"Authorization": f"Bearer {token}"}, **EN)
        assert response.status_code == 400, response.content
        assert (response.json()["code"], response.json()["message"]) == (code, message)
    assert time.monotonic() - started < 30  # refused, not ground through
    assert logged(caplog, f"template refused ({code})")
    assert_nothing_written(before, state())


RUNTIME_BOMBS = {
    "huge-loop": ("{% for i in range(100000) %}x{% endfor %}", "template.too_large"),
    "nested-loops": ("{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
                     "template.too_large"),
    "huge-output": ("{{ 'x' * 1000000000 }}", "template.too_large"),
    "doubling": ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                 "{{ ns.s }}", "template.too_large"),
    "power": ("{{ 2 ** 64 ** 64 }}", "template.too_large"),
    "filter-width": ("{{ name|truncate(1000000000) }}", "template.too_large"),
}


@pytest.mark.parametrize("bomb", list(RUNTIME_BOMBS))
def test_a_template_that_explodes_at_run_time_is_stopped_by_the_sandbox(bomb, people_free_user, caplog, settings):
    body, code = RUNTIME_BOMBS[bomb]
    # It compiles, so it may be saved (a draft); it can never render.
    template = template_create(user=people_free_user, name=f"bomb {bomb}", channel="sms", body=body)
    assert template.versions.count() == 1
    caplog.set_level(logging.WARNING)
    compiled = compile_message(MessageSource(channel="sms", body=body))
    started = time.monotonic()
    for _ in range(3):  # three recipients of a batch: three refusals, one log line
        with pytest.raises(RenderError) as exc:
            compiled.render({"name": "山田"})
        assert exc.value.code == code
    assert time.monotonic() - started < 3 * settings.RENDER_TIMEOUT_MS / 1000 + 5
    lines = [r for r in caplog.records if "template render stopped by the sandbox" in r.getMessage()]
    assert len(lines) == 1 and code in lines[0].getMessage()


def test_a_slow_template_is_stopped_by_the_render_time_limit(settings, caplog):
    # Under the iteration and size caps, but slow: the deadline stops it (1 ms here, so any machine is "slow").
    settings.RENDER_TIMEOUT_MS = 1
    body = "{% for i in range(900) %}{{ ('あ' * 200)|upper|lower|upper|lower|trim|length }}{% endfor %}{# slow #}"
    caplog.set_level(logging.WARNING)
    compiled = compile_message(MessageSource(channel="sms", body=body))
    with pytest.raises(RenderError) as exc:
        compiled.render({})
    assert (exc.value.code, exc.value.message) == (
        "template.too_slow", "The template takes too long to render (limit exceeded).")
    assert logged(caplog, "template render stopped by the sandbox (template.too_slow)")


@pytest.fixture
def people_free_user(make_user):
    return make_user("operator")

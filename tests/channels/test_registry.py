"""The adapter registry and the in-memory adapter."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels.adapters import BACKENDS, get_adapter, memory
from channels.adapters.base import Adapter, OutgoingMessage, SendResult
from channels.adapters.memory import MemoryAdapter
from channels.checks import startup_errors


def _msg(to="a@example.jp", i=1):
    return OutgoingMessage(message_id=f"m{i}", channel="email", to=to, subject="s", text="t")


def test_every_registered_backend_imports_and_is_an_adapter():
    from django.utils.module_loading import import_string

    for channel, backends in BACKENDS.items():
        for name, path in backends.items():
            assert issubclass(import_string(path), Adapter), (channel, name)


def test_the_settings_choose_the_backend(settings):
    settings.EMAIL_SETTINGS = {"backend": "memory"}
    settings.SMS_BACKEND = "memory"
    adapter = get_adapter("email")
    assert isinstance(adapter, MemoryAdapter) and (adapter.channel, adapter.name) == ("email", "memory")
    assert isinstance(get_adapter("sms"), MemoryAdapter)


def test_an_unknown_backend_names_the_variable(settings):
    settings.SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="SMS_BACKEND"):
        get_adapter("sms")
    assert any("SMS_BACKEND='carrier-pigeon'" in e for e in startup_errors())


def test_twilio_without_credentials_is_a_startup_error(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM = ""
    assert startup_errors() == ["TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM: required when SMS_BACKEND=twilio"]


def test_a_short_dkim_key_is_a_startup_error(settings, short_dkim_key_file):
    settings.DKIM_DOMAIN, settings.DKIM_SELECTOR, settings.DKIM_PRIVATE_KEY_FILE = "a.jp", "s", short_dkim_key_file
    [error] = startup_errors()
    assert "1024 bits" in error and "2048" in error


def test_the_memory_adapter_keeps_messages_and_can_be_scripted():
    memory.fail_for("bad@example.jp", code="smtp.5.1.1", permanent=True, suppression="hard_bounce")
    memory.fail_for("flaky@example.jp", code="smtp.4.4.1", times=1)
    with MemoryAdapter() as adapter:
        results = adapter.send_many([_msg("ok@example.jp", 1), _msg("bad@example.jp", 2), _msg("flaky@example.jp", 3)])
        again = adapter.send_many([_msg("flaky@example.jp", 4)])
    assert [r.ok for r in results] == [True, False, False]
    assert (results[1].permanent, results[1].suppression) == (True, "hard_bounce")
    assert results[2].transient
    assert again[0].ok
    assert [m.to for m in memory.sent("email")] == ["ok@example.jp", "flaky@example.jp"]


def test_an_adapter_bug_becomes_a_transient_result_not_an_exception():
    class Broken(Adapter):
        def _send_one(self, message):
            raise RuntimeError("boom")

    [result] = Broken().send_many([_msg()])
    assert isinstance(result, SendResult)
    assert (result.ok, result.transient, result.error_code) == (False, True, "adapter.error")

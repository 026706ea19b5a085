"""RFC 2920 pipelining: with a server that advertises PIPELINING, MAIL/RCPT/DATA go in one write and
every outcome is the same as without it."""

from __future__ import annotations

import email
from email import policy

from tests.channels.test_smtp_adapter import _adapter, _message


def test_it_pipelines_when_the_server_offers_it(smtp_pipelining_sink, smtp_sink):
    with _adapter(smtp_pipelining_sink) as adapter:
        assert adapter._pipelining is True
        results = adapter.send_many([_message(i) for i in range(1, 6)])
    assert [r.provider_id for r in results] == [f"Q{i:05d}" for i in range(1, 6)]
    assert [m.rcpt_tos for m in smtp_pipelining_sink.messages] == [[f"user{i}@example.jp"] for i in range(1, 6)]
    assert smtp_pipelining_sink.handler.sessions == 1
    with _adapter(smtp_sink) as adapter:
        assert adapter._pipelining is False


def test_a_line_starting_with_a_dot_arrives_intact(smtp_pipelining_sink):
    text = "一行目\n.二行目はドットで始まる\n.\n最後\n"
    with _adapter(smtp_pipelining_sink) as adapter:
        [result] = adapter.send_many([_message(1, text=text, html="")])
    assert result.ok
    received = email.message_from_bytes(smtp_pipelining_sink.messages[0].data, policy=policy.default)
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == text


def test_an_unknown_mailbox_is_a_hard_bounce_and_the_session_goes_on(smtp_pipelining_sink):
    smtp_pipelining_sink.handler.rcpt_replies["user2@example.jp"] = "550 5.1.1 <user2@example.jp>: unknown"
    with _adapter(smtp_pipelining_sink) as adapter:
        results = adapter.send_many([_message(1), _message(2), _message(3)])
    assert [r.ok for r in results] == [True, False, True]
    assert (results[1].error_code, results[1].permanent, results[1].suppression) == ("smtp.5.1.1", True, "hard_bounce")
    assert [m.rcpt_tos for m in smtp_pipelining_sink.messages] == [["user1@example.jp"], ["user3@example.jp"]]


def test_a_4xx_recipient_reply_is_transient(smtp_pipelining_sink):
    smtp_pipelining_sink.handler.rcpt_replies["user1@example.jp"] = "452 4.2.2 Mailbox full"
    with _adapter(smtp_pipelining_sink) as adapter:
        [result] = adapter.send_many([_message(1)])
    assert (result.ok, result.transient, result.error_code) == (False, True, "smtp.4.2.2")


def test_a_refused_message_body_is_reported_at_the_data_stage(smtp_pipelining_sink):
    smtp_pipelining_sink.handler.data_reply = "554 5.6.0 Message content rejected"
    with _adapter(smtp_pipelining_sink) as adapter:
        [result] = adapter.send_many([_message(1)])
    assert (result.ok, result.permanent, result.details["stage"]) == (False, True, "data")


def test_a_dropped_connection_fails_only_the_message_in_flight(smtp_pipelining_sink):
    smtp_pipelining_sink.handler.close_after = 2
    with _adapter(smtp_pipelining_sink) as adapter:
        results = adapter.send_many([_message(i) for i in range(1, 5)])
    # As without pipelining: #2 was accepted but its reply never read, so it is transient (a resend
    # carries the same Message-ID); the rest go out over a new session.
    assert [r.ok for r in results] == [True, False, True, True]
    assert results[1].transient and results[1].error_code.startswith("network.")
    assert smtp_pipelining_sink.handler.sessions == 2

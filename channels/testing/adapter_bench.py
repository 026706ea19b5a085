"""Adapter micro-benchmarks: the email builder (vs email.message.EmailMessage), DKIM signing, and
Twilio adapter throughput over one keep-alive connection to the local stand-in.

    DEBUG=1 python -m channels.testing.adapter_bench          # last line: one JSON object
"""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notify_console.settings")


def _per_message_us(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    import django

    django.setup()
    from email.message import EmailMessage

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from channels.adapters.base import OutgoingMessage
    from channels.adapters.twilio import TwilioAdapter
    from channels.mail.builder import MailOptions, build
    from channels.mail.dkim import DkimSigner
    from channels.testing.twilio_standin import TwilioStandIn

    text = "山田 太郎 様\n\n2026年11月分のご請求金額が確定しました。\nご請求額: 3,210円\n" * 4
    html = "<p>" + text.replace("\n", "<br>") + "</p>"

    def message(i: int) -> OutgoingMessage:
        return OutgoingMessage(message_id=f"d{i}", channel="email", to=f"user{i}@example.jp",
                               from_="お知らせ <news@example.jp>", subject="【重要】ご請求金額確定のお知らせ",
                               text=text, html=html, list_unsubscribe_url=f"https://n.example.jp/u/{i}",
                               list_unsubscribe_mailto=f"mailto:u+{i}@example.jp")

    plain = MailOptions(default_from="news@example.jp", bounce_address="bounces@example.jp")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    signed = MailOptions(default_from="news@example.jp", signer=DkimSigner.from_pem("example.jp", "s", pem))

    def stdlib(i: int) -> bytes:
        m = EmailMessage()
        m["From"], m["To"] = "お知らせ <news@example.jp>", f"user{i}@example.jp"
        m["Subject"] = "【重要】ご請求金額確定のお知らせ"
        m["Message-ID"] = f"<d{i}@example.jp>"
        m.set_content(text)
        m.add_alternative(html, subtype="html")
        return m.as_bytes()

    result = {
        "builder_us": round(_per_message_us(lambda i: build(message(i), plain), 5000), 1),
        "builder_dkim_us": round(_per_message_us(lambda i: build(message(i), signed), 500), 1),
        "email_message_us": round(_per_message_us(stdlib, 1000), 1),
    }
    with TwilioStandIn(keep_bodies=False) as standin:
        adapter = TwilioAdapter(account_sid=standin.account_sid, auth_token=standin.auth_token, from_="+815000000000",
                                api_base=standin.api_base, callback_base="https://n.example.jp/h?mid=")
        sms = [OutgoingMessage(message_id=f"s{i}", channel="sms", to=f"+8190{i:08d}", text="【お知らせ】テスト")
               for i in range(3000)]
        start = time.perf_counter()
        with adapter:
            ok = sum(r.ok for r in adapter.send_many(sms))
        result["twilio_one_connection_per_s"] = round(ok / (time.perf_counter() - start))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

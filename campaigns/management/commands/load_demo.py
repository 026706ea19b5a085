"""``manage.py load_demo``: everything a newcomer needs to walk the whole journey in the embedded default.

Creates (idempotently — running it again changes nothing and prints the same passwords):
  users          demo-operator, demo-approver, demo-auditor, demo-admin (random passwords, kept in
                 VAR_DIR/demo_passwords.json, printed at the end)
  recipients     300 customers with Japanese names in the list "デモ顧客", merge fields (amount, due date,
                 branch); a few without an email address, ten with a landline instead of a mobile
  suppressions   three opt-outs and a hard bounce; marketing consent for two thirds of the customers;
                 an exclusion list "デモ: 交渉中" with two customer numbers
  segments       "デモ: 全顧客" and "デモ: 東京支店"
  senders        an email sender with the 特定電子メール法 details and an SMS sender id
  templates      an email notice, an SMS payment reminder, a marketing email
  campaigns      three drafts (email notice, SMS reminder, marketing email) ready to submit

Refuses to run with DEBUG off unless ``--force``: demo users with printed passwords do not belong on a
production system.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audiences.models import AudienceList, Consent, ExclusionList, Membership, Recipient, Segment
from audiences.services import exclusion_entries_add, exclusion_list_create, segment_create, suppression_add
from audit.services import record
from campaigns.models import Campaign, Sender, Template
from campaigns.permissions import grant_approve_permission
from campaigns.services import campaign_create, template_create
from notify_console.roles import ADMIN, APPROVER, AUDITOR, OPERATOR

USERS = {"demo-operator": OPERATOR, "demo-approver": APPROVER, "demo-auditor": AUDITOR, "demo-admin": ADMIN}
LIST_NAME = "デモ顧客"
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木",
            "山口", "松本", "井上", "木村", "林", "斎藤", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "陽子", "大輔", "由美", "翔太", "恵", "直樹", "さくら", "拓也",
         "愛", "誠", "真由美", "亮", "結衣", "隆", "彩"]
BRANCHES = ["東京支店", "大阪支店", "名古屋支店", "福岡支店", "札幌支店"]
EMAIL_NOTICE = ("{{ name|sama }}\n\nいつもデモ銀行をご利用いただきありがとうございます。\n"
                "{{ due|jdate }}のお引き落とし予定額は{{ amount|yen }}です。\n"
                "ご入金口座の残高をご確認ください。\n\n{{ branch }}")
SMS_REMINDER = ("{{ name|sama }} デモ銀行です。{{ due|jdate }}期限のお支払い{{ amount|yen }}が"
                "未確認です。ご確認ください。")
MARKETING = ("{{ name|sama }}\n\n冬の定期預金キャンペーンのご案内です。\n金利上乗せは12月末まで。\n\n"
             "今後のご案内が不要な方はこちら: {{ unsubscribe_url }}\n")


class Command(BaseCommand):
    help = "Load demo users, customers, segments, templates and draft campaigns (embedded mode)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")
        parser.add_argument("--recipients", type=int, default=300)

    def handle(self, *args, force: bool, recipients: int, **options):
        if not settings.DEBUG and not force:
            raise CommandError("load_demo is for the embedded demo (DEBUG=1); use --force to run it anyway.")
        passwords = self._users()
        with transaction.atomic():
            operator = get_user_model().objects.get(username="demo-operator")
            created = self._data(operator, recipients)
        self.stdout.write(self.style.SUCCESS("Demo data " + ("loaded." if created else "already there.")))
        for username, password in passwords.items():
            self.stdout.write(f"  {USERS[username]:<9} user: {username:<14} password: {password}")
        self.stdout.write(f"Open http://127.0.0.1:{settings.PORT}/ and follow 'The demo walk' in the README.")

    # -- users -----------------------------------------------------------------------------------
    def _users(self) -> dict[str, str]:
        path = settings.VAR_DIR / "demo_passwords.json"
        stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        User = get_user_model()
        grant_approve_permission()
        for username, role in USERS.items():
            password = stored.get(username) or secrets.token_urlsafe(12)
            stored[username] = password
            user = User.objects.filter(username=username).first() or User(username=username)
            if user.pk is None or not user.check_password(password):
                user.set_password(password)
            user.is_staff = user.is_superuser = role == ADMIN
            user.is_active = True
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
        path.write_text(json.dumps(stored, indent=2), encoding="utf-8")
        path.chmod(0o600)
        return stored

    # -- data ------------------------------------------------------------------------------------
    def _data(self, operator, count: int) -> bool:
        if AudienceList.objects.filter(name=LIST_NAME).exists():
            return False
        audience = AudienceList.objects.create(name=LIST_NAME, description="load_demo", created_by="load_demo")
        people = self._recipients(audience, count)
        actor = "system:load_demo"
        for person in people[5:8]:
            suppression_add(channel="email", address=person.email, reason="opt_out", source="demo", actor=actor)
        suppression_add(channel="email", address=people[8].email, reason="hard_bounce", source="demo", actor=actor)
        suppression_add(channel="sms", address=people[9].phone, reason="opt_out", source="demo:停止", actor=actor)
        now = dt.datetime.now(dt.UTC)
        Consent.objects.bulk_create([
            Consent(recipient=p, channel="email", granted_at=now - dt.timedelta(days=30),
                    source="デモ: Web申込フォーム", created_by=actor,
                    wording="キャンペーン等のご案内メールの受け取りに同意します。")
            for i, p in enumerate(people) if i % 3 != 0
        ])
        excluded = exclusion_list_create(name="デモ: 交渉中", user=operator)
        exclusion_entries_add(exclusion_list=excluded, external_ids=[people[10].external_id, people[11].external_id],
                              reason="返済条件を交渉中", user=operator)
        everyone = segment_create(name="デモ: 全顧客", user=operator, rules={
            "match": "all", "rules": [{"field": "list", "op": "in", "value": [audience.pk]}]})
        segment_create(name="デモ: 東京支店", user=operator, rules={"match": "all", "rules": [
            {"field": "list", "op": "in", "value": [audience.pk]},
            {"field": "attributes.branch", "op": "equals", "value": "東京支店"}]})
        email_sender, sms_sender = self._senders()
        notice = template_create(user=operator, name="デモ: お引き落としのお知らせ", channel="email",
                                 subject="【デモ銀行】お引き落とし予定額のお知らせ", text=EMAIL_NOTICE)
        reminder = template_create(user=operator, name="デモ: お支払い確認SMS", channel="sms", body=SMS_REMINDER)
        marketing = template_create(user=operator, name="デモ: 冬の定期預金キャンペーン", channel="email",
                                    subject="【デモ銀行】冬の定期預金キャンペーンのご案内", text=MARKETING)
        self._campaigns(operator, everyone, excluded, email_sender, sms_sender, notice, reminder, marketing)
        record(action="demo.loaded", actor=actor, details={"recipients": len(people), "list": audience.pk})
        return True

    def _recipients(self, audience: AudienceList, count: int) -> list[Recipient]:
        people = []
        for i in range(count):
            name = f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[(i * 7) % len(GIVEN)]}"
            email = "" if i % 50 == 49 else f"demo{i:04d}@example.jp"
            landline = i % 30 == 29
            phone = f"+8136{i:07d}"[:12] if landline else f"+8190{1000 + i // 10000:04d}{i % 10000:04d}"
            due = dt.date(2026, 12, 1) + dt.timedelta(days=i % 25)
            people.append(Recipient(
                external_id=f"DEMO-{i + 1:05d}", name=name, email=email, email_normalized=email.lower(),
                phone=phone, phone_type="fixed_line" if landline else "mobile",
                attributes={"amount": str(3000 + (i * 137) % 97000), "due": due.isoformat(),
                            "branch": BRANCHES[i % len(BRANCHES)]},
            ))
        Recipient.objects.bulk_create(people, batch_size=1000)
        people = list(Recipient.objects.filter(external_id__startswith="DEMO-").order_by("id"))
        Membership.objects.bulk_create([Membership(audience_list=audience, recipient=p) for p in people],
                                       batch_size=1000, ignore_conflicts=True)
        return people

    def _senders(self) -> tuple[Sender, Sender]:
        email, _ = Sender.objects.get_or_create(
            channel="email", name="デモ銀行", from_email="info@bank.example.jp",
            defaults={"postal_address": "東京都千代田区丸の内1-1-1 デモビル",
                      "contact": "0120-000-000（平日9時〜17時）"})
        sms, _ = Sender.objects.get_or_create(channel="sms", name="デモ銀行", sms_sender_id="DemoBank")
        return email, sms

    def _campaigns(self, operator, segment: Segment, excluded: ExclusionList, email_sender, sms_sender,
                   notice: Template, reminder: Template, marketing: Template) -> None:
        if Campaign.objects.filter(name__startswith="デモ:").exists():
            return
        # Notices and marketing may go out at any hour in the demo; the collection SMS keeps 08:00–21:00
        # (Asia/Tokyo) as the law wants, so late in the evening it waits for the morning.
        anytime = {"window_start_hour": 0, "window_end_hour": 24}
        campaign_create(user=operator, name="デモ: 12月お引き落としのお知らせ", purpose="notice", template=notice,
                        segment=segment, sender=email_sender, exclusion_list=excluded, throttle_per_s=20,
                        test_addresses=["qa@bank.example.jp"], **anytime)
        campaign_create(user=operator, name="デモ: お支払い確認SMS", purpose="collection", template=reminder,
                        segment=segment, sender=sms_sender, exclusion_list=excluded, throttle_per_s=10,
                        pilot_percentage=10, test_addresses=["+819000000000"])
        campaign_create(user=operator, name="デモ: 冬の定期預金キャンペーン", purpose="marketing", template=marketing,
                        segment=segment, sender=email_sender, throttle_per_s=20, **anytime)

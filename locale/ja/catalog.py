# Japanese for every UI string (msgid → msgstr); scripts/translate_ja.py writes them into django.po.
JA = {
    "Dashboard": "ダッシュボード",
    "Audit log": "監査ログ",
    "Users and settings": "ユーザーと設定",
    "Action": "操作",
    "Actor": "実行者",
    "Campaign": "キャンペーン",
    "Filter": "絞り込み",
    "When": "日時",
    "Object": "対象",
    "Outcome": "結果",
    "IP address": "IPアドレス",
    "No events match.": "該当するイベントはありません。",
    "Older": "古いもの",
    "Notify Console": "Notify Console",
    "Main": "メイン",
    "Language": "言語",
    "Change": "変更",
    "Sign out": "ログアウト",
    "Signed in as %(name)s.": "%(name)s としてログイン中。",
    "Roles": "ロール",
    "You have no role yet; ask an administrator.": "ロールが割り当てられていません。管理者に依頼してください。",
    "Sign in": "ログイン",
    "User name": "ユーザー名",
    "Password": "パスワード",
    "Too many failed sign-ins. This account is locked for %(minutes)s minutes; try again later.":
        "ログインの失敗が続いたため、このアカウントは%(minutes)s分間ロックされています。しばらくしてから再度お試しください。",
}
JA.update({
    "Not allowed": "アクセスできません",
    "Your role does not allow this page. Ask an administrator if you need it.":
        "このページはあなたのロールでは利用できません。必要な場合は管理者に依頼してください。",
    "Back to the dashboard": "ダッシュボードへ戻る",
})
JA.update({
    "Recipients": "受信者",
    "Imports": "インポート",
    "Segments": "セグメント",
    "Suppressions": "配信停止リスト",
    "Templates": "テンプレート",
    "Campaigns": "キャンペーン",
    "Approval queue": "承認待ち",
    "Dev outbox": "開発用送信箱",
    "Send log": "配信ログ",
    "Integrity": "改ざん検知",
})

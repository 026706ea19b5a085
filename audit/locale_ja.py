"""Japanese for the audit app's strings (merged into locale/ja by scripts/translate_ja.py)."""

JA = {
    # search
    "Audit log": "監査ログ",
    "Audit event": "監査イベント",
    "From": "開始日",
    "To": "終了日",
    "Campaign": "キャンペーン",
    "Recipient": "受信者",
    "customer number, e-mail or phone": "顧客番号・メールアドレス・電話番号",
    "Actor": "操作者",
    "Action": "操作",
    "Outcome": "結果",
    "Filter": "絞り込む",
    "Clear": "クリア",
    "When": "日時",
    "Object": "対象",
    "Address": "宛先",
    "IP address": "IPアドレス",
    "User agent": "ユーザーエージェント",
    "Channel": "チャネル",
    "Details": "詳細",
    "Seal": "封印",
    "Not sealed yet": "未封印",
    "Sealed by seal #%(id)s (events %(first)s–%(last)s)": "封印 #%(id)s（イベント %(first)s–%(last)s）で封印済み",
    "No events match.": "該当するイベントはありません。",
    "Older": "古い順へ",
    "Newest": "最新へ",
    "Export what matches": "該当分をエクスポート",
    "Export manifest (JSON)": "エクスポートのマニフェスト（JSON）",
    "Dates are calendar days in %(time_zone)s, both included. An action ending in \".\" or \"*\" matches every "
    "action that starts with it.":
        "日付は %(time_zone)s の暦日で、開始日・終了日を含みます。「.」または「*」で終わる操作は、その文字列で始まる"
        "すべての操作に一致します。",
    "%(name)s: expected a date such as 2026-04-01": "%(name)s：2026-04-01 のような日付を入力してください",
    "%(name)s: expected a whole number": "%(name)s：整数を入力してください",
    "The end date is before the start date.": "終了日が開始日より前です。",
    "Unknown export format %(value)s.": "不明なエクスポート形式です：%(value)s",
    "Unknown encoding %(value)s.": "不明な文字コードです：%(value)s",
    "Unknown export %(value)s.": "不明なエクスポート種別です：%(value)s",
    "JSON Lines are always UTF-8.": "JSON Lines は常に UTF-8 です。",
    # integrity
    "Integrity": "改ざん検知",
    "Integrity of the audit log": "監査ログの完全性",
    "THE AUDIT LOG DOES NOT VERIFY": "監査ログの検証に失敗しました",
    "Seal #%(id)s (events %(first)s–%(last)s) no longer matches the events it sealed.":
        "封印 #%(id)s（イベント %(first)s–%(last)s）が、封印したイベントと一致しません。",
    "Events in or after that range may have been changed, removed or inserted behind the database's back. "
    "Keep this database as it is and tell your security officer.":
        "この範囲以降のイベントが、データベースの保護を迂回して変更・削除・挿入された可能性があります。"
        "データベースをこのまま保全し、情報セキュリティ責任者に報告してください。",
    "The sealed chain verifies": "封印チェーンは正しく検証されました",
    "Verified up to seal #%(id)s (event %(last)s).": "封印 #%(id)s（イベント %(last)s）まで検証済み。",
    "Not verified yet": "まだ検証されていません",
    "Last verification": "最終検証",
    "Newest seal": "最新の封印",
    "up to event %(last)s": "イベント %(last)s まで",
    "Seals": "封印数",
    "added since the last verification: %(n)s": "前回の検証以降の追加：%(n)s 件",
    "Events not sealed yet": "未封印のイベント",
    "Retention": "保存期間",
    "Audit events: %(events)s days, never deleted by the application. Recipients' personal data: "
    "%(recipients)s days after their last activity.":
        "監査イベント：%(events)s 日（アプリケーションが削除することはありません）。受信者の個人データ：最終利用から "
        "%(recipients)s 日。",
    "Verify now": "今すぐ検証",
    "Verification recomputes every seal over every event; the command line does the same: python manage.py "
    "verify_audit":
        "検証はすべてのイベントについてすべての封印を再計算します。コマンドラインでも同じことができます："
        "python manage.py verify_audit",
    "Verification started. Its verdict appears here when it finishes.":
        "検証を開始しました。完了するとここに結果が表示されます。",
    # send log
    "Send log": "配信ログ",
    "Status": "ステータス",
    "Customer number": "顧客番号",
    "Attempts": "試行回数",
    "Error": "エラー",
    "Sent at": "送信日時",
    "Status history": "ステータス履歴",
    "No deliveries match.": "該当する配信はありません。",
    "No events yet": "イベントはまだありません",
    "The period is when the delivery was created (days in the configured time zone, both included).":
        "期間は配信が作成された日です（設定されたタイムゾーンの暦日、開始日・終了日を含む）。",
    "Delivery": "配信",
    "all events": "すべてのイベント",
    "Provider id": "事業者側ID",
    "Created at": "作成日時",
    "Campaign record": "キャンペーン記録",
    "State": "状態",
    "Purpose": "目的",
    "Template": "テンプレート",
    "Content hash": "内容ハッシュ",
    "Submitted at": "申請日時",
    "Approvals required": "必要な承認数",
    "Started": "開始",
    "Completed": "完了",
    "Deliveries": "配信",
    "Approvals": "承認",
    "Approver": "承認者",
    "Decision": "判断",
    "Content hash seen": "承認者が見た内容ハッシュ",
    "Comment": "コメント",
    "Voided": "無効化",
    "No approval decisions.": "承認の判断はまだありません。",
    "Lifecycle": "ライフサイクル",
    "Every audit event of this campaign": "このキャンペーンのすべての監査イベント",
    "Deliveries and their status history": "配信とステータス履歴",
    "Export the deliveries": "配信をエクスポート",
}

"""Japanese for the channels app's UI strings (merged by scripts/translate_ja.py)."""

JA = {
    "Dev outbox": "開発用送信箱",
    "Messages the development outbox kept instead of sending. Nothing here left this machine.":
        "開発用送信箱が送信せずに保管したメッセージです。ここにあるものはこのマシンの外へ出ていません。",
    "Channel": "チャネル",
    "All channels": "すべてのチャネル",
    "Email": "メール",
    "SMS": "SMS",
    "Filter": "絞り込み",
    "Recipient address": "宛先",
    "Subject or text": "件名または本文",
    "SMS segments": "SMS分割数",
    "Message ID": "メッセージID",
    "The outbox is empty.": "送信箱は空です。",
    "SMS as the recipient sees it": "受信者の画面に表示されるSMS",
    "Sender": "送信元",
    "SMS segments: %(segments)s": "SMS分割数: %(segments)s",
    "%(n)s characters": "%(n)s 文字",
    "Longer than the carriers accept": "携帯電話会社の上限を超える長さです",
    "(no subject)": "（件名なし）",
    "Sender address": "差出人",
    "Envelope": "エンベロープ",
    "HTML": "HTML",
    "HTML version": "HTML版",
    "Plain text": "テキスト",
    "Message headers": "ヘッダー",
}

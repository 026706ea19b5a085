# Japanese for preflight's link findings and the template-bomb refusals (campaigns/services/templates.py).
JA = {
    "Links must use https: %(link)s": "リンクは https にしてください: %(link)s",
    "This kind of link is not allowed in a message: %(link)s": "この種類のリンクはメッセージに使えません: %(link)s",
    "A link's domain comes from a merge field (%(link)s), so it cannot be checked before sending; write the domain "
    "in the template.":
        "リンクのドメインが差し込み項目から作られるため（%(link)s）、配信前に確認できません。"
        "ドメインはテンプレートに直接書いてください。",
    "The template nests too deeply to be compiled.": "テンプレートの入れ子が深すぎるため、コンパイルできません。",
    "The template is longer than %(limit)s characters.": "テンプレートが %(limit)s 文字を超えています。",
}

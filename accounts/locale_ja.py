"""Japanese for the sign-in, lockout and two-step verification strings (see scripts/translate_ja.py)."""

JA = {
    # notify_console/auth.py, accounts/views.py, accounts/middleware.py
    "Too many failed sign-ins. Signing in is paused for %(minutes)s minutes; try again later.":
        "ログインの失敗が続いたため、%(minutes)s分間ログインを停止しています。しばらくしてからお試しください。",
    "Too many failed sign-ins. Signing in is paused for a while; try again later.":
        "ログインの失敗が続いたため、ログインを一時停止しています。しばらくしてからお試しください。",
    "Your session has ended. Please sign in again.": "セッションの有効期限が切れました。もう一度ログインしてください。",
    "You used a recovery code. %(left)s codes are left.": "リカバリーコードを使用しました。残りは%(left)s個です。",
    "Two-step verification is off.": "2段階認証をオフにしました。",
    # accounts/mfa.py
    "That code is not valid. Check the time on your phone and try again.":
        "コードが正しくありません。スマートフォンの時刻を確認して、もう一度入力してください。",
    "That code was already used. Wait for the next code.":
        "このコードは使用済みです。次のコードが表示されるまでお待ちください。",
    "The authenticator cannot be read; ask an administrator to reset it.":
        "認証アプリの設定を読み取れません。管理者にリセットを依頼してください。",
    # templates/registration/mfa_*.html, navigation
    "Two-step verification": "2段階認証",
    "Code": "コード",
    "Enter the 6-digit code from your authenticator app, or one of your recovery codes.":
        "認証アプリに表示される6桁のコード、またはリカバリーコードを入力してください。",
    "Verify": "確認",
    "Cancel and sign out": "中止してログアウト",
    "Recovery codes": "リカバリーコード",
    "Each code lets you sign in once without your phone. Print them or keep them in a safe place: they are "
    "shown only now.":
        "各コードで、スマートフォンなしで1回ログインできます。印刷するか安全な場所に保管してください。"
        "表示されるのは今回限りです。",
    "I have saved them — continue": "保管しました — 続ける",
    "Your role requires a second factor. Set up an authenticator app to finish signing in.":
        "あなたのロールでは2段階認証が必須です。認証アプリを設定してログインを完了してください。",
    "Scan this QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, IIJ SmartKey, …).":
        "認証アプリ（Google Authenticator、Microsoft Authenticator、IIJ SmartKey など）で"
        "このQRコードを読み取ってください。",
    "Or enter this key by hand:": "または、このキーを手入力してください：",
    "Setup link": "設定用リンク",
    "Enter the 6-digit code the app shows to confirm.": "アプリに表示された6桁のコードを入力して確認してください。",
    "Confirm": "確認",
    "On since %(when)s. Recovery codes left: %(codes_left)s.":
        "%(when)sから有効です。リカバリーコードの残り：%(codes_left)s個。",
    "Current code": "現在のコード",
    "New recovery codes": "リカバリーコードを再発行",
    "Turn off two-step verification": "2段階認証をオフにする",
    "Two-step verification is off. With it on, signing in needs your password and a code from your phone.":
        "2段階認証はオフです。オンにすると、ログインにパスワードとスマートフォンのコードが必要になります。",
    "Set up an authenticator app": "認証アプリを設定する",
    # templates/registration/password_change.html
    "Change password": "パスワード変更",
    "Your password has been changed.": "パスワードを変更しました。",
    "At least %(n)s characters; not a common password, not only digits, not like your name.":
        "%(n)s文字以上で、よく使われるパスワード・数字だけ・名前に似たものは使えません。",
    "An authenticator is already set up. Turn it off with a current code before setting up another.":
        "認証アプリはすでに設定されています。別のものを設定するには、現在のコードで一度オフにしてください。",
}

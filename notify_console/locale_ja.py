# Japanese for the request guards (notify_console/request_limits.py, redirects.py).
JA = {
    "The request's Content-Length is not valid.": "リクエストの Content-Length が正しくありません。",
    "The request is %(size)s; the limit here is %(limit)s.":
        "リクエストが %(size)s あります。ここでの上限は %(limit)s です。",
    "The multipart body has no valid boundary; send it as multipart/form-data.":
        "multipart の本文に正しい boundary がありません。multipart/form-data として送ってください。",
    "The form data could not be read (%(reason)s).": "フォームのデータを読み取れませんでした（%(reason)s）。",
    "The field %(field)s contains a NUL byte (\\0), which no text may contain.":
        "フィールド %(field)s に NUL バイト（\\0）が含まれています。テキストには使えません。",
    "Back": "戻る",
}

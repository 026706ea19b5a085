# Japanese for the import door's refusals (audiences/imports/sniff.py, the upload views and API).
JA = {
    'This is not a CSV file: it looks like a %(kind)s. Save the sheet as "CSV UTF-8" and upload that.':
        "CSV ファイルではありません（%(kind)s のようです）。シートを「CSV UTF-8」で保存してアップロードしてください。",
    "Line %(line)s contains a NUL byte (\\0): this is not a text CSV file.":
        "%(line)s 行目に NUL バイト（\\0）があります。テキストの CSV ファイルではありません。",
    "Line %(line)s is longer than %(limit)s KB: this is not a CSV export (or it has no line breaks).":
        "%(line)s 行目が %(limit)s KB を超えています。CSV の書き出しではないか、改行がありません。",
    'Send the CSV file in the multipart field "file".':
        "CSV ファイルを multipart のフィールド「file」で送ってください。",
    "PNG image": "PNG 画像",
    "JPEG image": "JPEG 画像",
    "GIF image": "GIF 画像",
    "PDF document": "PDF 文書",
    "ZIP archive": "ZIP アーカイブ",
    "Excel workbook (.xlsx)": "Excel ブック（.xlsx）",
    "Excel 97-2003 workbook (.xls)": "Excel 97-2003 ブック（.xls）",
    "gzip archive": "gzip アーカイブ",
    "7-Zip archive": "7-Zip アーカイブ",
    "RAR archive": "RAR アーカイブ",
    "program": "プログラム",
    "UTF-16 text": "UTF-16 テキスト",
    "UTF-32 text": "UTF-32 テキスト",
}

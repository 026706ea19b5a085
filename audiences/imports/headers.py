"""Which column is which: English and Japanese header names, matched case-insensitively."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .detect import FileProblem

ALIASES = {
    "external_id": ("external_id", "customer_id", "顧客番号", "会員番号"),
    "name": ("name", "氏名", "名前"),
    "email": ("email", "メールアドレス", "メール"),
    "phone": ("phone", "mobile", "電話番号", "携帯番号", "携帯電話番号"),
}


def _key(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


_LOOKUP = {_key(alias): role for role, aliases in ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class Columns:
    headers: list[str]
    external_id: int
    name: int | None
    email: int | None
    phone: int | None
    attributes: list[tuple[int, str]]  # (index, attribute name as written)


def map_columns(headers: list[str]) -> Columns:
    if not headers or not any(h.strip() for h in headers):
        raise FileProblem("file.no_header", "The first line must name the columns.")
    roles: dict[str, int] = {}
    attributes: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, raw in enumerate(headers):
        name = raw.lstrip("\ufeff").strip()
        role = _LOOKUP.get(_key(name))
        if role and role not in roles:
            roles[role] = index
            continue
        if not name:
            name = f"column_{index + 1}"
        if name in seen:
            raise FileProblem("file.duplicate_column", f"The column {name!r} appears twice.")
        seen.add(name)
        attributes.append((index, name))
    if "external_id" not in roles:
        raise FileProblem(
            "file.no_external_id_column", "No customer number column (external_id, customer_id, 顧客番号, 会員番号)."
        )
    if "email" not in roles and "phone" not in roles:
        raise FileProblem(
            "file.no_contact_column", "No e-mail or phone column (email, メールアドレス, phone, 電話番号...)."
        )
    return Columns(
        headers=[h.lstrip("\ufeff") for h in headers],
        external_id=roles["external_id"],
        name=roles.get("name"),
        email=roles.get("email"),
        phone=roles.get("phone"),
        attributes=attributes,
    )

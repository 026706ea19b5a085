from __future__ import annotations

import itertools

from audiences.models import Recipient

_ids = itertools.count(1)


def recipient(**fields) -> Recipient:
    n = next(_ids)
    fields.setdefault("external_id", f"X{n:06d}")
    fields.setdefault("name", f"Recipient {n}")
    fields.setdefault("email", f"r{n}@example.jp")
    if "phone" not in fields:
        fields["phone"] = f"+819012{n:06d}"
        fields.setdefault("phone_type", "mobile")
    return Recipient.objects.create(**fields)

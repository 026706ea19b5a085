"""Spreadsheet formula neutralisation for every CSV the product writes (audit exports, import error reports).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may be run as a formula
when the file is opened in Excel or LibreOffice (CSV injection, OWASP). Such a cell gets a single quote
in front: spreadsheets show the text as it was, and a reader of the raw file sees that one character
was added. Only text cells written to CSV are neutralised; JSON Lines keep values as recorded.

Depends on nothing, so any app may import it (``from audit.csv_safety import neutralise``).
``sql_neutralise`` is the same rule as an SQL expression for PostgreSQL ``COPY`` and SQLite; a test
holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"


def neutralise(value: Any) -> Any:
    """``value`` with a leading quote when it is text that starts like a formula; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADERS):
        return PREFIX + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in values]


def sql_neutralise(expression: str, vendor: str) -> str:
    """SQL for ``neutralise(<expression>)`` where ``expression`` is a text-valued SQL expression.

    Compares the first character's code (``ascii()`` / ``unicode()``), which costs a fraction of
    ``left(…, 1) IN (…)`` over millions of rows.
    """
    first = {"postgresql": "ascii", "sqlite": "unicode"}.get(vendor)
    if first is None:
        raise NotImplementedError(f"formula neutralisation in SQL for {vendor}")
    codes = ", ".join(str(ord(leader)) for leader in FORMULA_LEADERS)
    quote = "'" + PREFIX.replace("'", "''") + "'"
    return f"(CASE WHEN {first}({expression}) IN ({codes}) THEN {quote} || {expression} ELSE {expression} END)"

"""Formula neutralisation: one rule in Python, the same rule in SQL for the database-side export."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.csv_safety import FORMULA_LEADERS, neutralise, neutralise_row, sql_neutralise

SAMPLES = ["=1+1", "+81 90 1234 5678", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "", "'=already", " =1", "＝1", "a=b"]


@pytest.mark.parametrize("leader", FORMULA_LEADERS)
def test_it_quotes_each_formula_leader(leader):
    assert neutralise(f"{leader}HYPERLINK(\"http://evil\")") == f"'{leader}HYPERLINK(\"http://evil\")"


def test_the_six_leaders_are_the_ones_the_issue_names():
    assert set(FORMULA_LEADERS) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("value", ["plain", "", " =1", "a=b", "'=x", "日本語", "＝1"])
def test_it_leaves_other_text_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [None, 5, -5, 1.5])
def test_it_leaves_non_text_alone(value):
    assert neutralise(value) == value


def test_neutralise_row_applies_to_every_cell():
    assert neutralise_row(["=a", 1, "b", "-c"]) == ["'=a", 1, "b", "'-c"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", SAMPLES)
def test_the_sql_rule_gives_the_python_answer(value):
    with connection.cursor() as cursor:
        expression = sql_neutralise("v", connection.vendor)
        cursor.execute(f"SELECT {expression} FROM (SELECT CAST(%s AS TEXT) AS v) AS sample", [value])
        assert cursor.fetchone()[0] == neutralise(value)

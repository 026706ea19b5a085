"""An operator keeps an exclusion list in Chromium: creates it, pastes a column of customer numbers
(one full-width), removes one after the confirmation, and finds the list on the campaign form."""

from __future__ import annotations

import pytest

from audiences.models import ExclusionList
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_keeps_an_exclusion_list(live_server, page, make_user, screenshot):
    make_user("operator", username="sousa")
    sign_in(page, live_server.url, "sousa", PASSWORD)
    page.click("nav.mainnav a[data-nav='audiences:exclusions']")
    page.fill("#exclusion-create input[name=name]", "係争中")
    page.click("#exclusion-create button[type=submit]")
    page.wait_for_selector("#exclusion-add")
    page.fill("#exclusion-add textarea[name=external_ids]", "C001\nＣ００２\nC003\n")
    page.fill("#exclusion-add input[name=reason]", "訴訟")
    page.click("#exclusion-add button[type=submit]")
    page.wait_for_selector("#exclusion-entries tbody tr >> nth=2")
    assert page.inner_text("#exclusion-size") == "このリストの顧客番号: 3 件"
    assert "C002" in page.inner_text("#exclusion-entries")  # folded as the import folds it
    screenshot("pasted")

    remove = "#exclusion-entries tr:has-text('C002') button"
    page.once("dialog", lambda dialog: dialog.dismiss())  # changed their mind: nothing happens
    page.click(remove)
    assert page.locator("#exclusion-entries tbody tr").count() == 3
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(remove)
    page.wait_for_function("document.querySelectorAll('#exclusion-entries tbody tr').length === 2")
    assert page.inner_text("#exclusion-size") == "このリストの顧客番号: 2 件"
    assert sorted(ExclusionList.objects.get().entries.values_list("external_id", flat=True)) == ["C001", "C003"]

    page.goto(f"{live_server.url}/campaigns/new/")
    assert "係争中" in page.inner_text("select[name=exclusion_list]")

"""Sidebar filters and bookmarks, as a user drives them in a real browser (issue 5 and 8).

The bundled cohort has 21 patients, 14 of them Child-Pugh A (data/README.md); the numbers below
come from that file through the sidebar's contract text ``n = 14 of 21 patients``.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

ARMS = {"IMRT", "IMRT+TACE"}


def _signature(curves: list[dict]) -> list[tuple]:
    return [(c["name"], c["n"], round(c["sum"], 9), c["last"]) for c in curves]


def test_child_pugh_filter_changes_the_count_and_the_km_curve(app):
    app.goto("km")
    assert app.n_text() == (21, 21)
    before = app.km_curves()
    assert len(before) == 1, f"expected one unstratified KM curve, got {before}"

    app.multiselect_pick("Child-Pugh class", "A")
    app.screenshot("km_child_pugh_A")
    assert not app.problems(), app.problems()
    assert app.n_text() == (14, 21)
    after = app.km_curves()
    assert len(after) == 1
    # A different cohort, a different curve: fewer steps and a different shape.
    assert _signature(after) != _signature(before)
    assert after[0]["n"] <= before[0]["n"]
    # The filter is written to the URL, so the view can be bookmarked.
    assert "child_pugh=A" in app.page.url

    app.multiselect_remove("Child-Pugh class", "A")
    assert app.n_text() == (21, 21)
    assert _signature(app.km_curves()) == _signature(before)
    assert "child_pugh" not in app.page.url


def test_km_url_with_filter_and_stratification_shows_one_curve_per_arm(app):
    app.goto("km?child_pugh=A&by=treatment")
    app.screenshot("km_bookmark_child_pugh_A_by_treatment")
    assert not app.problems(), app.problems()
    assert app.n_text() == (14, 21)
    curves = app.km_curves()
    assert {c["name"] for c in curves} == ARMS, curves
    assert len(curves) == 2
    # The restored filter is visible in the widget, not only applied.
    chip = app.sidebar.get_by_role("button", name="Remove A", exact=True)
    assert chip.count() == 1


def test_a_bookmarked_url_restores_its_filters_in_a_new_session(app, app_factory):
    app.goto("km")
    app.multiselect_pick("Child-Pugh class", "A")
    app.radio_choose("PVTT", "no", where=app.sidebar)
    n_set = app.n_text()
    assert n_set[1] == 21 and n_set[0] < 14
    curves_set = _signature(app.km_curves())
    url = app.page.url
    assert "child_pugh=A" in url and "pvtt=no" in url

    other = app_factory()
    other.goto(url.split("/", 3)[3])
    other.screenshot("km_bookmark_restored")
    assert not other.problems(), other.problems()
    assert other.n_text() == n_set
    assert _signature(other.km_curves()) == curves_set
    assert other.sidebar.get_by_role("button", name="Remove A", exact=True).count() == 1
    pvtt = other.sidebar.get_by_role("radiogroup", name="PVTT")
    assert pvtt.get_by_role("radio", name="no").is_checked()


def test_an_invalid_url_value_warns_and_is_ignored(app):
    app.goto("km?child_pugh=Z&kps=banana")
    assert not app.problems(), app.problems()
    assert app.n_text() == (21, 21)
    warnings = app.sidebar.locator('[data-testid="stAlertContentWarning"]').all_inner_texts()
    assert any("child_pugh" in w for w in warnings), warnings
    assert any("kps" in w for w in warnings), warnings

"""Every page of the app opens in a real browser without an exception (issue 2, 5, 8)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

# The url paths of the contract (issue 5), in the router's order.
PAGES = ("cohort", "km", "univariate", "cox", "response", "reproduce", "data", "models", "about")


def test_the_router_serves_every_contract_page():
    tree = ast.parse((Path(__file__).resolve().parents[2] / "app.py").read_text())
    paths = tuple(
        ast.literal_eval(kw.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page"
        for kw in node.keywords
        if kw.arg == "url_path"
    )
    # Every contract path is served (the router may add aliases, e.g. the default page's).
    assert set(PAGES) <= set(paths), sorted(set(PAGES) - set(paths))


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_exception(app, path):
    app.goto(path)
    app.screenshot(f"page_{path}")
    problems = app.problems()
    assert not problems, f"/{path}: " + "\n".join(problems)
    # The page rendered something of its own beyond the navigation.
    assert app.main_text().strip(), f"/{path} rendered an empty main area"


def test_root_serves_the_cohort_page_with_the_patient_count(app):
    app.goto("")
    app.screenshot("page_root")
    assert not app.problems()
    main = app.main_text()
    # The bundled cohort: 21 patients, shown on the default (cohort) page as a metric.
    assert "Cohort" in app.page.locator("h1").first.inner_text()
    metric = app.page.locator('[data-testid="stMetric"]').filter(has_text="Patients loaded")
    assert metric.count() == 1, f"no 'Patients loaded' metric on '/':\n{main[:600]}"
    assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == "21"
    assert app.page.url.rstrip("/").endswith(str(app.server.port)) or "cohort" in app.page.url
    # The sidebar's always-visible count (issue 5).
    assert app.n_text() == (21, 21)

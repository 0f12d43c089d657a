"""A cohort of another disease in a real browser: the server's cohort (HCCDASH_DATA with its
codebook) and an SPSS upload that survives a reload. Its own names everywhere, no word of
the bundled paper. Screenshots: tests/e2e/artifacts/other_disease_*.png."""

from __future__ import annotations

import re

import pytest
from e2e_harness import ARTIFACTS, ROOT, StreamlitServer, new_app

pytestmark = pytest.mark.e2e

PUBLIC = ROOT / "tests" / "data" / "public"
PAPER = re.compile(r"IMRT|TACE|Child[- ]?Pugh|the paper|PVTT|Luo et al|hepatocellular", re.I)


@pytest.fixture
def gbsg2_server(monkeypatch):
    monkeypatch.setenv("HCCDASH_DATA", str(PUBLIC / "gbsg2.csv"))
    monkeypatch.setenv("HCCDASH_CODEBOOK", str(PUBLIC / "gbsg2.codebook.json"))
    server = StreamlitServer(log_path=ARTIFACTS / "streamlit_gbsg2.log")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def test_server_cohort_of_another_disease_on_every_page(browser, gbsg2_server):
    app, context = new_app(browser, gbsg2_server)
    try:
        app.goto("")
        app.goto("km?by=horTh")
        app.screenshot("other_disease_km")
        assert not app.problems(), app.problems()
        assert app.n_text() == (686, 686)
        text = app.main_text() + app.sidebar.inner_text()
        assert "Recurrence-free survival" in text and "RFS events: 299" in text
        # R: survdiff(Surv(time, cens) ~ horTh): chisq 8.5648 (grids are canvas: the
        # medians are checked against R in tests/test_other_disease.py)
        assert "Log-rank test: chi-square = 8.56, df = 1, p = 0.003" in text
        assert not PAPER.findall(text), PAPER.findall(text)
        assert len(app.km_curves()) == 2
        assert "Reproduce the paper" not in app.nav_titles()
        for title in ("Cohort", "Univariate", "Cox model"):
            app.navigate(title)
            slug = re.sub(r"[^a-z]+", "_", title.lower()).strip("_")
            app.screenshot(f"other_disease_{slug}")
            assert not app.problems(), f"{title}: {app.problems()}"
            text = app.main_text() + app.sidebar.inner_text()
            assert not PAPER.findall(text), (title, PAPER.findall(text))
        # The codebook's treatment role sits on horTh: a sidebar filter under its own label,
        # its URL key the column's name (R: 246 patients with hormonal therapy).
        app.goto("km?horTh=yes")
        app.screenshot("other_disease_role_filter")
        assert app.n_text() == (246, 686)
        assert "Hormonal therapy" in app.sidebar.inner_text()
    finally:
        context.close()
    # The same file served in place (DuckDB reads the CSV; HCCDASH_IN_MEMORY_ROWS below its
    # 686 rows): the KM page's n and test from SQL equal the in-memory page's above.
    served = StreamlitServer(
        log_path=ARTIFACTS / "streamlit_gbsg2_served.log", env={"HCCDASH_IN_MEMORY_ROWS": "100"}
    )
    try:
        served.wait_healthy()
        app, context = new_app(browser, served)
        app.goto("km?by=horTh")
        app.screenshot("other_disease_km_served")
        assert not app.problems(), app.problems()
        assert app.n_text() == (686, 686) and len(app.km_curves()) == 2
        assert "Log-rank test: chi-square = 8.56, df = 1, p = 0.003" in app.main_text()
        app.goto("km?horTh=yes")
        assert app.n_text() == (246, 686)
        # the Cox page above the limit: fitted on the engine, the journal table and the
        # forest plot as in memory (the numbers: tests/test_page_served_cox.py)
        app.goto("cox?tsize=10-45")
        app.screenshot("other_disease_cox_served")
        assert not app.problems(), app.problems()
        assert app.n_text() == (603, 686)
        text = app.main_text()
        assert "Fitted on the engine: 603 patients match the filters" in text, text[:1500]
        assert "0.59 (0.45–0.77)" in text and "Global tests" in text
        assert "needs every patient's row in memory" not in text
        context.close()
    finally:
        served.stop()


def test_spss_upload_reads_its_labels_and_survives_a_reload(app):
    app.goto("data")
    app.rerun(
        lambda: app.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(PUBLIC / "gbsg2.sav")
        )
    )
    assert not app.problems(), app.problems()
    assert "look like days" in app.main_text()
    fix = app.page.get_by_role("button", name=re.compile(r"Read the times as days"))
    app.rerun(fix.click)
    app.screenshot("other_disease_data_sav")
    assert "look like days" not in app.main_text()
    confirm = app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
    app.rerun(confirm.click)
    app.wait_n((686, 686))
    url = app.page.url
    assert re.search(r"[?&]data=[\w-]{30,}", url), url
    app.page.reload(wait_until="domcontentloaded")
    app.wait_n((686, 686))
    app.navigate("Univariate")
    app.screenshot("other_disease_sav_univariate")
    text = app.main_text()
    # the first factor's curves (the SPSS file's first factor, Hormonal therapy; the table
    # is a canvas grid, see the screenshot): R's survdiff chisq 8.5648
    assert "Log-rank test: chi-square = 8.56, df = 1, p = 0.003" in text, text[:1500]
    assert not PAPER.findall(text), PAPER.findall(text)

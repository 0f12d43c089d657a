"""Journal tables and the one-click report in a real browser at 1280 px (issue 14).

Screenshots of each page's tables (bundled cohort and the VA lung cancer trial uploaded as a
cohort of another disease) and of the PDF report's pages (pdftoppm) go to the artifacts.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest
from e2e_harness import ARTIFACTS

pytestmark = pytest.mark.e2e

WIDTH = 1280
PAGES = {"cohort": "Cohort", "univariate": "Univariate", "cox": "Cox model", "km": "Kaplan-Meier"}
PAGES["response"] = "Response & toxicity"
BAD = re.compile(r"\b(None|nan|NaN)\b")

# Every st.table: how far its content is wider than its box (0 = nothing clipped or hidden).
_OVERFLOW_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stTable"]')).map(t => {
  const inner = t.querySelector('table');
  return inner ? Math.max(0, inner.scrollWidth - t.clientWidth) : 0;
})
"""


def _tables_fit(app) -> list[int]:
    return app.page.evaluate(_OVERFLOW_JS)


def _table_text(app) -> str:
    return "\n".join(t.inner_text() for t in app.page.locator('[data-testid="stTable"]').all())


def test_tables_fit_1280_px_on_every_page(app):
    app.page.set_viewport_size({"width": WIDTH, "height": 900})
    for slug in PAGES:
        app.goto(slug)
        app.wait_rendered()
        tables = app.page.locator('[data-testid="stTable"]')
        tables.first.wait_for(timeout=60_000)
        assert tables.count() >= 1, (slug, app.main_text()[:800])
        assert not any(_tables_fit(app)), (slug, _tables_fit(app))
        text = _table_text(app)
        assert not BAD.search(text), (slug, BAD.findall(text))
        app.screenshot(f"tables_{slug}_1280")
        assert not app.problems(), app.problems()


def _veterans_csv(path) -> None:
    from sksurv.datasets import load_veterans_lung_cancer

    x, y = load_veterans_lung_cancer()
    pd.DataFrame(
        {
            "patient_id": [f"V{i:03d}" for i in range(len(x))],
            "treatment": x["Treatment"].astype(str),
            "celltype": x["Celltype"].astype(str),
            "prior_therapy": x["Prior_therapy"].astype(str),
            "karnofsky_score": x["Karnofsky_score"],
            "age_years": x["Age_in_years"],
            "os_months": (y["Survival_in_days"] / 30.4375).round(2),
            "os_event": y["Status"].astype(int),
        }
    ).to_csv(path, index=False)


def test_tables_of_another_disease(app, tmp_path):
    csv = tmp_path / "veterans_lung.csv"
    _veterans_csv(csv)
    app.page.set_viewport_size({"width": WIDTH, "height": 900})
    app.goto("data")
    app.rerun(
        lambda: app.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(csv)
        )
    )
    confirm = app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
    assert confirm.count() == 1, app.main_text()[:1500]
    app.rerun(confirm.click)
    app.wait_n((137, 137))
    for slug in ("Cohort", "Univariate", "Cox model"):
        app.navigate(slug)
        app.wait_rendered()
        assert not any(_tables_fit(app)), (slug, _tables_fit(app))
        text = _table_text(app)
        assert not BAD.search(text), (slug, BAD.findall(text))
        assert "Celltype" in text or slug == "Cox model"
        app.screenshot(f"tables_veterans_{re.sub(r'[^a-z]+', '_', slug.lower())}")
        assert not app.problems(), app.problems()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_pdf_report_of_two_pages(app, tmp_path):
    app.page.set_viewport_size({"width": WIDTH, "height": 900})
    app.goto("cohort")
    app.navigate("Univariate")
    app.wait_rendered()
    app.page.get_by_text("Report (Word, PDF) and table style").click()
    app.multiselect_pick(
        "Sections (pages visited in this session, each as last shown)",
        "Cohort and baseline characteristics",
    )
    app.screenshot("report_box_univariate")
    button = app.page.get_by_role("button", name=re.compile(r"Report \(PDF\)"))
    with app.page.expect_download(timeout=180_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "hccdash_report.pdf"
    pdf = tmp_path / "report.pdf"
    download.save_as(str(pdf))
    assert pdf.read_bytes()[:4] == b"%PDF"
    if shutil.which("pdftoppm") is None:
        return
    for old in ARTIFACTS.glob("report_pdf-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "report_pdf")], check=True
    )
    pages = sorted(ARTIFACTS.glob("report_pdf-*.png"))
    assert len(pages) >= 2
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Table 1. Baseline characteristics" in text
        assert "Table 2. Univariate analysis" in text
        assert "Figure 1." in text
        assert not BAD.search(text), BAD.findall(text)

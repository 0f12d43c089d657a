"""Issue 18 in a real browser: the subgroup forest on the bundled HCC cohort, and weighted
KM / IPW on R's pbc (primary biliary cholangitis) uploaded as a CSV. Screenshots go to
tests/e2e/artifacts/ (cox_extras_*.png)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

PBC = Path(__file__).resolve().parents[1] / "reference" / "cox_ext" / "data" / "pbc.csv"


def _type_choose(app, label: str, option: str) -> None:
    """Choose in a selectbox by typing (the option list of a box low on the page may open
    out of reach of a click)."""
    box = app.page.get_by_role("combobox", name=re.compile(rf"^{re.escape(label)}")).first

    def act():
        box.click()
        app.page.keyboard.type(option)
        app.page.keyboard.press("Enter")

    app.rerun(act)


def test_subgroup_forest_on_the_bundled_cohort(app):
    app.goto("cox")
    # lazy tabs: opening one reruns the page and builds that tab only
    app.rerun(app.page.get_by_role("tab", name="Subgroup forest").click)
    app.selectbox_choose("Treatment (two arms)", "Combination therapy (IMRT+TACE)")
    app.multiselect_pick("Subgroups", "Child-Pugh class")
    app.screenshot("cox_extras_subgroup_bundled")
    assert not app.problems(), app.problems()
    text = app.main_text()
    assert "p interaction" in text or "p_interaction" in text, text[-1500:]


def test_weighted_km_and_ipw_on_an_uploaded_pbc_cohort(app, tmp_path):
    d = pd.read_csv(PBC)
    csv = tmp_path / "pbc.csv"
    pd.DataFrame(
        {
            "patient_id": [f"PBC{i:03d}" for i in d["id"]],
            "os_months": np.round(d["time"] / 30.4375, 2),
            "os_event": d["death"],
            "arm": np.where(d["treated"] == 1, "D-penicillamine", "placebo"),
            "sex": d["sex"],
            "age": np.round(d["age"], 1),
            "albumin": d["albumin"],
            "ipw": np.round(d["ipw"], 4),
        }
    ).to_csv(csv, index=False)
    app.goto("data")
    app.rerun(
        lambda: app.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(csv)
        )
    )
    confirm = app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
    assert confirm.count() == 1, app.main_text()[:1500]
    app.rerun(confirm.click)
    app.wait_n((312, 312))
    app.navigate("Kaplan-Meier")
    app.rerun(app.page.get_by_text("Delayed entry and weights").click)  # lazy: builds it
    app.screenshot("cox_extras_km_expander_pbc")
    _type_choose(app, "Weights column", "ipw")
    _type_choose(app, "Group", "arm")  # the arm column, labelled as the file names it
    app.screenshot("cox_extras_weighted_km_pbc")
    assert not app.problems(), app.problems()
    assert "weighted" in app.main_text()
    app.navigate("Cox model")
    # an upload has no default model (its codebook names none): choose the covariate first
    app.multiselect_pick("Covariates", "arm")
    app.rerun(app.page.get_by_role("tab", name="Weighting (IPW)").click)
    _type_choose(app, "Treated vs control (two levels)", "arm")
    app.multiselect_pick("Propensity covariates", "age")
    app.multiselect_pick("Propensity covariates", "albumin")
    app.screenshot("cox_extras_ipw_pbc")
    assert not app.problems(), app.problems()
    assert "Propensity scores" in app.main_text()
    # predicted curves of the model (arm) stratified by sex: one baseline per stratum
    app.rerun(app.page.get_by_role("tab", name="Adjusted curves").click)
    _type_choose(app, "Curves for", "arm")
    _type_choose(app, "Stratify by", "sex")
    app.screenshot("cox_extras_predicted_strata_pbc")
    assert not app.problems(), app.problems()
    assert "stratified by sex" in app.main_text()

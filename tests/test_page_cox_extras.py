"""AppTest of the Cox and KM page sections of issue 18: the numbers shown are hccdash's.

Cohort: R's ``pbc`` (primary biliary cholangitis, the 312 randomised), another disease than
the bundled HCC cohort, loaded as an uploaded cohort (time in months).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash.cox import cox_fit
from hccdash.coxext.adjusted import cox_survfit_strata
from hccdash.coxext.counting import km_counting
from hccdash.coxext.profiles import covariate_profiles
from hccdash.coxext.subgroup import subgroup_hr
from hccdash.schema import Cohort
from hccdash.ui.state import UPLOADED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
REF = Path(__file__).parent / "reference" / "cox_ext" / "data"


def pbc_cohort() -> pd.DataFrame:
    d = pd.read_csv(REF / "pbc.csv")
    return pd.DataFrame(
        {
            "patient_id": [f"PBC{i:03d}" for i in d["id"]],
            "os_months": d["time"] / 30.4375,
            "os_event": d["death"],
            "arm": np.where(d["treated"] == 1, "D-penicillamine", "placebo"),
            "sex": d["sex"],
            "age": d["age"],
            "albumin": d["albumin"],
            "edema": d["edema"].astype(str),
            "ipw": d["ipw"],
        }
    )


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[UPLOADED_KEY] = Cohort("pbc", pbc_cohort(), "pbc.csv")
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_tab(at: AppTest, label: str) -> None:
    """Open a "More models" tab (lazy tabs: only the open one is built)."""
    at.session_state["coxx_view"] = label
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def frames_with(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


@pytest.fixture(scope="module")
def cox_page() -> AppTest:
    at = open_page("cox")
    at.multiselect(key="cox_covariates").set_value(["age", "albumin"]).run()
    return at


def test_stratified_weighted_model_shows_robust_se(cox_page):
    at = cox_page
    at.selectbox(key="coxx_strata").set_value("edema")
    at.selectbox(key="coxx_weights").set_value("ipw").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = frames_with(at, "robust_se")
    assert shown, "no term table with robust SE"
    fit = cox_fit(pbc_cohort(), "os_months", "os_event", ["age", "albumin"], strata="edema",
                  weights="ipw")  # fmt: skip
    np.testing.assert_allclose(shown[0]["coef"], [t.coef for t in fit.terms], rtol=1e-9)
    np.testing.assert_allclose(shown[0]["robust_se"], [t.robust_se for t in fit.terms], rtol=1e-9)
    tests = [d for d in frames_with(at, "test") if "Robust score" in d["test"].tolist()]
    assert tests and tests[0]["chisq"].iloc[3] == pytest.approx(fit.robust_score.chisq, rel=1e-9)


def test_extended_model_shows_weighted_concordance(cox_page):
    at = cox_page  # strata = edema, weights = ipw from the test above
    fit = cox_fit(pbc_cohort(), "os_months", "os_event", ["age", "albumin"], strata="edema",
                  weights="ipw")  # fmt: skip
    shown = [m.value for m in at.metric if m.label == "Concordance (C)"]
    assert f"{fit.concordance:.3f}" in shown


def test_predicted_curves_per_stratum_are_hccdash(cox_page):
    """The "Curves for" profiles (albumin quartiles, age at its median) on the baseline of
    each edema stratum: the table is cox_survfit_strata's (R-checked in
    test_coxext_adjusted_strata)."""
    at = cox_page
    open_tab(at, "Adjusted curves")
    at.selectbox(key="coxx_pred_vary").set_value("albumin")
    at.selectbox(key="coxx_pred_strata").set_value("edema").run()
    assert not at.exception, [e.message for e in at.exception]
    d = pbc_cohort()
    nd, names = covariate_profiles(d, ["age", "albumin"], "albumin")
    ref = cox_survfit_strata(d, "os_months", "os_event", ["age", "albumin"], nd,
                             strata="edema", labels=names).to_frame()  # fmt: skip
    shown = [f for f in frames_with(at, "stratum") if "std_err" in f.columns]
    assert shown and shown[0]["stratum"].unique().tolist() == ["0.0", "0.5", "1.0"]
    np.testing.assert_allclose(shown[0]["surv"], ref["surv"], rtol=1e-9)
    np.testing.assert_allclose(shown[0]["upper"], ref["upper"], rtol=1e-9, equal_nan=True)
    prof = frames_with(at, "curve")
    assert any(p["albumin"].tolist() == nd["albumin"].tolist() for p in prof)


def test_subgroup_forest_numbers(cox_page):
    at = cox_page
    open_tab(at, "Subgroup forest")
    at.selectbox(key="coxx_sub_trt").set_value("arm")
    at.multiselect(key="coxx_sub_factors").set_value(["sex"]).run()
    assert not at.exception, [e.message for e in at.exception]
    shown = frames_with(at, "p_interaction")
    ref = subgroup_hr(pbc_cohort(), "os_months", "os_event", "arm", ["sex"]).to_frame()
    assert shown and shown[0]["level"].tolist() == ["All", "f", "m"]
    np.testing.assert_allclose(shown[0]["hr"], ref["hr"], rtol=1e-9)
    assert shown[0]["p_interaction"].iloc[1] == pytest.approx(ref["p_interaction"].iloc[1])


def test_ipw_and_landmark_tabs_show_messages_and_tables(cox_page):
    at = cox_page
    open_tab(at, "Weighting (IPW)")
    at.selectbox(key="coxx_ipw_trt").set_value("arm")
    at.multiselect(key="coxx_ipw_covs").set_value(["age", "sex", "albumin"]).run()
    assert not at.exception, [e.message for e in at.exception]
    assert frames_with(at, "smd_after")
    notes = [i.value for i in at.main.info] + [w.value for w in at.main.warning]
    assert any("Propensity scores" in t for t in notes)
    open_tab(at, "Landmark")
    at.selectbox(key="coxx_lm_factor").set_value("edema").run()
    assert not at.exception, [e.message for e in at.exception]
    texts = [m.value for m in at.main.markdown]
    assert any("patients followed beyond 3 months" in t for t in texts)
    assert any("guarantee-time bias" in i.value for i in at.main.info)


def test_hidden_tabs_are_not_built_and_keep_their_choices(cox_page):
    """Lazy tabs (issue 20): only the open tab's widgets and fits exist in a rerun; a tab's
    choices come back when it is opened again (the strata and weights of the first test)."""
    at = cox_page
    open_tab(at, "Landmark")
    keys = {w.key for w in [*at.selectbox, *at.multiselect]}
    assert "coxx_lm_factor" in keys
    assert not keys & {"coxx_strata", "coxx_weights", "coxx_sub_trt", "coxx_ipw_trt"}, keys
    assert not frames_with(at, "robust_se") and not frames_with(at, "p_interaction")
    open_tab(at, "Strata, time-varying, weights")
    assert at.selectbox(key="coxx_strata").value == "edema"
    assert at.selectbox(key="coxx_weights").value == "ipw"
    assert frames_with(at, "robust_se")
    open_tab(at, "Subgroup forest")
    assert at.multiselect(key="coxx_sub_factors").value == ["sex"]


def test_km_page_weighted_curves_are_hccdash():
    at = open_page("km")
    assert "kmx_group" not in [s.key for s in at.selectbox]  # closed expander: not built
    at.session_state["kmx_open"] = True
    at.run()
    at.selectbox(key="kmx_group").set_value("arm")
    at.selectbox(key="kmx_weights").set_value("ipw").run()
    assert not at.exception, [e.message for e in at.exception]
    shown = [d for d in frames_with(at, "surv") if "n_censor" in d.columns]
    km = km_counting(pbc_cohort(), "os_months", "os_event", "arm", weights="ipw")
    assert shown
    np.testing.assert_allclose(shown[-1]["surv"], km.to_frame()["surv"], rtol=1e-9)
    np.testing.assert_allclose(shown[-1]["lower"], km.to_frame()["lower"], rtol=1e-9)


def test_report_legends_of_more_models_figures():
    """The one-click report names each "More models" figure for what it is (not as a
    Schoenfeld plot, the Cox page's fallback legend)."""
    from hccdash.ui.cox_extras import extras_legend

    assert "interaction" in extras_legend("subgroups_arm")
    assert "one baseline hazard per stratum" in extras_legend("predicted_age_by_edema")
    assert "Directly adjusted" in extras_legend("adjusted_arm")
    assert extras_legend("forest_os") is None and extras_legend("schoenfeld_os_age") is None

"""Headless AppTest of the ui pages: numbers shown equal hccdash's, edge cases are messages.

AppTest resets Streamlit's legacy ``pages/`` flag on every run, exactly like the first request
of a fresh server: these tests therefore also check that our pages get back to the router
(``hccdash.ui.state.ensure_app_router``) so the shared sidebar is always drawn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash.filters import FilterSpec, apply_filters
from hccdash.nonparametric import kaplan_meier, median_table
from hccdash.response import response_rates
from hccdash.schema import Cohort, load_bundled_cohort
from hccdash.ui.state import UPLOADED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return load_bundled_cohort().data


def open_page(
    page: str, params: dict[str, str] | None = None, cohort: Cohort | None = None
) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if cohort is not None:
        at.session_state[UPLOADED_KEY] = cohort
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "cohort":
        at.switch_page(f"pages/{page}.py").run()
    return at


def sidebar_count(at: AppTest) -> str:
    texts = [m.value for m in at.sidebar.markdown if m.value.startswith("n = ")]
    assert len(texts) == 1, texts
    return texts[0]


def frame_with(at: AppTest, column: str) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if column in d.value.columns]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def synthetic(seed: int = 5, n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "patient_id": [f"S{i:03d}" for i in range(n)],
            "child_pugh": rng.choice(["A", "B"], n),
            "kps": rng.choice([60, 70, 80, 90], n),
            "pvtt": rng.choice(["Yes", "No"], n),
            "ascites": rng.choice(["Yes", "No"], n),
            "treatment": np.repeat(["IMRT+TACE", "IMRT"], [n - n // 3, n // 3]),
            "os_months": np.round(rng.exponential(20, n) + 0.5, 1),
            "os_event": rng.integers(0, 2, n),
            "pfs_months": np.round(rng.exponential(8, n) + 0.5, 1),
            "pfs_event": rng.integers(0, 2, n),
            "intrahepatic_response": rng.choice(["CR", "PR", "SD", "PD"], n),
        }
    )


@pytest.mark.parametrize("page", ["cohort", "km", "univariate", "cox", "response", "about"])
def test_every_ui_page_runs_on_the_bundled_cohort(page):
    at = open_page(page)
    no_exception(at)
    assert sidebar_count(at) == "n = 21 of 21 patients"
    if page != "about":
        assert any("reconstructed" in i.value for i in at.info), "reconstruction notice missing"
    if page in {"km", "univariate", "cox", "response"}:
        labels = [b.label for b in at.get("download_button")]
        assert "Download all (ZIP)" in labels, labels


def test_child_pugh_a_shows_14_of_21_and_hccdash_median(bundled):
    at = open_page("km", {"child_pugh": "A"})
    no_exception(at)
    assert sidebar_count(at) == "n = 14 of 21 patients"
    data = apply_filters(bundled, FilterSpec(child_pugh=("A",)))
    expect = median_table(kaplan_meier(data, "os_months", "os_event")).rows[0]
    (shown,) = frame_with(at, "median (95% CI)")
    assert shown.loc[0, "n"] == 14
    assert shown.loc[0, "median"] == pytest.approx(expect.median, rel=1e-12)
    assert shown.loc[0, "lower"] == pytest.approx(expect.lower, rel=1e-12)


def test_url_by_treatment_draws_one_curve_per_arm(bundled):
    at = open_page("km", {"child_pugh": "A", "by": "treatment", "endpoint": "pfs"})
    no_exception(at)
    assert at.radio(key="km_endpoint").value == "pfs"
    assert at.selectbox(key="km_by").value == "treatment"
    data = apply_filters(bundled, FilterSpec(child_pugh=("A",)))
    km = kaplan_meier(data, "pfs_months", "pfs_event", "treatment", levels=("IMRT+TACE", "IMRT"))
    (shown,) = frame_with(at, "median (95% CI)")
    assert shown["group"].tolist() == ["IMRT+TACE", "IMRT"]
    for row, m in zip(shown.itertuples(), median_table(km).rows, strict=True):
        assert row.n == m.n and row.events == m.events
        assert row.median == pytest.approx(m.median, rel=1e-12)
    assert any(m.value.startswith("Log-rank test: chi-square") for m in at.markdown)
    assert any(m.value.startswith("HR ") for m in at.markdown)


def test_sidebar_widgets_filter_and_write_the_url(bundled):
    at = open_page("km")
    at.multiselect(key="f_child_pugh").set_value(["A", "B"]).run()
    at.radio(key="f_pvtt").set_value("no").run()
    no_exception(at)
    expect = apply_filters(bundled, FilterSpec(child_pugh=("A", "B"), pvtt="no"))
    assert sidebar_count(at) == f"n = {len(expect)} of 21 patients"
    assert at.query_params["child_pugh"] == "A,B"
    assert at.query_params["pvtt"] == "no"


def test_kps_paper_group_buttons(bundled):
    at = open_page("cohort")
    at.button(key="f_kps_btn_gt70").click().run()
    assert at.slider(key="f_kps").value == (80, 100)
    n_gt70 = int((bundled.kps > 70).sum())
    assert sidebar_count(at) == f"n = {n_gt70} of 21 patients"
    assert at.query_params["kps"] == "80-100"
    at.button(key="f_kps_btn_60_70").click().run()
    assert at.slider(key="f_kps").value == (60, 70)
    assert sidebar_count(at) == f"n = {21 - n_gt70} of 21 patients"


def test_arm_filter_from_url_and_reset():
    at = open_page("cohort", {"arm": "imrt_tace", "kps": "80-100"})
    assert at.selectbox(key="f_arm").value == "imrt_tace"
    assert sidebar_count(at) != "n = 21 of 21 patients"
    at.button(key="f_reset").click().run()
    no_exception(at)
    assert sidebar_count(at) == "n = 21 of 21 patients"
    assert "arm" not in at.query_params and "kps" not in at.query_params


def test_invalid_url_values_warn_and_are_ignored():
    at = open_page("km", {"kps": "lots", "arm": "surgery", "child_pugh": "Z", "endpoint": "dfs"})
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    for needle in ("kps='lots'", "arm='surgery'", "'Z'", "endpoint='dfs'"):
        assert needle in warnings
    assert sidebar_count(at) == "n = 21 of 21 patients"


def test_more_filters_on_any_column(bundled):
    at = open_page("cohort", {"sex": "Female"})
    no_exception(at)
    n = int((bundled.sex == "Female").sum())
    assert sidebar_count(at) == f"n = {n} of 21 patients"
    assert at.multiselect(key="f_more_cols").value == ["sex"]


def filter_leaving(bundled: pd.DataFrame, n: int) -> dict[str, str]:
    """URL filters (Child-Pugh x PVTT x ascites x arm) that leave exactly ``n`` patients."""
    for cp in ("A", "B", "C"):
        for pvtt in ("yes", "no"):
            for ascites in ("yes", "no"):
                for arm in ("imrt", "imrt_tace"):
                    spec = FilterSpec(child_pugh=(cp,), pvtt=pvtt, ascites=ascites, arm=arm)
                    if len(apply_filters(bundled, spec)) == n:
                        return spec.to_query()
    raise LookupError(f"no filter combination leaves {n} patients")


@pytest.mark.parametrize("page", ["cohort", "km", "univariate", "cox", "response"])
def test_filter_leaving_no_patient_is_a_message(page, bundled):
    at = open_page(page, filter_leaving(bundled, 0))
    no_exception(at)
    assert sidebar_count(at) == "n = 0 of 21 patients"
    assert any("No patients left" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["km", "univariate", "cox"])
def test_filter_leaving_one_patient_is_a_message(page, bundled):
    at = open_page(page, filter_leaving(bundled, 1))
    no_exception(at)
    assert sidebar_count(at) == "n = 1 of 21 patients"
    assert any("Only 1 patient left" in w.value for w in at.warning)


def test_group_without_events_and_median_not_reached():
    data = synthetic()
    data.loc[data.treatment == "IMRT", "os_event"] = 0
    cohort = Cohort("synthetic", data, "synthetic.csv")
    at = open_page("km", {"by": "treatment"}, cohort=cohort)
    no_exception(at)
    assert any("No OS events in group 'IMRT'" in i.value for i in at.info)
    (shown,) = frame_with(at, "median (95% CI)")
    imrt = shown[shown.group == "IMRT"].iloc[0]
    assert np.isnan(imrt["median"]) and imrt["median (95% CI)"].startswith("not reached")
    assert not any("reconstructed" in i.value for i in at.info)


def test_numeric_stratification_cuts_at_the_median(bundled):
    at = open_page("km", {"by": "age_years"})
    no_exception(at)
    cut = float(bundled.age_years.median())
    assert at.number_input(key="km_cut_age_years").value == pytest.approx(cut)
    (shown,) = frame_with(at, "median (95% CI)")
    assert shown["n"].tolist() == [
        int((bundled.age_years <= cut).sum()),
        int((bundled.age_years > cut).sum()),
    ]


def test_cox_separation_warning_is_shown_above_results():
    data = synthetic(seed=11, n=40)
    # Every Child-Pugh B patient is censored: the B vs A hazard ratio diverges.
    data.loc[data.child_pugh == "B", "os_event"] = 0
    cohort = Cohort("synthetic", data, "synthetic.csv")
    at = open_page("cox", cohort=cohort)
    at.multiselect(key="cox_covariates").set_value(["child_pugh", "kps"]).run()
    no_exception(at)
    texts = [w.value for w in at.main.warning]
    assert any("separation" in t.lower() for t in texts), texts
    # warnings are drawn before the hazard-ratio table
    order = [type(el).__name__ for el in at.main]
    first_table = next(i for i, el in enumerate(at.main) if type(el).__name__ == "Dataframe")
    first_sep = next(
        i
        for i, el in enumerate(at.main)
        if type(el).__name__ == "Warning" and "separation" in el.value.lower()
    )
    assert first_sep < first_table, order


def test_response_page_shows_hccdash_rates(bundled):
    at = open_page("response")
    no_exception(at)
    expect = response_rates(bundled, by="treatment").to_frame()
    (shown,) = frame_with(at, "ORR lower")
    assert shown["ORR"].tolist() == pytest.approx(expect["ORR"].tolist(), rel=1e-12)
    assert shown["ORR lower"].tolist() == pytest.approx(expect["ORR lower"].tolist(), rel=1e-12)
    assert shown["DCR upper"].tolist() == pytest.approx(expect["DCR upper"].tolist(), rel=1e-12)


def test_cohort_page_baseline_by_arm(bundled):
    from hccdash.baseline import baseline_table
    from hccdash.report.fmt import format_p

    at = open_page("cohort")
    no_exception(at)
    shown = at.table[0].value  # the formatted table (hccdash.ui.table_view)
    n_arm = bundled.treatment.value_counts()
    assert any(c.endswith(f"IMRT+TACE (N={n_arm['IMRT+TACE']})") for c in shown.columns)
    assert any(c.endswith(f"IMRT (N={n_arm['IMRT']})") for c in shown.columns)
    expect = baseline_table(bundled, by="treatment")
    labels = shown["Characteristic"].str.strip().tolist()
    # one header row per variable, levels under it, p on the header row in journal style
    row = labels.index("Child-Pugh class")
    p_shown = shown["p-value"].iloc[row].rstrip("¹²³⁴⁵⁶⁷⁸⁹")
    assert p_shown == format_p(expect.test("child_pugh").p_value)
    assert labels[row + 1 : row + 4] == ["A", "B", "C"]
    assert shown.iloc[row + 1, 1] == "14 (66.7%)"
    assert "child_pugh" not in labels and "Tace cycles" in labels
    text = " ".join(shown.astype(str).to_numpy().ravel())
    assert "None" not in text and "nan" not in text
    # the raw numbers stay in the details view
    (details,) = frame_with(at, "test")
    expect_p = expect.to_frame()["p"].tolist()
    assert details["p"].tolist() == pytest.approx(expect_p, rel=1e-12, nan_ok=True)
    (complete,) = frame_with(at, "% complete")
    assert complete.set_index("column").loc["os_months", "present"] == 21


def test_univariate_factor_choice_opens_its_curves(bundled):
    at = open_page("univariate")
    at.selectbox(key="uni_factor").set_value("Child-Pugh class").run()
    no_exception(at)
    tables = frame_with(at, "median (95% CI)")
    assert len(tables) == 2  # OS and PFS
    for shown in tables:
        assert shown["group"].tolist() == ["A", "B", "C"]
        assert shown["n"].tolist() == [int((bundled.child_pugh == c).sum()) for c in "ABC"]


def test_univariate_table_equals_hccdash(bundled):
    from hccdash.schema import load_bundled_cohort
    from hccdash.tables import univariate_table

    cohort = load_bundled_cohort()
    data = apply_filters(bundled, FilterSpec(child_pugh=("A", "B")))
    expect = univariate_table(data, cohort.factors(), cohort.endpoints()).to_frame()
    at = open_page("univariate", {"child_pugh": "A,B"})
    no_exception(at)
    (shown,) = frame_with(at, "factor")
    pd.testing.assert_frame_equal(
        shown.reset_index(drop=True), expect.reset_index(drop=True), check_dtype=False
    )


def test_loading_another_cohort_resets_the_filters_to_it(bundled):
    at = open_page("km", {"child_pugh": "A", "age_years": "40-60"})
    assert sidebar_count(at) != "n = 21 of 21 patients"
    data = synthetic(seed=3, n=30)
    at.session_state[UPLOADED_KEY] = Cohort("uploaded", data, "mine.csv")
    at.run()
    no_exception(at)
    # child_pugh=A from the URL applies to this cohort too; age_years (not a column) is ignored
    n_a = int((data.child_pugh == "A").sum())
    assert sidebar_count(at) == f"n = {n_a} of 30 patients"
    assert not any("reconstructed" in i.value for i in at.info)


def test_km_options_conf_type_years_and_weighted_test(bundled):
    from hccdash.compare import survdiff

    at = open_page("km", {"by": "pvtt"})
    at.selectbox(key="km_conf").set_value("log").run()
    at.radio(key="km_unit").set_value("years").run()
    at.selectbox(key="km_test").set_value("wilcoxon").run()
    no_exception(at)
    km = kaplan_meier(
        bundled, "os_months", "os_event", "pvtt", conf_type="log", levels=("Yes", "No")
    )
    (shown,) = frame_with(at, "median (95% CI)")
    for row, m in zip(shown.itertuples(), median_table(km).rows, strict=True):
        assert row.group == m.group
        assert row.median == pytest.approx(m.median / 12, rel=1e-12)
        if m.lower is not None:
            assert row.lower == pytest.approx(m.lower / 12, rel=1e-12)
    test = survdiff(bundled, "os_months", "os_event", "pvtt", method="wilcoxon")
    line = next(m.value for m in at.markdown if m.value.startswith("Gehan-Breslow"))
    assert f"chi-square = {test.chisq:.2f}" in line
    # landmark times are typed in years now (1, 2, 3) and shown in years
    (lm,) = frame_with(at, "time (years)")
    assert sorted(set(lm["time (years)"])) == [1.0, 2.0, 3.0]


def test_pairwise_and_trend_for_three_levels(bundled):
    from hccdash.compare import pairwise_survdiff, trend_test

    at = open_page("km", {"by": "child_pugh"})
    at.toggle(key="km_trend").set_value(True).run()
    at.selectbox(key="km_adjust").set_value("BH").run()
    no_exception(at)
    expect = pairwise_survdiff(
        bundled, "os_months", "os_event", "child_pugh", adjust="BH", levels=("A", "B", "C")
    ).to_frame()
    (shown,) = frame_with(at, "p_adjusted")
    assert shown["p_adjusted"].tolist() == pytest.approx(expect["p_adjusted"].tolist(), rel=1e-12)
    tr = trend_test(bundled, "os_months", "os_event", "child_pugh", levels=("A", "B", "C"))
    line = next(m.value for m in at.markdown if m.value.startswith("Log-rank test for trend"))
    assert f"chi-square = {tr.chisq:.2f}" in line


def test_cox_model_that_cannot_be_fitted_is_a_message_in_place():
    at = open_page("cox", {"sex": "Male"})
    at.multiselect(key="cox_covariates").set_value(["sex", "kps"]).run()
    no_exception(at)
    texts = [w.value for w in at.main.warning]
    assert any("'sex' has a single level" in t for t in texts), texts
    # the rest of the page (controls) is still there
    assert at.radio(key="cox_endpoint").value == "os"
    at.multiselect(key="cox_covariates").set_value(["kps"]).run()
    no_exception(at)
    assert any("HR (95% CI)" in " ".join(t.value.columns) for t in at.table)


def test_cohort_page_follow_up_and_events(bundled):
    from hccdash.nonparametric import median_followup

    at = open_page("cohort", {"child_pugh": "A"})
    no_exception(at)
    data = apply_filters(bundled, FilterSpec(child_pugh=("A",)))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["OS events"] == str(int(data.os_event.sum()))
    fu = median_followup(data.os_months, data.os_event)
    assert metrics["Median follow-up (OS, reverse KM)"] == f"{fu.median:.1f} months"


def test_both_endpoints_side_by_side(bundled):
    at = open_page("km", {"by": "treatment"})
    at.radio(key="km_endpoint").set_value("both").run()
    no_exception(at)
    tables = frame_with(at, "median (95% CI)")
    assert len(tables) == 2
    pfs = kaplan_meier(
        bundled, "pfs_months", "pfs_event", "treatment", levels=("IMRT+TACE", "IMRT")
    )
    expect = [m.median for m in median_table(pfs).rows]
    assert tables[1]["median"].tolist() == pytest.approx(expect, rel=1e-12)
    assert "endpoint" not in at.query_params


def test_numeric_cut_round_trips_through_the_url(bundled):
    at = open_page("km", {"by": "kps", "cut": "70"})
    no_exception(at)
    assert at.number_input(key="km_cut_kps").value == 70
    (shown,) = frame_with(at, "median (95% CI)")
    assert shown["n"].tolist() == [int((bundled.kps <= 70).sum()), int((bundled.kps > 70).sum())]
    assert at.query_params["cut"] == "70"
    bad = open_page("km", {"by": "kps", "cut": "low"})
    assert any("cut='low'" in w.value for w in bad.warning)


@pytest.mark.parametrize("page", ["km", "univariate", "cox", "cohort"])
def test_no_events_at_all_is_a_message(page):
    data = synthetic(seed=8)
    data["os_event"] = 0
    at = open_page(page, {"by": "treatment"}, cohort=Cohort("censored", data, "c.csv"))
    no_exception(at)
    if page == "km":
        texts = " ".join(w.value for w in at.warning) + " ".join(i.value for i in at.info)
        assert "no events" in texts.lower() or "No OS events" in texts
        (shown,) = frame_with(at, "median (95% CI)")
        assert shown["median"].isna().all()


@pytest.mark.parametrize("page", ["cohort", "km", "univariate", "cox", "response"])
def test_minimal_uploaded_cohort_without_filter_columns(page):
    rng = np.random.default_rng(21)
    data = pd.DataFrame(
        {
            "patient_id": [f"M{i}" for i in range(25)],
            "stage": rng.choice(["I", "II", "III"], 25),
            "os_months": np.round(rng.exponential(15, 25) + 0.2, 1),
            "os_event": rng.integers(0, 2, 25),
        }
    )
    at = open_page(page, cohort=Cohort("minimal", data, "minimal.csv"))
    no_exception(at)
    assert sidebar_count(at) == "n = 25 of 25 patients"
    assert not at.sidebar.get("multiselect") or all(
        m.key != "f_child_pugh" for m in at.sidebar.multiselect
    )


def test_more_filters_widgets_numeric_range(bundled):
    at = open_page("cohort")
    at.multiselect(key="f_more_cols").set_value(["age_years"]).run()
    at.slider(key="f_x_age_years").set_value((50.0, 60.0)).run()
    no_exception(at)
    n = int(bundled.age_years.between(50, 60).sum())
    assert sidebar_count(at) == f"n = {n} of 21 patients"
    assert at.query_params["age_years"] == "50-60"


def test_markdown_in_data_or_url_is_shown_literally():
    """A crafted value must not become a markdown image (an external fetch) or a link."""
    payload = "![x](http://example.invalid/p.png)"
    data = synthetic(seed=4)
    data["treatment"] = np.where(data.treatment == "IMRT", payload, "IMRT+TACE")
    data.loc[data.treatment == payload, "os_event"] = 0
    at = open_page("km", {"by": "treatment", "kps": payload}, cohort=Cohort("x", data, "x.csv"))
    no_exception(at)
    shown = [el.value for el in (*at.warning, *at.info, *at.markdown, *at.caption)]
    assert any("example" in t for t in shown)  # the messages do mention the value ...
    for text in shown:
        assert "![x](" not in text and "](http" not in text, text  # ... only escaped


# ---- journal tables (hccdash.report, hccdash.ui.table_view) ---------------------------------
def test_cox_page_shows_univariable_and_multivariable_side_by_side(bundled):
    from hccdash.cox import cox_fit
    from hccdash.report.fmt import format_hr_ci, format_p

    at = open_page("cox")
    at.toggle(key="cox_paper_cuts").set_value(False).run()
    at.multiselect(key="cox_covariates").set_value(["child_pugh", "age_years"]).run()
    no_exception(at)
    (shown,) = [t.value for t in at.table if "Characteristic" in t.value.columns]
    assert list(shown.columns[1:]) == [
        "Univariable: HR (95% CI)",
        "Univariable: p",
        "Multivariable: HR (95% CI)",
        "Multivariable: p",
    ]
    labels = shown["Characteristic"].str.strip().tolist()
    assert labels[:4] == ["Child-Pugh class", "A", "B", "C"]
    multi = cox_fit(bundled, "os_months", "os_event", ["child_pugh", "age_years"])
    uni = cox_fit(bundled, "os_months", "os_event", ["child_pugh"])
    b_multi, b_uni = multi.term("child_pugh: B vs A"), uni.term("child_pugh: B vs A")
    row = shown.iloc[2]
    assert row.iloc[1] == format_hr_ci(b_uni.hr, b_uni.lower, b_uni.upper)
    assert row.iloc[3] == format_hr_ci(b_multi.hr, b_multi.lower, b_multi.upper)
    assert row.iloc[4] == format_p(b_multi.p_value)
    assert shown.iloc[1, 1] == "—"  # reference level
    # raw coefficients stay in the details view, not in the table
    assert "coef" not in shown.columns
    assert frame_with(at, "coef")


def test_p_style_choice_reformats_the_tables(bundled):
    from hccdash.report.fmt import format_p
    from hccdash.tables import univariate_table

    cohort = load_bundled_cohort()
    expect = univariate_table(bundled, cohort.factors(), cohort.endpoints())
    p = expect.test("child_pugh", "os").p_value
    at = open_page("univariate")
    no_exception(at)

    def shown_p(at) -> str:
        table = at.table[0].value
        row = table["Characteristic"].str.strip().tolist().index("Child-Pugh class")
        return table["Overall survival: p"].iloc[row]

    assert shown_p(at) == format_p(p, "journal")
    at.selectbox(key="uni_report_p_style").set_value("3dp").run()
    no_exception(at)
    assert shown_p(at) == format_p(p, "3dp") == f"{p:.3f}"


def test_km_median_table_is_formatted(bundled):
    at = open_page("km", {"by": "treatment"})
    no_exception(at)
    km = kaplan_meier(bundled, "os_months", "os_event", "treatment", levels=("IMRT+TACE", "IMRT"))
    (shown,) = [t.value for t in at.table if "Median (95% CI)" in t.value.columns]
    m = median_table(km).rows[0]
    lo = "NR" if m.lower is None else f"{m.lower:.1f}"
    hi = "NR" if m.upper is None else f"{m.upper:.1f}"
    assert shown["Median (95% CI)"].iloc[1] == f"{m.median:.1f} ({lo}–{hi})"
    labels = shown["Group"].str.strip().tolist()
    assert labels[1:3] == ["IMRT+TACE", "IMRT"]  # levels under the grouping's header row


def test_response_and_toxicity_tables_are_formatted(bundled):
    from hccdash.response import toxicity_table

    at = open_page("response")
    no_exception(at)
    shown = [t.value for t in at.table]
    resp = next(t for t in shown if "Response" in t.columns)
    rates = response_rates(bundled, by="treatment")
    r = rates.rows[0]  # intrahepatic, overall
    orr = resp[resp["Response"].str.strip() == "ORR (95% CI)"].iloc[0]
    expect = f"{100 * r.orr.estimate:.1f}% ({100 * r.orr.lower:.1f}–{100 * r.orr.upper:.1f})"
    assert orr.iloc[1] == expect
    tox = next(t for t in shown if "Toxicity" in t.columns)
    counts = toxicity_table(bundled)
    labels = tox["Toxicity"].str.strip().tolist()
    assert "Anorexia nausea" in labels and "tox_anorexia_nausea_grade" not in labels
    any_row = labels.index("Any grade")
    k, n = int(counts.counts[0, 0, 1:].sum()), int(counts.n[0, 0])
    assert tox.iloc[any_row, 1] == f"{k} ({100 * k / n:.0f}%)"

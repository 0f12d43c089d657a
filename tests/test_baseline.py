"""Baseline table tests against R (tests/reference/ui_baseline_response.R and its JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.baseline import baseline_table, categorical_test, completeness
from hccdash.errors import InputError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(REF / "ui_cohort.csv", dtype={"patient_id": str})


@pytest.fixture(scope="module")
def r() -> dict:
    return json.loads((REF / "ui_baseline_response.json").read_text())


def test_categorical_tests_match_r_fisher(cohort, r):
    """R: fisher.test(table(d$sex, d$treatment)); fisher.test(table(d$child_pugh, d$treatment))."""
    t = baseline_table(cohort, by="treatment")
    assert t.test("sex").test == "Fisher exact"
    assert t.test("sex").p_value == pytest.approx(r["sex_fisher"], rel=1e-6)
    assert t.test("child_pugh").test == "Fisher-Freeman-Halton exact"
    assert t.test("child_pugh").p_value == pytest.approx(r["child_pugh_ffh"], rel=1e-6)
    assert t.test("metastatic_site").p_value == pytest.approx(r["site_ffh"], rel=1e-6)


def test_numeric_tests_match_r_wilcox(cohort, r):
    """R: wilcox.test(age_years ~ treatment) (ties: normal approx); albumin exact (no ties)."""
    t = baseline_table(cohort, by="treatment")
    age = t.test("age_years")
    assert age.test == "Mann-Whitney U (normal approx.)"
    assert age.statistic == pytest.approx(r["age_wilcox_W"], rel=1e-9)
    assert age.p_value == pytest.approx(r["age_wilcox_p"], rel=1e-6)
    alb = t.test("albumin")
    assert alb.test == "Mann-Whitney U (exact)"
    assert alb.statistic == pytest.approx(r["albumin_wilcox_W"], rel=1e-9)
    assert alb.p_value == pytest.approx(r["albumin_wilcox_p"], rel=1e-6)


def test_kruskal_for_three_groups_matches_r(cohort, r):
    """R: kruskal.test(age_years ~ factor(child_pugh))."""
    t = baseline_table(cohort, ["age_years"], by="child_pugh")
    assert t.groups == ("A", "B", "C")
    k = t.test("age_years")
    assert k.test == "Kruskal-Wallis"
    assert k.statistic == pytest.approx(r["age_by_cp_kruskal_H"], rel=1e-6)
    assert k.p_value == pytest.approx(r["age_by_cp_kruskal_p"], rel=1e-6)


def test_large_table_uses_pearson_chisq_like_r(r):
    """R: chisq.test(matrix(c(120, 60, 45, 40, 30, 25), nrow = 3), correct = FALSE)."""
    t = categorical_test(np.array([[120, 40], [60, 30], [45, 25]]))
    assert t.test == "Pearson chi-square"
    assert t.statistic == pytest.approx(r["big_chisq_stat"], rel=1e-6)
    assert t.p_value == pytest.approx(r["big_chisq_p"], rel=1e-6)


def test_counts_and_percentages(cohort):
    t = baseline_table(cohort, ["sex", "albumin"], by="treatment")
    n_arm = cohort["treatment"].value_counts()
    assert t.groups == ("IMRT", "IMRT+TACE")
    assert t.group_n == (n_arm["IMRT"], n_arm["IMRT+TACE"])
    frame = t.to_frame()
    male = frame[(frame.variable == "sex") & (frame.level == "Male")].iloc[0]
    k = int((cohort.sex == "Male").sum())
    assert male[f"Overall (n={len(cohort)})"] == f"{k} ({100 * k / len(cohort):.1f}%)"
    # the missing albumin is its own line, not in the median
    miss = frame[(frame.variable == "albumin") & (frame.level == "missing")].iloc[0]
    assert miss[f"Overall (n={len(cohort)})"] == "1"
    med = np.nanmedian(cohort.albumin)
    assert frame.iloc[2][f"Overall (n={len(cohort)})"].startswith(f"{med:g} (")


def test_without_group_column_has_no_tests(cohort):
    t = baseline_table(cohort.drop(columns="treatment"), ["sex"])
    assert t.groups == () and t.tests == ()
    assert len(t.to_frame()) == 2


def test_one_arm_left_is_not_tested(cohort):
    t = baseline_table(cohort[cohort.treatment == "IMRT"], ["sex", "age_years"])
    assert t.test("sex").p_value is None
    assert t.test("age_years").p_value is None


def test_unknown_column_message_names_it(cohort):
    with pytest.raises(InputError, match="'nope'"):
        baseline_table(cohort, ["sex", "nope"])


def test_completeness_counts_missing(cohort):
    c = completeness(cohort).to_frame().set_index("column")
    assert c.loc["albumin", "missing"] == 1
    assert c.loc["albumin", "present"] == len(cohort) - 1
    assert c.loc["sex", "% complete"] == 100.0

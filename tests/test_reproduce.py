"""hccdash.reproduce: published figures beside values computed with hccdash's own functions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from hccdash import reproduce
from hccdash.cohort.bundled import PAPER_FACTORS
from hccdash.cohort.published import load_published
from hccdash.compare import survdiff
from hccdash.cox import cox_fit
from hccdash.nonparametric import kaplan_meier, median_survival, survival_at
from hccdash.schema import OS, PFS, load_bundled_cohort

PUB = load_published()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return load_bundled_cohort().data


def test_table1_medians_equal_nonparametric(data):
    med = reproduce.table1_medians(data)
    assert len(med) == 2 * sum(len(f["levels"]) for f in PUB["table1_univariate"]["factors"])
    assert med["median_published"].notna().sum() == 48
    ascites = PAPER_FACTORS[-1]
    sub = data.assign(_g=ascites.values(data).astype(str))
    km = kaplan_meier(sub, OS.time, OS.event, group="_g", levels=["Yes", "No"])
    row = med[(med["factor"] == "Ascites") & (med["endpoint"] == "OS")]
    assert list(row["level"]) == ["Yes", "No"]
    assert list(row["n_published"]) == [7, 14]
    for got, curve in zip(row["median"], km.curves, strict=True):
        assert got == median_survival(curve).median
    # the delta and tolerance columns follow from the others
    scored = med[med["median_published"].notna()]
    np.testing.assert_allclose(scored["delta"], scored["median"] - scored["median_published"])
    assert (scored["within"] == (scored["delta"].abs() <= 2.0)).all()
    assert med.loc[med["median_published"].isna(), "within"].isna().all()


def test_table1_tests_equal_survdiff(data):
    tests = reproduce.table1_tests(data)
    assert len(tests) == 22
    site = PAPER_FACTORS[7]
    sub = data.assign(_g=site.values(data).astype(str))
    res = survdiff(sub, PFS.time, PFS.event, "_g")
    row = tests[(tests["factor"] == "Metastatic site") & (tests["endpoint"] == "PFS")].iloc[0]
    assert row["chisq"] == pytest.approx(res.chisq, rel=1e-12)
    assert row["df"] == 4
    assert row["p_published"] == 0.149
    assert row["log10_ratio"] == pytest.approx(math.log10(res.p_value) - math.log10(0.149))
    fail = tests[tests["factor"] == "Failure mode"]
    keep = data["failure_pattern"].isin(["Intrahepatic", "Extrahepatic"])
    res = survdiff(data[keep], OS.time, OS.event, "failure_pattern")
    assert fail[fail["endpoint"] == "OS"]["p"].iloc[0] == pytest.approx(res.p_value, rel=1e-12)


def test_overall_rows_equal_hccdash(data):
    ov = reproduce.overall(data).set_index("figure")
    curve = kaplan_meier(data, OS.time, OS.event).curves[0]
    assert ov.loc["Median OS (months)", "computed"] == median_survival(curve).median
    at = survival_at(curve, [12, 24, 36, 48]).surv
    for t, s in zip((12, 24, 36, 48), at, strict=True):
        assert ov.loc[f"OS at {t} months", "computed"] == pytest.approx(s, rel=1e-12)
        assert ov.loc[f"OS at {t} months", "tolerance"] == 0.03
    assert ov.loc["Deaths", "published"] == 18 and ov.loc["Deaths", "computed"] == 18
    assert ov.loc["Median PFS (months)", "published"] == 9.1


def test_responses_table(data):
    resp = reproduce.responses(data).set_index("figure")
    assert resp.loc["Intrahepatic ORR", "computed"] == 0.81
    assert resp.loc["Extrahepatic ORR", "computed"] == 1.0
    assert "16 evaluable" in resp.loc["Extrahepatic ORR", "note"]
    assert resp["within"].all()


def test_table2_shows_wald_chisq_of_our_cox(data):
    t2 = reproduce.table2(data)
    assert len(t2) == 14
    frame = reproduce.table2_data(data)
    covs = [c for _, c in reproduce.TABLE2_COLUMNS]
    fit = cox_fit(frame, OS.time, OS.event, covs, reference=reproduce.TABLE2_REFERENCE)
    kps = next(t for t in fit.terms if t.covariate == "kps")
    row = t2[(t2["factor"] == "KPS") & (t2["endpoint"] == "OS")].iloc[0]
    assert row["wald_chisq"] == pytest.approx(kps.z**2, rel=1e-12)
    assert row["hr"] == pytest.approx(kps.hr, rel=1e-12)
    assert row["term"] == "kps: 60–70 vs >70"
    assert row["paper_rr"] == 8.8 and row["paper_p"] == 0.003
    assert (t2["n"] == 18).all()


def test_paper_os_rr_reads_as_wald_chisq():
    """Six of seven OS 'RR' values are the 1-df Wald chi-square of their printed p."""
    rows = PUB["table2_multivariate_cox"]["rows"]
    fits = [abs(chi2.sf(r["os_rr"], 1) - r["os_p"]) < 0.0015 for r in rows]
    assert sum(fits) == 6
    assert not fits[-1]  # ascites (21.32, p 0.007) does not fit


def test_inconsistencies_are_all_explained():
    inc = reproduce.inconsistencies()
    assert list(inc["inconsistency"]) == PUB["inconsistencies_in_the_paper"]
    assert inc["explanation"].str.len().min() > 40
    wald = inc[inc["inconsistency"].str.contains("Wald")]["explanation"].iloc[0]
    assert "Wald" in wald and "SPSS" in wald


def test_bundled_cohort_meets_the_fidelity_thresholds(data):
    fid = reproduce.fidelity(data)
    assert fid.counts_exact
    assert fid.medians_scored == 48 and fid.medians_within >= 44
    assert fid.p_same_side == fid.p_total == 22
    assert fid.median_abs_log10_p <= 0.1
    assert fid.overall_within and fid.responses_exact
    assert fid.passes
    frame = fid.to_frame()
    assert frame["met"].all()


def test_fidelity_notices_a_broken_cohort(data):
    broken = data.copy()
    broken["os_months"] = broken["os_months"] * 2
    fid = reproduce.fidelity(broken)
    assert not fid.passes
    assert fid.medians_within < 44

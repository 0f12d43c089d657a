"""Propensity scores, IPW weights, balance and weighted outcome analyses against R.

Reference: ``tests/reference/cox_ext/weighting.R`` on R's ``pbc`` (the 312 randomised):
``glm(treated ~ age + sex + logbili + albumin + edema, binomial)``; R printed
``weighting.json``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.coxext.weighting import ipw_analysis, ipw_weights, propensity_scores
from hccdash.errors import AnalysisError, InputError

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "weighting.json").read_text())
REL = 1e-6
COVS = ["age", "sex", "logbili", "albumin", "edema"]


@pytest.fixture(scope="module")
def pbc():
    d = pd.read_csv(REF / "data" / "pbc.csv")
    d["logbili"] = np.log(d["bili"])
    return d


def test_propensity_scores_match_glm(pbc):
    """R: ``fitted(glm(treated ~ age + sex + logbili + albumin + edema, binomial, pb))``."""
    ps, _t, lev1, lev0 = propensity_scores(pbc, "treated", COVS)
    assert (lev1, lev0) == ("1", "0")
    np.testing.assert_allclose(ps, R["ps"], rtol=REL)


@pytest.mark.parametrize(
    ("key", "kw"),
    [
        ("ate", {}),
        ("att", {"estimand": "ATT"}),
        ("ate_stab", {"stabilized": True}),
        ("ate_trim", {"trim": (0.01, 0.99)}),
    ],
)
def test_weights_match_r(pbc, key, kw):
    """R: ``t / e + (1 - t) / (1 - e)`` (ATE), ``t + (1 - t) e / (1 - e)`` (ATT), ATE times
    ``P(T = t)`` (stabilised), ATE truncated at ``quantile(w, c(0.01, 0.99))``."""
    ps, t, *_ = propensity_scores(pbc, "treated", COVS)
    np.testing.assert_allclose(ipw_weights(ps, t, **kw), R["weights"][key], rtol=REL)


def test_analysis_balance_cox_and_km_match_r(pbc):
    """R: SMD = difference of weighted means / sqrt((var1 + var0) / 2) (unweighted
    variances) per ``model.matrix`` column; ``coxph(Surv(time, death) ~ factor(treated),
    weights = w_att, pb)``; ``survfit(Surv(time, death) ~ treated, weights = w_att, pb,
    conf.type = "log-log")``."""
    res = ipw_analysis(pbc, "time", "death", "treated", COVS, estimand="ATT")
    assert res.balance["term"].tolist() == ["age", "sex: m", "logbili", "albumin", "edema"]
    np.testing.assert_allclose(res.balance["smd_before"], R["smd_before"], rtol=REL)
    np.testing.assert_allclose(res.balance["smd_after"], R["smd_att"], rtol=REL)
    t = res.cox.terms[0]
    assert t.coef == pytest.approx(R["cox_att"]["coef"], rel=REL)
    assert t.se == pytest.approx(R["cox_att"]["se"], rel=REL)
    assert t.robust_se == pytest.approx(R["cox_att"]["robust_se"], rel=REL)
    surv = np.concatenate([c.surv for c in res.km.curves])
    np.testing.assert_allclose(surv, R["km_att"]["surv"], rtol=REL)
    se_s = np.concatenate([c.std_err * c.surv for c in res.km.curves])
    np.testing.assert_allclose(se_s, R["km_att"]["std_err"], rtol=REL)
    lower = np.concatenate([c.lower for c in res.km.curves])
    ok = np.isfinite(np.array(R["km_att"]["lower"], float))
    np.testing.assert_allclose(lower[ok], np.array(R["km_att"]["lower"], float)[ok], rtol=REL)
    assert "Propensity scores" in res.overlap_note


def test_ate_balance_and_poor_overlap_note(pbc):
    res = ipw_analysis(pbc, "time", "death", "treated", COVS)
    np.testing.assert_allclose(res.balance["smd_after"], R["smd_ate"], rtol=REL)
    # a covariate that almost decides the arm: overlap is poor and the page says so
    d = pbc.assign(hint=pbc["treated"] * 1.5 + np.sin(np.arange(len(pbc))))
    poor = ipw_analysis(d, "time", "death", "treated", ["age", "hint"])
    assert "Overlap is poor" in poor.overlap_note


def test_bad_requests_are_clear(pbc):
    with pytest.raises(InputError, match="two arms"):
        ipw_analysis(pbc, "time", "death", "edema", ["age"])
    with pytest.raises(InputError, match="estimand"):
        ipw_weights(np.array([0.5]), np.array([1.0]), estimand="ATC")
    sep = pbc.assign(copy=pbc["treated"].astype(float))
    with pytest.raises(AnalysisError, match=r"separates|could not be fitted"):
        ipw_analysis(sep, "time", "death", "treated", ["copy"])

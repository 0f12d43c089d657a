"""Issue 18, item 8: three former differences from R, now equal (R survival 3.5-3).

Data: R's ``ovarian`` (survival package) with a few rows added by
``tests/reference/cox_ext/item8.R``, which printed ``item8.json``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash import compare
from hccdash.compare import pairwise_survdiff, survdiff
from hccdash.cox import cox_fit

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "item8.json").read_text())
REL = 1e-6


def test_stratified_logrank_merges_near_ties_on_pooled_times():
    """R: ``survdiff(Surv(futime, fustat) ~ grp + strata(resid.ds), data = a)`` where ``a``
    adds a near-tie chain 400, 400 + 6e-6, 400 + 1.2e-5 whose middle is in the other
    stratum: R's timefix merges the whole chain on the pooled times."""
    a = pd.read_csv(REF / "ovarian_nearties_strata.csv")
    res = survdiff(a, "futime", "fustat", "grp", strata="resid.ds")
    r = R["strata_nearties"]
    assert res.chisq == pytest.approx(r["chisq"], rel=REL)
    np.testing.assert_allclose(res.observed, r["obs"], rtol=REL)
    np.testing.assert_allclose(res.expected, r["exp"], rtol=REL)


def test_per_stratum_merging_would_differ():
    """The old rule (merge within each stratum) gives another chisq on the same data, so
    the test above can fail."""
    a = pd.read_csv(REF / "ovarian_nearties_strata.csv")
    obs, exp, var = np.zeros(2), np.zeros(2), np.zeros((2, 2))
    t = a["futime"].to_numpy(float)
    e = a["fustat"].to_numpy(np.int64)
    codes = (a["grp"] == 2).to_numpy(np.int64)
    for s in (1, 2):
        sel = (a["resid.ds"] == s).to_numpy()
        o, x, v = compare._stat(t[sel], e[sel], codes[sel], 2, "logrank", 0, 0)
        obs, exp, var = obs + o, exp + x, var + v
    old, _df = compare._chisq(obs, exp, var)
    assert abs(old - R["strata_nearties"]["chisq"]) > 1e-4


@pytest.mark.parametrize(
    ("adjust", "field"), [("holm", "p_holm"), ("BH", "p_bh"), ("none", "p_value")]
)
def test_pairwise_keeps_a_pair_with_expected_zero_at_p_one(adjust, field):
    """R (survminer::pairwise_survdiff's algorithm): for each pair,
    ``pchisq(survdiff(Surv(futime, fustat) ~ grp, subset)$chisq, 1, lower.tail = FALSE)``,
    then ``p.adjust(p, "holm" | "BH")``; group "early" has expected = 0 (chisq 0, p = 1)."""
    e = pd.read_csv(REF / "ovarian_early.csv", dtype={"grp": str})
    res = pairwise_survdiff(e, "futime", "fustat", "grp", adjust=adjust)
    assert len(res.rows) == len(R["pairwise_early"])
    for ours, r in zip(res.rows, R["pairwise_early"], strict=True):
        assert (ours.group_a, ours.group_b) == (r["group_a"], r["group_b"])
        assert ours.chisq == pytest.approx(r["chisq"], abs=1e-12)
        assert ours.p_value == pytest.approx(r["p_value"], rel=REL)
        assert ours.p_adjusted == pytest.approx(r[field], rel=REL)


def test_cox_level_without_information_is_na_and_the_rest_fitted():
    """R: ``coxph(Surv(futime, fustat) ~ grp + age, data = e, control = coxph.control(eps =
    1e-12, iter.max = 100))``: coefficient ``grpearly`` is NA, the others fitted, tests on
    2 df."""
    e = pd.read_csv(REF / "ovarian_early.csv", dtype={"grp": str})
    res = cox_fit(e, "futime", "fustat", ["grp", "age"])
    r = R["cox_na"]
    assert [t.term for t in res.terms] == ["grp: 2 vs 1", "grp: early vs 1", "age"]
    assert res.terms[0].coef == pytest.approx(r["coef"][0], rel=REL)
    assert res.terms[2].coef == pytest.approx(r["coef"][2], rel=REL)
    assert res.terms[0].se == pytest.approx(r["se"][0], rel=REL)
    assert res.terms[2].se == pytest.approx(r["se"][2], rel=REL)
    assert np.isnan(res.terms[1].coef) and np.isnan(res.terms[1].hr)
    assert res.loglik_null == pytest.approx(r["loglik"][0], rel=REL)
    assert res.loglik == pytest.approx(r["loglik"][1], rel=REL)
    assert res.likelihood_ratio.chisq == pytest.approx(r["lr"], rel=REL)
    assert res.likelihood_ratio.df == r["lr_df"] == 2
    assert res.wald.chisq == pytest.approx(r["wald"], rel=REL)
    assert res.score.chisq == pytest.approx(r["score"], rel=REL)
    assert any("No information for 'grp: early vs 1'" in w for w in res.warnings)
    assert res.separated_terms == ()

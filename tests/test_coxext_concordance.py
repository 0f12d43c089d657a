"""Concordance of (start, stop], weighted, stratified and clustered Cox fits against R.

Reference: ``tests/reference/cox_ext/concordance.R`` (R 4.2, survival 3.5-3) on R's
``bladder2``, ``heart``, ``rotterdam`` and ``lung`` datasets, exported to
``cox_ext/data/*.csv``; R printed ``concordance.json``: ``fit$concordance`` (concordant,
discordant, tied.x counts, concordance, std) of ``coxph(..., control = coxph.control(eps =
1e-12, iter.max = 100))``. R computes it with ``concordancefit(Y, lp, strata, weights,
cluster, reverse = TRUE, timefix = FALSE)``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.cox import cox_fit
from hccdash.coxext.concordance import concordance_ag

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "concordance.json").read_text())
REL = 1e-6

# key -> (dataset, time, event, covariates, keyword arguments); the R call in the comment
MODELS = {
    # coxph(Surv(start, stop, event) ~ rx + number + size, cluster = id, bladder2)
    "bladder2_cluster": ("bladder2", "stop", "event", ["rx", "number", "size"],
                         {"start": "start", "cluster": "id"}),
    # coxph(Surv(start, stop, event) ~ rx + number + size + strata(enum), bladder2)
    "bladder2_strata": ("bladder2", "stop", "event", ["rx", "number", "size"],
                        {"start": "start", "strata": "enum"}),
    # coxph(Surv(start, stop, event) ~ surgery + transplant, heart): tied linear predictors
    "heart_ties": ("heart", "stop", "event", ["surgery", "transplant"], {"start": "start"}),
    # coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, weights = w, heart)
    # (R's robust variance with every row its own cluster; the fit says so in a warning)
    "heart_weights": ("heart", "stop", "event", ["age", "year", "surgery", "transplant"],
                      {"start": "start", "weights": "w"}),
    # coxph(Surv(start, stop, event) ~ age + surgery + transplant, weights = w,
    #       cluster = id, heart)
    "heart_weights_cluster": ("heart", "stop", "event", ["age", "surgery", "transplant"],
                              {"start": "start", "weights": "w", "cluster": "id"}),
    # coxph(Surv(dtime, death) ~ hormon + age + nodes, weights = ipw, rotterdam)
    "rotterdam_ipw": ("rotterdam", "dtime", "death", ["hormon", "age", "nodes"],
                      {"weights": "ipw"}),
    # coxph(Surv(time, dead) ~ sex + ph.ecog, weights = w, lung)
    "lung_weights": ("lung", "time", "dead", ["sex", "ph.ecog"], {"weights": "w"}),
    # coxph(Surv(time, dead) ~ age + sex + strata(inst), weights = w, lung): 18 strata
    "lung_weights_strata": ("lung", "time", "dead", ["age", "sex"],
                            {"weights": "w", "strata": "inst"}),
}  # fmt: skip


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("key", list(MODELS))
def test_concordance_matches_r(key, ties):
    """R: ``fit <- coxph(<MODELS[key]>, ties = ties, control = ctl)``;
    ``fit$concordance[c("concordance", "std")]``."""
    name, t, e, covs, kw = MODELS[key]
    r = R[f"{key}_{ties}"]
    res = cox_fit(pd.read_csv(REF / "data" / f"{name}.csv"), t, e, covs, ties=ties, **kw)
    assert res.n == r["n"]
    np.testing.assert_allclose([term.coef for term in res.terms], r["coef"], rtol=REL)
    assert res.concordance == pytest.approx(r["concordance"], rel=REL)
    assert res.concordance_se == pytest.approx(r["std"], rel=REL)
    if r.get("robust_se"):  # R's default robust variance (cluster, or non-integer weights)
        assert res.robust
        np.testing.assert_allclose([t.robust_se for t in res.terms], r["robust_se"], rtol=REL)
    else:
        assert not res.robust
    rows_as_patients = any("its own patient" in w for w in res.warnings)
    assert rows_as_patients == (key == "heart_weights")


def _arrays(key: str, ties: str = "efron"):
    from hccdash.coxext.fit import ext_data, fit_arrays

    name, t, e, covs, kw = MODELS[key]
    ed = ext_data(pd.read_csv(REF / "data" / f"{name}.csv"), t, e, covs, **kw)
    des, _rs, fit, _al = fit_arrays(ed, ties)
    return ed, des, des.x @ fit[0]


@pytest.mark.parametrize("key", list(MODELS))
def test_pair_counts_match_r(key):
    """R: ``fit$concordance[c("concordant", "discordant", "tied.x")]`` (weighted pairs)."""
    ed, des, lp = _arrays(key)
    c = concordance_ag(ed.start, ed.stop, des.event, lp, ed.weight, ed.strata, ed.cluster)
    np.testing.assert_allclose(
        [c.concordant, c.discordant, c.tied_x], R[f"{key}_efron"]["count"][:3], rtol=REL
    )


def test_right_censored_unweighted_agrees_with_the_plain_path():
    """Without start and weights the general routine gives the plain fit's concordance
    (R-checked in test_cox / test_coxext_fit), with strata and cluster."""
    d = pd.read_csv(REF / "data" / "colon.csv")
    res = cox_fit(d, "time", "status", ["rx", "age", "nodes"], strata="etype", cluster="id")
    from hccdash.coxext.fit import ext_data, fit_arrays

    ed = ext_data(d, "time", "status", ["rx", "age", "nodes"], strata="etype", cluster="id")
    des, _rs, fit, _al = fit_arrays(ed, "efron")
    c = concordance_ag(ed.start, ed.stop, des.event, des.x @ fit[0], None, ed.strata, ed.cluster)
    assert c.concordance == pytest.approx(res.concordance, rel=1e-12)
    assert c.std == pytest.approx(res.concordance_se, rel=1e-12)


def test_brute_force_pairs_on_random_intervals():
    """Every comparable pair enumerated directly (the definition in the module docstring)
    on random (start, stop] data with ties in time and risk, weights and two strata."""
    rng = np.random.default_rng(7)
    n = 60
    start = rng.integers(0, 5, n).astype(float)
    stop = start + rng.integers(1, 6, n)
    start[rng.random(n) < 0.3] = -np.inf
    event = (rng.random(n) < 0.6).astype(int)
    lp = rng.integers(0, 4, n).astype(float)
    w = rng.uniform(0.2, 2.0, n)
    s = rng.integers(0, 2, n)
    cl = rng.integers(0, 20, n)
    c = concordance_ag(start, stop, event, lp, w, s, cl)
    cnt = np.zeros(3)
    infl = np.zeros((n, 3))  # weighted pairs each row takes part in (as event or at risk)
    for j in np.flatnonzero(event):
        t = stop[j]
        risk = (s == s[j]) & (start < t) & ((stop > t) | ((stop == t) & (event == 0)))
        kinds = np.column_stack([lp < lp[j], lp > lp[j], lp == lp[j]]) & risk[:, None]
        pairs = (w[:, None] * kinds).sum(axis=0)  # as the event: weights of those at risk
        infl[j] += pairs
        infl += w[j] * kinds  # as the one at risk: the event's weight
        cnt += w[j] * pairs
    np.testing.assert_allclose([c.concordant, c.discordant, c.tied_x], cnt, rtol=1e-12)
    npair = cnt.sum()
    somer = (cnt[0] - cnt[1]) / npair
    assert c.concordance == pytest.approx((somer + 1) / 2, rel=1e-12)
    # R's dfbeta: w_k ((c_k - d_k) - (c_k + d_k + t_k) somer) / (2 npair), summed by cluster
    dfb = w * ((infl[:, 0] - infl[:, 1]) - infl.sum(axis=1) * somer) / (2 * npair)
    assert c.std == pytest.approx(np.sqrt((np.bincount(cl, weights=dfb) ** 2).sum()), rel=1e-12)


def test_no_events_gives_nan():
    c = concordance_ag(np.zeros(3), np.array([1.0, 2, 3]), np.zeros(3), np.arange(3.0))
    assert np.isnan(c.concordance) and np.isnan(c.std)

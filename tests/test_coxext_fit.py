"""Stratified, counting-process, weighted and robust Cox fits and cox.zph against R.

References: ``tests/reference/cox_ext/cox_ext_reference.R`` (R 4.2, survival 3.5-3) on R's
``colon``, ``cgd``, ``jasa1`` and ``pbc`` datasets, exported to ``cox_ext/data/*.csv``;
R printed ``cox_ext.json``. Every fit uses ``control = coxph.control(eps = 1e-12, iter.max =
100)``. String levels: R sorts ``"autosomal" < "X-linked"`` by locale collation, so cgd's
``inherit`` reference is given explicitly; ``sex`` likewise (a paper factor of that name has
its own default order).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.cox import cox_fit, cox_zph
from hccdash.errors import InputError

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "cox_ext.json").read_text())
REL = 1e-6
CGD_REF = {"sex": "female", "inherit": "autosomal"}


def _data(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / f"{name}.csv")
    if name == "pbc":
        d["logbili"] = np.log(d["bili"])
    return d


# key -> (dataset, time, event, covariates, keyword arguments), R call in the docstring below
MODELS = {
    # coxph(Surv(time, status) ~ rx + sex + age + obstruct + nodes + strata(etype), co)
    "colon_strata": ("colon", "time", "status", ["rx", "sex", "age", "obstruct", "nodes"],
                     {"strata": "etype"}),
    # ... + strata(etype), cluster = id, co
    "colon_cluster": ("colon", "time", "status", ["rx", "sex", "age", "obstruct", "nodes"],
                      {"strata": "etype", "cluster": "id"}),
    # coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids,
    #       cluster = id, cg)
    "cgd_cluster": ("cgd", "tstop", "status", ["treat", "sex", "age", "inherit", "steroids"],
                    {"start": "tstart", "cluster": "id", "reference": CGD_REF}),
    # coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + strata(hos.cat), cg)
    "cgd_strata": ("cgd", "tstop", "status", ["treat", "sex", "age", "inherit"],
                   {"start": "tstart", "strata": "hos.cat", "reference": CGD_REF}),
    # coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, jasa1)
    "jasa1": ("jasa1", "stop", "event", ["age", "year", "surgery", "transplant"],
              {"start": "start"}),
    # coxph(Surv(time, death) ~ treated + age + log(bili), weights = ipw, pb): robust default
    "pbc_ipw": ("pbc", "time", "death", ["treated", "age", "logbili"], {"weights": "ipw"}),
    # coxph(Surv(time, death) ~ treated + age + albumin + strata(edema), weights = fw, pb)
    "pbc_fw_strata": ("pbc", "time", "death", ["treated", "age", "albumin"],
                      {"weights": "fw", "strata": "edema"}),
}  # fmt: skip


def _fit(key: str, ties: str):
    name, t, e, covs, kw = MODELS[key]
    return cox_fit(_data(name), t, e, covs, ties=ties, **kw)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("key", list(MODELS))
def test_extended_fit_matches_r(key, ties):
    """R: ``fit <- coxph(<MODELS[key]>, ties = ties, control = ctl)``; ``coef(fit)``,
    ``sqrt(diag(fit$naive.var %||% fit$var))``, ``sqrt(diag(fit$var))`` (robust),
    ``fit$loglik``, ``fit$wald.test``, ``fit$score``, ``fit$rscore``, ``fit$concordance``."""
    r = R[f"{key}_{ties}"]
    res = _fit(key, ties)
    assert res.n == r["n"] and res.events == r["nevent"]
    np.testing.assert_allclose([t.coef for t in res.terms], r["coef"], rtol=REL)
    np.testing.assert_allclose([t.se for t in res.terms], r["se"], rtol=REL)
    assert res.loglik_null == pytest.approx(r["loglik"][0], rel=REL)
    assert res.loglik == pytest.approx(r["loglik"][1], rel=REL)
    assert res.likelihood_ratio.chisq == pytest.approx(r["lr"], rel=REL)
    assert res.wald.chisq == pytest.approx(r["wald"], rel=REL)
    assert res.score.chisq == pytest.approx(r["score"], rel=REL)
    if "robust_se" in r:
        assert res.robust
        np.testing.assert_allclose([t.robust_se for t in res.terms], r["robust_se"], rtol=REL)
        assert res.robust_score.chisq == pytest.approx(r["rscore"], rel=REL)
        # z and the interval use the robust SE, as summary(coxph) does
        t0 = res.terms[0]
        assert t0.z == pytest.approx(t0.coef / t0.robust_se, rel=1e-12)
    else:
        assert not res.robust
        assert all(t.robust_se is None for t in res.terms)
    # (start, stop] and weighted fits too (R's concordance4 / weighted concordance3)
    assert res.concordance == pytest.approx(r["concordance"], rel=REL)
    assert res.concordance_se == pytest.approx(r["concordance_se"], rel=REL)


def test_robust_without_cluster_uses_rows():
    """R: ``coxph(Surv(time, status) ~ rx + age + strata(etype), robust = TRUE, co)``."""
    r = R["colon_robust_rows"]
    res = cox_fit(_data("colon"), "time", "status", ["rx", "age"], strata="etype", robust=True)
    np.testing.assert_allclose([t.robust_se for t in res.terms], r["robust_se"], rtol=REL)
    assert res.n_clusters == res.n
    assert res.wald.chisq == pytest.approx(r["wald"], rel=REL)
    assert res.robust_score.chisq == pytest.approx(r["rscore"], rel=REL)


ZPH = {
    "colon_strata_zph": "colon_strata",
    "cgd_strata_zph": "cgd_strata",
    "jasa1_zph": "jasa1",
    "pbc_ipw_zph": "pbc_ipw",
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("key", list(ZPH))
def test_zph_strata_and_counting_process_match_r(key, ties):
    """R: ``z <- cox.zph(fit)`` for the stratified / (start, stop] / weighted fits above:
    ``z$table`` (chisq, df, p), ``z$x``, ``z$time`` and the scaled Schoenfeld residuals
    ``z$y``."""
    name, t, e, covs, kw = MODELS[ZPH[key]]
    kw = {k: v for k, v in kw.items() if k in ("strata", "start", "reference", "weights")}
    z = cox_zph(_data(name), t, e, covs, ties=ties, **kw)
    r = R[f"{key}_{ties}"]
    # R names the term log(bili); our column is logbili
    assert [row.term for row in z.rows] == [t.replace("log(bili)", "logbili") for t in r["terms"]]
    np.testing.assert_allclose([row.chisq for row in z.rows], r["chisq"], rtol=REL)
    np.testing.assert_allclose([row.p_value for row in z.rows], r["p"], rtol=REL)
    assert [row.df for row in z.rows] == r["df"]
    np.testing.assert_allclose(z.time, r["x"], rtol=REL)
    np.testing.assert_allclose(z.event_time, r["time"], rtol=1e-14)
    np.testing.assert_allclose(z.residuals, np.array(r["y"], dtype=float), rtol=REL, atol=1e-9)


def test_plain_fit_is_unchanged_and_has_no_robust_se():
    d = _data("colon")
    res = cox_fit(d, "time", "status", ["age", "nodes"])
    assert res.robust is False and res.strata == ()
    assert all(t.robust_se is None for t in res.terms)


def test_bad_intervals_weights_and_roles_are_clear_errors():
    d = _data("jasa1")
    bad = d.assign(start=d["stop"])  # zero-length intervals
    with pytest.raises(InputError, match=r"Column 'start': 170 row\(s\)"):
        cox_fit(bad, "stop", "event", ["age"], start="start")
    w = _data("pbc").assign(ipw=lambda f: f["ipw"].where(f.index > 2, -1.0))
    with pytest.raises(InputError, match=r"Column 'ipw': 3 weight\(s\)"):
        cox_fit(w, "time", "death", ["age"], weights="ipw")
    with pytest.raises(InputError, match="one role"):
        cox_fit(_data("colon"), "time", "status", ["age", "etype"], strata="etype")
    # robust (start, stop] without an id: R's rows-as-clusters variance, with a warning
    rows = cox_fit(d, "stop", "event", ["age"], start="start", robust=True)
    assert rows.robust and rows.n_clusters == rows.n
    assert any("cluster column" in w for w in rows.warnings)
    with pytest.raises(InputError, match="Firth"):
        cox_fit(_data("colon"), "time", "status", ["age"], strata="etype", penalized=True)

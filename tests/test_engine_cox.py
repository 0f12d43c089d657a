"""Cox on the engine (per-time sums per Newton step, or per covariate pattern) equals
``hccdash.cox.cox_fit`` to 1e-10, and so R's ``coxph``.

Fixtures: ``tests/reference/cox/`` (``cox_reference.R``: ``coxph(Surv(time, status) ~ ...,
ties = ties, control = coxph.control(eps = 1e-12, iter.max = 100))``), loaded as
tests/test_cox.py loads them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_cox import CASES, SPECS, load

from hccdash import cox, synth
from hccdash.engine import cox as ecox
from hccdash.engine import open_source
from hccdash.errors import AnalysisError

REL = 1e-10


def same_fit(ours: cox.CoxResult, ref: cox.CoxResult, rel: float = REL) -> None:
    assert [t.term for t in ours.terms] == [t.term for t in ref.terms]
    assert (ours.n, ours.events, ours.dropped) == (ref.n, ref.events, ref.dropped)
    assert ours.iterations == ref.iterations
    assert ours.converged == ref.converged
    for a, b in zip(ours.terms, ref.terms, strict=True):
        assert a.coef == pytest.approx(b.coef, rel=rel, abs=1e-12)
        assert a.se == pytest.approx(b.se, rel=rel)
        assert a.p_value == pytest.approx(b.p_value, rel=1e-8, abs=1e-300)
    assert ours.loglik == pytest.approx(ref.loglik, rel=rel)
    assert ours.loglik_null == pytest.approx(ref.loglik_null, rel=rel)
    for t in ("likelihood_ratio", "wald", "score"):
        assert getattr(ours, t).chisq == pytest.approx(getattr(ref, t).chisq, rel=1e-9)
    assert ours.separated_terms == ref.separated_terms


@pytest.mark.parametrize("path", ["patterns", "steps"])
@pytest.mark.parametrize(("name", "ties"), CASES)
def test_engine_cox_equals_cox_fit(name, ties, path, monkeypatch):
    """R: coxph(..., ties = ties) via cox_fit (test_cox checks it against cox_coef.csv), by
    the pattern table and by one engine aggregation per Newton step."""
    if path == "steps":
        monkeypatch.setattr(ecox, "PATTERN_ROWS", 0)
    _csv, time, event, covs, ref_levels, _ = SPECS[name]
    data = load(name)
    ours = ecox.cox_fit(open_source(data), time, event, covs, ties=ties, reference=ref_levels)
    same_fit(ours, cox.cox_fit(data, time, event, covs, ties=ties, reference=ref_levels))
    assert np.isnan(ours.concordance)
    assert any("Concordance" in w for w in ours.warnings)


def test_engine_cox_matches_r_directly():
    """R: summary(coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro +
    relevel(prio_group, "1-3"), rossi, ties = "efron"))$coefficients (cox_coef.csv)."""
    r = pd.read_csv("tests/reference/cox/cox_coef.csv")
    r = r[(r.dataset == "rossi") & (r.ties == "efron")]
    _csv, time, event, covs, ref_levels, _ = SPECS["rossi"]
    fit = ecox.cox_fit(open_source(load("rossi")), time, event, covs, reference=ref_levels)
    np.testing.assert_allclose([t.coef for t in fit.terms], r.coef, rtol=1e-6)
    np.testing.assert_allclose([t.se for t in fit.terms], r.se, rtol=1e-6)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_categorical_design_uses_patterns_and_matches(ties):
    """All covariates categorical: one GROUP BY (time, pattern), no per-step query."""
    data = load("rossi")
    src = open_source(data)
    des = ecox.design(src, "week", "arrest", ["fin", "prio_group"], categorical=["fin"])
    assert des.categorical
    rs = ecox._EngineRiskSets(src, des, ties)
    ours = ecox.cox_fit(
        src, "week", "arrest", ["fin", "prio_group"], categorical=["fin"], ties=ties
    )
    ref = cox.cox_fit(data, "week", "arrest", ["fin", "prio_group"], categorical=["fin"], ties=ties)
    same_fit(ours, ref)
    rs.derivs(np.zeros(len(des.terms)))
    assert rs.passes == 0


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("block", [1, 7, 1 << 20])
def test_efron_sums_in_blocks_equal_the_loop_over_deaths(monkeypatch, ties, block):
    """efron_sums sums scalars per death term in blocks of whole times; any block size gives
    coxfit6's loop over deaths (written out here term by term: s0 = R0 - f D0, a = s1 / s0,
    f = k / m for Efron, 0 for Breslow), including a time where every patient at risk dies."""
    monkeypatch.setattr(ecox, "_BLOCK", block)
    rng = np.random.default_rng(3)
    tn, p = 9, 3
    x = rng.normal(size=(40, p))
    w = np.exp(x @ np.array([0.3, -0.2, 0.5]))
    time = np.sort(rng.integers(0, tn, size=40)).astype(float)
    dead = rng.random(40) < 0.6
    dead[time == tn - 1] = True
    sums = {"t": np.arange(tn, dtype=float), "d": np.zeros(tn)}
    for k in ("r0", "d0"):
        sums[k] = np.zeros(tn)
    for k in ("r1", "d1"):
        sums[k] = np.zeros((tn, p))
    for k in ("r2", "d2"):
        sums[k] = np.zeros((tn, p, p))
    for i in range(40):
        j, xx = int(time[i]), np.outer(x[i], x[i])
        for pre, on in (("r", True), ("d", dead[i])):
            if on:
                sums[f"{pre}0"][j] += w[i]
                sums[f"{pre}1"][j] += x[i] * w[i]
                sums[f"{pre}2"][j] += xx * w[i]
        sums["d"][j] += dead[i]
    beta, sum_dx = np.array([0.3, -0.2, 0.5]), x[dead].sum(axis=0)
    loglik, u, imat = ecox.efron_sums(sums, beta, sum_dx, 0.0, ties)
    ll, uu, ii = beta @ sum_dx, sum_dx.copy(), np.zeros((p, p))
    for j in range(tn):
        m = int(sums["d"][j])
        rr = [sum(sums[f"r{q}"][jj] for jj in range(j, tn)) for q in range(3)]
        for k in range(m):
            f = k / m if ties == "efron" else 0.0
            s0 = rr[0] - f * sums["d0"][j]
            a = (rr[1] - f * sums["d1"][j]) / s0
            ll -= np.log(s0)
            uu -= a
            ii += (rr[2] - f * sums["d2"][j]) / s0 - np.outer(a, a)
    assert loglik == pytest.approx(ll, rel=1e-12)
    np.testing.assert_allclose(u, uu, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(imat, ii, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("limit", [0, 10, 1_000_000])
def test_synthetic_cohort_with_filters(monkeypatch, limit):
    """A synthetic cohort, filtered on the engine: per-step queries (limit 0, or more
    patterns than the limit) and the pattern table give cox_fit's fit."""
    monkeypatch.setattr(ecox, "PATTERN_ROWS", limit)
    data = synth.generate(4000, seed=11)
    src = open_source(data)
    covs = ["age_years", "kps", "child_pugh", "treatment"]
    ours = ecox.cox_fit(src, "os_months", "os_event", covs, filters={"ascites": ["No"]})
    ref = cox.cox_fit(data[data.ascites == "No"], "os_months", "os_event", covs)
    same_fit(ours, ref)


def test_engine_cox_messages():
    data = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 0], "x": [1.0, 1, 1, 1]})
    with pytest.raises(AnalysisError, match="constant"):
        ecox.cox_fit(open_source(data), "t", "e", ["x"])
    data["y"] = 2 * data["x"] + [0.0, 1, 0, 1]
    data["z"] = data["y"] * 3
    with pytest.raises(AnalysisError, match="collinear"):
        ecox.cox_fit(open_source(data), "t", "e", ["y", "z"])
    data["e"] = 0
    with pytest.raises(AnalysisError, match="no events"):
        ecox.cox_fit(open_source(data), "t", "e", ["y"])


ONE_FACTOR = {"veterans": ("time", "status", "celltype"), "gbsg2": ("time", "cens", "tgrade")}


def _curve_counts(data, time, event, group, levels):
    """Rows and events per level and distinct time, as a KM count table holds them."""
    from hccdash.nonparametric import kaplan_meier

    km = kaplan_meier(data, time, event, group)
    curves = {c.group: c for c in km.curves}
    return {lev: (curves[lev].time, curves[lev].n_event, curves[lev].n_censor) for lev in levels}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("name", list(ONE_FACTOR))
def test_cox_from_counts_matches_r_and_the_fit_on_rows(name, ties):
    """R (tests/reference/cox/one_factor.R): ``coxph(Surv(time, status) ~ factor(celltype,
    levels = c("large", "adeno", "smallcell", "squamous")), veterans, ties = ties)`` and
    ``coxph(Surv(time, cens) ~ factor(tgrade, levels = c("II", "I", "III")), GBSG2)``: the
    one-factor model from the KM curves' counts has R's coefficients, SEs and tests, and
    equals ``cox.cox_fit`` on the rows."""
    time, event, group = ONE_FACTOR[name]
    r = pd.read_csv("tests/reference/cox/one_factor_r.csv")
    r = r[(r.dataset == name) & (r.ties == ties)]
    data = pd.read_csv(f"tests/reference/cox/{name}.csv")
    reference = {"veterans": "large", "gbsg2": "II"}[name]
    levels = [reference, *r.level]
    ours = ecox.cox_from_counts(group, _curve_counts(data, time, event, group, levels), ties=ties)
    assert [t.level for t in ours.terms] == list(r.level)
    np.testing.assert_allclose([t.coef for t in ours.terms], r.coef, rtol=1e-6)
    np.testing.assert_allclose([t.se for t in ours.terms], r.se, rtol=1e-6)
    assert ours.likelihood_ratio.chisq == pytest.approx(r.lr.iloc[0], rel=1e-6)
    assert ours.wald.chisq == pytest.approx(r.wald.iloc[0], rel=1e-6)
    assert ours.score.chisq == pytest.approx(r.score.iloc[0], rel=1e-6)
    rows = cox.cox_fit(
        data, time, event, [group], ties=ties, reference={group: reference}, categorical=[group]
    )
    same_fit(ours, rows)


def test_cox_from_counts_needs_two_levels_with_patients():
    data = pd.read_csv("tests/reference/cox/veterans.csv")
    counts = _curve_counts(data, "time", "status", "celltype", ["large", "adeno"])
    empty = (np.array([]), np.array([]), np.array([]))
    with pytest.raises(AnalysisError, match="1 level"):
        ecox.cox_from_counts("celltype", {"large": counts["large"], "none": empty})

"""Properties every Kaplan-Meier curve and log-rank test must have, on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import hccdash.compare.kernel as compare_kernel
import hccdash.nonparametric.counting as counting
from hccdash.compare import survdiff
from hccdash.nonparametric import kaplan_meier, km_curve, median_survival, rmst

CONF_TYPES = ("log-log", "log", "plain")

samples = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.one_of(
                st.integers(min_value=0, max_value=15).map(float),  # many ties, zeros
                st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False),
            ),
            min_size=n,
            max_size=n,
        ),
        st.lists(st.integers(min_value=0, max_value=1), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=100, deadline=None)
@given(samples, st.sampled_from(CONF_TYPES), st.floats(min_value=0.5, max_value=0.99))
def test_curve_properties(sample, conf_type, conf_level):
    time, event, _ = sample
    c = km_curve(time, event, conf_type=conf_type, conf_level=conf_level)
    n = len(time)
    # bookkeeping: one entry per distinct time, risk sets shrink by events + censorings
    # distinct observed times (R's timefix may merge floating-point near-ties like 0 and
    # 1e-300 into the first of them), ascending
    assert set(c.time.tolist()) <= set(time)
    assert np.all(np.diff(c.time) > 0)
    assert (c.n_event + c.n_censor).sum() == n
    assert c.n_risk[0] == n
    np.testing.assert_array_equal(c.n_risk[1:], (c.n_risk - c.n_event - c.n_censor)[:-1])
    assert c.n_event.sum() == sum(event) == c.events
    # the curve: finite, in [0, 1], non-increasing, starting from 1
    assert np.all(np.isfinite(c.surv))
    assert np.all((c.surv >= 0) & (c.surv <= 1))
    assert np.all(np.diff(c.surv) <= 0)
    assert c.surv[0] == pytest.approx(1 - c.n_event[0] / n, rel=1e-12)
    # bands: lower <= surv <= upper wherever defined; undefined only once S reaches 0
    defined = ~np.isnan(c.lower)
    np.testing.assert_array_equal(defined, ~np.isnan(c.upper))
    assert np.all(~defined == (c.surv == 0))
    tol = 1e-12
    assert np.all(c.lower[defined] <= c.surv[defined] + tol)
    assert np.all(c.surv[defined] <= c.upper[defined] + tol)
    assert np.all((c.lower[defined] >= 0) & (c.upper[defined] <= 1 + tol))
    # median inside its CI when all three exist, and on an observed time or a step midpoint
    m = median_survival(c)
    if m.median is not None:
        assert c.time[0] <= m.median <= c.time[-1]
        if m.lower is not None:
            assert m.lower <= m.median
        if m.upper is not None:
            assert m.median <= m.upper
    # RMST between 0 and tau, and non-decreasing in tau
    tau = float(max(time)) + 1.0
    r1, r2 = rmst(c, tau / 2), rmst(c, tau)
    assert 0 <= r1.estimate <= tau / 2 + 1e-9
    assert r1.estimate <= r2.estimate + 1e-9 and r2.se >= 0


int_samples = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=1000).map(float), min_size=n, max_size=n),
        st.lists(st.integers(min_value=0, max_value=1), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=50, deadline=None)
@given(int_samples)
def test_grouped_equals_one_curve_per_subset(sample):
    """Whole-number times (no floating-point near-ties, which R's timefix merges over the
    pooled data): each group's curve is the curve of its rows alone."""
    time, event, group = sample
    data = pd.DataFrame({"t": time, "e": event, "g": group})
    km = kaplan_meier(data, "t", "e", "g")
    assert km.levels == tuple(sorted(set(group)))
    for c in km.curves:
        sub = data[data["g"] == c.group]
        alone = km_curve(sub["t"], sub["e"])
        np.testing.assert_array_equal(c.time, alone.time)
        np.testing.assert_array_equal(c.surv, alone.surv)
        np.testing.assert_array_equal(c.n_risk, alone.n_risk)


def test_packed_sort_equals_argsort_fallback(monkeypatch):
    """The packed-key value sort and the plain argsort path give identical counts."""
    rng = np.random.default_rng(11)
    n = 5000
    data = pd.DataFrame(
        {
            "t": np.r_[rng.exponential(20, n - 100).round(1), np.zeros(100)],
            "e": rng.integers(0, 2, n),
            "g": rng.integers(0, 5, n),
        }
    )
    fast = kaplan_meier(data, "t", "e", "g")
    fast_test = survdiff(data, "t", "e", "g", method="tarone-ware")
    monkeypatch.setattr(counting, "_key_bits", lambda time: None)
    monkeypatch.setattr(compare_kernel, "_key_bits", lambda time: None)
    slow = kaplan_meier(data, "t", "e", "g")
    slow_test = survdiff(data, "t", "e", "g", method="tarone-ware")
    for a, b in zip(fast.curves, slow.curves, strict=True):
        np.testing.assert_array_equal(a.time, b.time)
        np.testing.assert_array_equal(a.n_risk, b.n_risk)
        np.testing.assert_array_equal(a.n_event, b.n_event)
        np.testing.assert_array_equal(a.surv, b.surv)
    assert fast_test.chisq == pytest.approx(slow_test.chisq, rel=1e-12)


def test_extreme_time_range_takes_the_fallback_and_stays_exact():
    """Times from 1e-300 to 5 do not fit the packed key (~1000 binary exponents); the
    argsort fallback gives the same exact counts."""
    t = [1e-300, 5.0, 5.0, 2.0, 1.0, 3.0]
    e = [1, 1, 0, 1, 0, 1]
    assert counting._key_bits(np.array(t))[2] + 1 > 62
    c = km_curve(t, e)
    assert c.time.tolist() == [1e-300, 1.0, 2.0, 3.0, 5.0]
    assert c.n_risk.tolist() == [6, 5, 4, 3, 2]
    assert c.n_event.tolist() == [1, 0, 1, 1, 1]
    assert c.surv[-1] == pytest.approx(5 / 6 * 3 / 4 * 2 / 3 * 1 / 2, rel=1e-12)


def test_agrees_with_lifelines_on_random_data():
    """lifelines' KaplanMeierFitter and logrank test are independent implementations."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(3)
    n = 400
    t = rng.exponential(10, n).round(1)
    e = rng.integers(0, 2, n)
    g = rng.integers(0, 3, n)
    c = km_curve(t, e)
    kmf = KaplanMeierFitter().fit(t, e)
    sf = kmf.survival_function_.loc[c.time].to_numpy().ravel()
    np.testing.assert_allclose(c.surv, sf, rtol=1e-10)
    lo = kmf.confidence_interval_.loc[c.time].to_numpy()
    np.testing.assert_allclose(c.lower[c.surv > 0], lo[c.surv > 0, 0], rtol=1e-8)
    res = survdiff(pd.DataFrame({"t": t, "e": e, "g": g}), "t", "e", "g")
    ll = multivariate_logrank_test(t, g, e)
    assert res.chisq == pytest.approx(ll.test_statistic, rel=1e-8)


@settings(max_examples=40, deadline=None)
@given(samples)
def test_survdiff_is_order_free_and_nonnegative(sample):
    time, event, group = sample
    data = pd.DataFrame({"t": time, "e": event, "g": group})
    assume(data["g"].nunique() >= 2 and data["e"].sum() > 0)  # a test needs groups and events
    res = survdiff(data, "t", "e", "g", method="wilcoxon")
    shuffled = survdiff(data.iloc[::-1], "t", "e", "g", method="wilcoxon")
    assert res.chisq >= -1e-9
    assert res.chisq == pytest.approx(shuffled.chisq, rel=1e-9, abs=1e-12)
    assert 0 <= res.p_value <= 1
    np.testing.assert_allclose(res.observed.sum(), res.expected.sum(), rtol=1e-9)

"""Log-rank family, stratified, trend and pairwise tests against R's survival.

Reference values: ``tests/reference/km/km_reference.R`` (R 4.2, survival 3.5.3); weighted
tests R has no survdiff option for (Gehan-Breslow, Tarone-Ware, Fleming-Harrington(p, q)) are
written out in that script with explicit weights, and the script checks its own code against
``survdiff(rho=0)`` and ``survdiff(rho=1)`` before saving.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.compare import (
    ChisqTest,
    p_adjust,
    pairwise_survdiff,
    survdiff,
    trend_test,
)
from hccdash.errors import AnalysisError, InputError

REF = Path(__file__).parent / "reference" / "km"
DATASETS = ("lung", "waltons", "veterans", "gbsg2", "hand", "nearties")
REL = 1e-6


def _fixture(name: str) -> dict:
    return json.loads((REF / "fixtures" / f"{name}.json").read_text())


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / f"{name}.csv")


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(
    ("rho_key", "method", "p"),
    [("rho0", "logrank", 0.0), ("rho1", "peto", 0.0), ("rho0.5", "fleming-harrington", 0.5)],
)
def test_survdiff_matches_r(name, rho_key, method, p):
    """R: survdiff(Surv(time, status) ~ <group>, data, rho = 0 | 1 | 0.5)

    (rho = 0: log-rank; rho = 1: Peto-Peto; rho = 0.5: Fleming-Harrington(0.5, 0)).
    """
    ref = _fixture(name)
    r = ref["survdiff"][rho_key]
    res = survdiff(_data(name), "time", "status", ref["group"], method=method, p=p)
    assert res.groups == tuple(r["groups"])
    assert res.n.tolist() == r["n"]
    np.testing.assert_allclose(res.observed, r["observed"], rtol=REL)
    np.testing.assert_allclose(res.expected, r["expected"], rtol=REL)
    np.testing.assert_allclose(res.var, np.array(r["var"]), rtol=REL, atol=1e-9)
    assert res.chisq == pytest.approx(r["chisq"], rel=REL)
    assert res.df == r["df"]
    assert res.p_value == pytest.approx(r["p_value"], rel=REL)


WEIGHTED = [
    ("logrank", "logrank", 0.0, 0.0),
    ("wilcoxon", "wilcoxon", 0.0, 0.0),
    ("tarone-ware", "tarone-ware", 0.0, 0.0),
    ("peto", "peto", 0.0, 0.0),
    ("fh_0_1", "fleming-harrington", 0.0, 1.0),
    ("fh_1_1", "fleming-harrington", 1.0, 1.0),
    ("fh_0.5_0.5", "fleming-harrington", 0.5, 0.5),
    ("fh_2_0", "fleming-harrington", 2.0, 0.0),
]


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("key", "method", "p", "q"), WEIGHTED)
def test_weighted_logrank_matches_explicit_r(name, key, method, p, q):
    """R: wlr(time, status, group, w) in km_reference.R, the weighted log-rank written out:
    w = n (Gehan-Breslow), sqrt(n) (Tarone-Ware), S(t-)^p (1 - S(t-))^q (Fleming-Harrington).
    """
    ref = _fixture(name)
    r = ref["weighted"][key]
    res = survdiff(_data(name), "time", "status", ref["group"], method=method, p=p, q=q)
    np.testing.assert_allclose(res.observed, r["observed"], rtol=REL)
    np.testing.assert_allclose(res.expected, r["expected"], rtol=REL)
    assert res.chisq == pytest.approx(r["chisq"], rel=REL)
    assert res.df == r["df"]
    assert res.p_value == pytest.approx(r["p_value"], rel=REL)


@pytest.mark.parametrize("name", ["lung", "veterans", "gbsg2"])
@pytest.mark.parametrize(
    ("key", "method"), [("stratified", "logrank"), ("stratified_rho1", "peto")]
)
def test_stratified_logrank_matches_r(name, key, method):
    """R: survdiff(Surv(time, status) ~ <group> + strata(<strata>), data, rho = 0 | 1)

    (rho = 1: the pooled Kaplan-Meier weights are computed within each stratum).
    """
    ref = _fixture(name)
    r = ref[key]
    res = survdiff(_data(name), "time", "status", ref["group"], strata=r["strata"], method=method)
    # R's obs/exp are groups x strata matrices (flattened column-major): sum over strata
    k = len(res.groups)
    np.testing.assert_allclose(res.observed, np.reshape(r["observed"], (-1, k)).sum(0), rtol=REL)
    np.testing.assert_allclose(res.expected, np.reshape(r["expected"], (-1, k)).sum(0), rtol=REL)
    assert res.chisq == pytest.approx(r["chisq"], rel=REL)
    assert res.p_value == pytest.approx(r["p_value"], rel=REL)
    name = "Log-rank" if method == "logrank" else "Peto-Peto"
    assert res.label == f"{name}, stratified by {r['strata']}"


@pytest.mark.parametrize("name", ["lung", "gbsg2"])
def test_trend_test_matches_r(name):
    """R: s <- survdiff(Surv(time, status) ~ <var>, data); U <- s$obs - s$exp;
    sum(scores * U)^2 / (t(scores) %*% s$var %*% scores), scores = level values and 1..k.
    """
    ref = _fixture(name)
    r = ref["trend"]
    data = _data(name)
    res = trend_test(data, "time", "status", r["var"])
    assert res.scores == tuple(float(s) for s in r["scores"])
    assert res.chisq == pytest.approx(r["chisq"], rel=REL)
    assert res.p_value == pytest.approx(r["p_value"], rel=REL)
    k = len(r["levels"])
    res2 = trend_test(data, "time", "status", r["var"], scores=list(range(1, k + 1)))
    assert res2.chisq == pytest.approx(ref["trend_equal_spaced"]["chisq"], rel=REL)
    assert res2.to_frame().loc[0, "df"] == 1


@pytest.mark.parametrize("name", ["lung", "veterans", "gbsg2"])
@pytest.mark.parametrize(("rkey", "method"), [("logrank", "logrank"), ("peto", "peto")])
@pytest.mark.parametrize(("adjust", "field"), [("holm", "p_holm"), ("BH", "p_bh")])
def test_pairwise_matches_r(name, rkey, method, adjust, field):
    """R (survminer::pairwise_survdiff's algorithm): for each pair i < j,
    survdiff(Surv(time, status) ~ <var>, subset, rho = 0 | 1); p.adjust(p, "holm" | "BH").
    """
    ref = _fixture(name)
    rows = ref["pairwise"][rkey]
    res = pairwise_survdiff(
        _data(name), "time", "status", ref["pairwise"]["var"], method=method, adjust=adjust
    )
    assert len(res.rows) == len(rows)
    for ours, theirs in zip(res.rows, rows, strict=True):
        assert (ours.group_a, ours.group_b) == (theirs["group_a"], theirs["group_b"])
        assert ours.chisq == pytest.approx(theirs["chisq"], rel=REL)
        assert ours.p_value == pytest.approx(theirs["p_value"], rel=REL)
        assert ours.p_adjusted == pytest.approx(theirs[field], rel=REL)
    frame = res.to_frame()
    assert frame["adjust"].unique().tolist() == [adjust]


def test_p_adjust_equals_r_on_a_known_vector():
    """R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "holm") = 0.04 0.09 0.09 0.2;
    p.adjust(c(0.01, 0.04, 0.03, 0.2), "BH") = 0.04 0.05333333 0.05333333 0.2.
    """
    p = [0.01, 0.04, 0.03, 0.2]
    assert p_adjust(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.2], rel=1e-12)
    assert p_adjust(p, "BH") == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2], rel=1e-12)
    assert p_adjust(p, "none").tolist() == p


def test_fh_0_0_is_logrank_and_fh_1_0_is_peto():
    data = _data("veterans")
    lr = survdiff(data, "time", "status", "celltype")
    fh = survdiff(data, "time", "status", "celltype", method="fleming-harrington")
    assert fh.chisq == pytest.approx(lr.chisq, rel=1e-12)
    peto = survdiff(data, "time", "status", "celltype", method="peto")
    fh10 = survdiff(data, "time", "status", "celltype", method="fleming-harrington", p=1)
    assert fh10.chisq == pytest.approx(peto.chisq, rel=1e-12)
    assert fh10.label == "Fleming-Harrington(1, 0)"


def test_one_group_and_no_events_are_analysis_errors():
    data = _data("hand")
    with pytest.raises(AnalysisError, match="1 group"):
        survdiff(data[data["grp"] == "A"], "time", "status", "grp")
    none = data.assign(status=0)
    with pytest.raises(AnalysisError, match="no events"):
        survdiff(none, "time", "status", "grp")
    with pytest.raises(AnalysisError, match="no events"):
        pairwise_survdiff(none, "time", "status", "grp")
    with pytest.raises(InputError, match="'gehan'"):
        survdiff(data, "time", "status", "grp", method="gehan")
    with pytest.raises(InputError, match="2 scores"):
        trend_test(_data("gbsg2"), "time", "status", "tgrade", scores=[1, 2])


def test_survdiff_frame_and_chisq_test():
    """R: survdiff(Surv(time, status) ~ ph_ecog, lung) prints (O-E)^2/E 5.4331 0.0279 ..."""
    res = survdiff(_data("lung"), "time", "status", "ph_ecog")
    frame = res.to_frame()
    assert frame["(O-E)^2/E"].round(4).tolist() == [5.4331, 0.0279, 12.1893, 3.9733]
    assert frame["events"].tolist() == [37, 82, 44, 1]
    assert isinstance(res.test, ChisqTest)
    assert res.test.chisq == res.chisq
    assert math.isclose(res.test.to_frame().loc[0, "p_value"], res.p_value)


# ----------------------------------------------------------------------------------------
# The one counting kernel of the tests (compare._event_table)
# ----------------------------------------------------------------------------------------
def _brute_event_table(time, event, codes, k):
    """Events and numbers at risk per group at each distinct event time, by definition."""
    times = np.unique(time[event == 1])
    dk = np.array(
        [[np.sum((time == t) & (event == 1) & (codes == g)) for t in times] for g in range(k)]
    )
    nk = np.array([[np.sum((time >= t) & (codes == g)) for t in times] for g in range(k)])
    return dk.reshape(k, times.size), nk.reshape(k, times.size)


def test_counting_kernel_docstring_examples():
    import doctest

    from hccdash.compare import kernel, pairwise

    for module in (kernel, pairwise):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 70])
def test_counting_kernel_equals_definition(seed, k):
    """Integer times (many ties), a group without events, zeros and the no-event-at-all case;
    70 groups need more than one int64 word of any packed layout; huge times take the argsort
    path (their keys do not fit beside the group bits)."""
    from hccdash.compare import _event_table

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    time = rng.integers(0, 30, n).astype(float)
    if seed == 4:
        time = time * 1e300 + rng.random(n) * 1e-300  # extreme range: argsort fallback
    event = rng.integers(0, 2, n) if seed != 5 else np.zeros(n, dtype=np.int64)
    codes = rng.integers(0, k, n)
    codes[codes == k - 1] = 0 if k > 1 else codes[codes == k - 1]  # one empty group
    dk, nk = _event_table(time, event.astype(np.int64), codes.astype(np.int64), k, merge=False)
    want_d, want_n = _brute_event_table(time, event, codes, k)
    np.testing.assert_array_equal(dk, want_d)
    np.testing.assert_array_equal(nk, want_n)
    assert dk.dtype == nk.dtype == np.float64


def test_one_registry_of_test_names():
    """The page, the journal tables, the figures and both CLIs name the tests from
    compare.METHOD_NAMES: a test added there appears everywhere with the same name."""
    import hccdash.cli.analyze as cli
    from hccdash.compare import METHOD_NAMES, METHODS, SurvdiffResult
    from hccdash.plotting.common import TEST_NAMES as FIGURE_NAMES
    from hccdash.report.survival_tables import TEST_NAMES as TABLE_NAMES
    from hccdash.ui.km_view import TESTS as PAGE_NAMES

    assert METHODS == tuple(METHOD_NAMES) == cli.TESTS
    for registry in (FIGURE_NAMES, TABLE_NAMES, PAGE_NAMES):
        assert tuple(registry) == METHODS
    for key, name in METHOD_NAMES.items():
        assert FIGURE_NAMES[key] == name
        assert PAGE_NAMES[key].startswith(name)
        assert TABLE_NAMES[key].lower() == f"{name} test".lower()
    assert METHOD_NAMES["wilcoxon"] == "Gehan-Breslow (generalized Wilcoxon)"
    res = survdiff(
        pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 1, 1, 0], "g": list("abab")}),
        "t",
        "e",
        "g",
        method="fleming-harrington",
        p=1,
        q=0,
    )
    assert isinstance(res, SurvdiffResult) and res.label == "Fleming-Harrington(1, 0)"

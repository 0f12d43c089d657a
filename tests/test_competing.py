"""Competing risks against R's cmprsk 2.2-11 (R 4.2.2, survival 3.5-3).

Fixtures: ``tests/reference/competing/competing.R`` ran on ``survival::mgus2`` (progression,
death without progression competing; months, 1384 patients, 268 distinct times: heavy ties)
and ``survival::pbc`` (status 0 censored / 1 transplant / 2 death; days, and ``years =
ceiling(time / 365.25)`` for heavy ties; stage 1 and edema 1 have no transplant: groups
without a competing event). The data it read are the CSVs beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hccdash.competing import EventCodes, cif_at, cuminc, pairwise_gray, prepare, risk_table
from hccdash.competing.finegray import crr
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import km_curve

REF = Path(__file__).parent / "reference" / "competing"
R = json.loads((REF / "competing.json").read_text())
MG = pd.read_csv(REF / "mgus2.csv")
PB = pd.read_csv(REF / "pbc.csv")
PB["logbili"] = np.log(PB["bili"])
REL = 1e-6


def _corners_removed(c: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R's cuminc $time/$est/$var without the pre-jump corners (our storage)."""
    t, f, v = (np.array(c[k], dtype=float) for k in ("time", "est", "var"))
    k = (t.size - 2) // 2
    idx = [0, *range(2, 2 * k + 1, 2), t.size - 1]
    return t[idx], f[idx], v[idx]


def _check_curves(result, case: str, grouped: bool = True) -> int:
    checked = 0
    for c in R["cuminc"][case]["curves"]:
        group, cause = c["name"].rsplit(" ", 1)
        ours = result.curve(group if grouped else "all", int(cause))
        t, f, v = _corners_removed(c)
        np.testing.assert_array_equal(ours.time, t)
        assert ours.est == pytest.approx(f, rel=REL, abs=1e-14)
        assert ours.var == pytest.approx(v, rel=REL, abs=1e-16)
        checked += 1
    return checked


def _check_tests(result, case: str) -> None:
    tests = R["cuminc"][case]["tests"]
    assert len(result.tests) == len(tests)
    for t in tests:
        ours = result.test(int(t["cause"]))
        assert ours.stat == pytest.approx(t["stat"], rel=REL)
        assert ours.df == t["df"]
        assert ours.p_value == pytest.approx(t["p_upper"], rel=REL)


def test_cuminc_mgus2_by_sex():
    """R: ``cuminc(mg$etime, mg$event, mg$sex)``; est, var and $Tests (stat, pv, df)."""
    r = cuminc(MG, "etime", "event", "sex")
    assert _check_curves(r, "mgus2_sex") == 4
    _check_tests(r, "mgus2_sex")
    assert r.test(2).p_value == pytest.approx(0.000641590976407924, rel=REL)


def test_cuminc_gray_stratified():
    """R: ``cuminc(mg$etime, mg$event, mg$sex, strata = mg$old)`` (old = age >= 70)."""
    r = cuminc(MG, "etime", "event", "sex", strata="old")
    _check_tests(r, "mgus2_sex_strata")
    assert r.test(2).stat == pytest.approx(23.4719845023372, rel=REL)


def test_cuminc_gray_rho1():
    """R: ``cuminc(mg$etime, mg$event, mg$sex, rho = 1)``."""
    _check_tests(cuminc(MG, "etime", "event", "sex", rho=1), "mgus2_sex_rho1")


def test_cuminc_pbc_stage_group_without_competing_event():
    """R: ``cuminc(pbs$time, pbs$status, pbs$stage)`` (pbs: stage not NA; stage 1 has no
    transplant, so its transplant curve is flat at 0 with variance 0)."""
    r = cuminc(PB, "time", "status", "stage", codes=EventCodes(cause=2))
    assert r.dropped == 6
    assert _check_curves(r, "pbc_stage") == 8
    _check_tests(r, "pbc_stage")
    flat = r.curve("1", 1)
    assert flat.n_event == 0 and flat.est.tolist() == [0.0, 0.0] and flat.var.tolist() == [0, 0]


def test_cuminc_heavy_ties_and_tiny_p():
    """R: ``cuminc(pb$years, pb$status, pb$edema)``; R prints pv = 1 - pchisq = 0 for the
    death test, we give the upper tail ``pchisq(stat, 2, lower.tail = FALSE)``."""
    r = cuminc(PB, "years", "status", "edema")
    assert _check_curves(r, "pbc_edema_years") == 6
    _check_tests(r, "pbc_edema_years")
    assert 0 < r.test(2).p_value < 1e-30


def test_cuminc_one_group():
    """R: ``cuminc(pb$time, pb$status)``: no $Tests without a group."""
    r = cuminc(PB, "time", "status")
    assert _check_curves(r, "pbc_all", grouped=False) == 2
    assert r.tests == ()


@pytest.mark.parametrize(
    ("case", "kw"),
    [
        ("mgus2_sex", {"data": MG, "time": "etime", "status": "event", "group": "sex"}),
        ("pbc_stage", {"data": PB, "time": "time", "status": "status", "group": "stage"}),
        ("pbc_edema_years", {"data": PB, "time": "years", "status": "status", "group": "edema"}),
    ],
)
def test_timepoints_and_confidence_intervals(case, kw):
    """R: ``timepoints(ci, times)`` and, from its est/var, 95% CIs ``e^(1/a), e^a`` with
    ``a = exp(z se / (e log e))`` (log-log) and ``e exp(-/+ z se / e)`` (log)."""
    ref = R["cuminc"][case]["timepoints"]
    for conf_type in ("log-log", "log"):
        r = cuminc(**kw, conf_type=conf_type)
        for row, name in enumerate(ref["names"]):
            group, cause = name.rsplit(" ", 1)
            at = cif_at(r.curve(group, int(cause)), ref["times"])
            want = {
                k: np.array(ref[k][row], dtype=float)
                for k in ref
                if k.endswith(("est", "var", "lower", "upper"))
            }
            assert at.est == pytest.approx(want["est"], rel=REL, nan_ok=True)
            assert at.var == pytest.approx(want["var"], rel=REL, nan_ok=True)
            key = "loglog" if conf_type == "log-log" else "log"
            # R gives NaN at est = 0 (we give [0, 0]); at est = 1 up to rounding (edema 1 at
            # 10 years) log(-log) is 0/0 noise in R, we give [1, 1]
            ok = (want["est"] > 0) & ((want["est"] < 1 - 1e-9) | (key == "log"))
            assert at.lower[ok] == pytest.approx(want[f"{key}_lower"][ok], rel=REL)
            assert at.upper[ok] == pytest.approx(want[f"{key}_upper"][ok], rel=REL)


def test_pairwise_gray_holm_bh():
    """R: ``cuminc(pbs$time[s], pbs$status[s], pbs$stage[s])$Tests["2", ]`` per pair of
    stages, then ``p.adjust(p, "holm")`` and ``p.adjust(p, "BH")``."""
    ref = R["pairwise_pbc_stage_death"]
    for method, key in (("holm", "holm"), ("BH", "BH")):
        pw = pairwise_gray(PB, "time", "status", "stage", cause=2, adjust=method)
        frame = pw.to_frame()
        assert [(a, b) for a, b in zip(frame.group_a, frame.group_b, strict=True)] == [
            (str(p["a"]), str(p["b"])) for p in ref["pairs"]
        ]
        assert frame.stat.tolist() == pytest.approx([p["stat"] for p in ref["pairs"]], rel=REL)
        assert frame.p.tolist() == pytest.approx([p["p"] for p in ref["pairs"]], rel=REL)
        assert frame.p_adjusted.tolist() == pytest.approx(ref[key], rel=REL)


def test_survfit_multistate_estimates_agree_variances_differ():
    """R: ``summary(survfit(Surv(etime, factor(event)) ~ sex, data = mg), times = c(60,
    120, 240))``. The Aalen-Johansen estimates equal cuminc's; survfit's standard errors are
    infinitesimal-jackknife, ours (cmprsk's) are Gray's delta method: they differ (by a few
    per cent here), and every variance hccdash shows is cmprsk's."""
    ref = R["survfit_mgus2_sex"]
    r = cuminc(MG, "etime", "event", "sex")
    pstate = np.array(ref["pstate"], dtype=float)
    se = np.array(ref["std_err"], dtype=float)
    for row, (stratum, t) in enumerate(zip(ref["strata"], ref["time"], strict=True)):
        group = stratum.split("=")[1]
        for col, cause in ((1, 1), (2, 2)):  # states: (s0), 1, 2
            at = cif_at(r.curve(group, cause), [t])
            assert at.est[0] == pytest.approx(pstate[row, col], rel=REL)
            ratio = np.sqrt(at.var[0]) / se[row, col]
            assert ratio != pytest.approx(1.0, rel=1e-4)
            assert ratio == pytest.approx(1.0, rel=0.1)


CRR = [
    ("mgus2_age_sex_c1", MG, "etime", "event", ["age", "sex"], 1, {}),
    ("mgus2_age_sex_c2", MG, "etime", "event", ["age", "sex"], 2, {}),
    ("mgus2_age_hgb_na", MG, "etime", "event", ["age", "hgb"], 1, {}),
    ("mgus2_age_sex_cengroup", MG, "etime", "event", ["age", "sex"], 1, {"cengroup": "sex"}),
    (
        "pbc_age_edema_logbili_death", PB, "time", "status", ["age", "edema", "logbili"], 2,
        {"categorical": ["edema"]},
    ),
    (
        "pbc_years_age_edema_logbili_death", PB, "years", "status",
        ["age", "edema", "logbili"], 2, {"categorical": ["edema"]},
    ),
    ("pbc_years_sex_transplant", PB, "years", "status", ["sex"], 1, {"reference": {"sex": "m"}}),
]  # fmt: skip


VEC = ("coef", "se", "p_value", "lower", "upper")  # R's JSON unboxes one-term vectors


@pytest.mark.parametrize(("case", "data", "time", "status", "cov", "cause", "kw"), CRR)
def test_crr_matches_cmprsk(case, data, time, status, cov, cause, kw):
    """R (each case's call is in the fixture, e.g.): ``crr(mg$etime, mg$event, cbind(age =
    mg$age, sexM = mg$sex == 'M'), failcode = 1)``; coef, se, p, sHR CI, logliks, n."""
    ref = {k: (np.atleast_1d(v).tolist() if k in VEC else v) for k, v in R["crr"][case].items()}
    fit = crr(data, time, status, cov, codes=EventCodes(cause=cause), **kw)
    assert [t.coef for t in fit.terms] == pytest.approx(ref["coef"], rel=REL)
    assert [t.se for t in fit.terms] == pytest.approx(ref["se"], rel=REL)
    assert [t.p_value for t in fit.terms] == pytest.approx(ref["p_value"], rel=REL)
    assert [t.lower for t in fit.terms] == pytest.approx(ref["lower"], rel=REL)
    assert [t.upper for t in fit.terms] == pytest.approx(ref["upper"], rel=REL)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=REL)
    assert fit.loglik_null == pytest.approx(ref["loglik_null"], rel=REL)
    assert fit.converged is ref["converged"] is True
    assert fit.n == ref["n"] and fit.dropped == ref["n_missing"]


def test_crr_term_names_and_reference_levels():
    """Categorical covariates: one indicator per non-reference level, R's level order."""
    fit = crr(PB, "time", "status", ["edema"], codes=EventCodes(cause=2), categorical=["edema"])
    assert [t.term for t in fit.terms] == ["edema: 0.5 vs 0", "edema: 1 vs 0"]
    flipped = crr(PB, "time", "status", ["sex"], codes=EventCodes(cause=2), reference={"sex": "f"})
    default = crr(PB, "time", "status", ["sex"], codes=EventCodes(cause=2))
    assert default.terms[0].term == "sex: m vs f"
    assert flipped.terms[0].coef == pytest.approx(default.terms[0].coef, rel=1e-12)
    assert default.n_event == 161 and default.n_competing == 25


# -- bad input --------------------------------------------------------------------------------
def test_undeclared_codes_are_named():
    codes = EventCodes(censor=0, cause=2, competing=(1,), names={2: "death"})
    df = PB.assign(status=PB["status"].where(PB.index != 3, 7))
    with pytest.raises(InputError, match=r"1 row with codes that are not declared \(7; rows 3\)"):
        cuminc(df, "time", "status", codes=codes)


def test_cause_without_events():
    with pytest.raises(AnalysisError, match=r"'cause 5' \(code 5 in 'status'\) has no events"):
        crr(PB, "time", "status", ["age"], codes=EventCodes(cause=5))


def test_all_censored():
    df = PB.assign(status=0)
    with pytest.raises(AnalysisError, match="All 418 patients are censored"):
        cuminc(df, "time", "status")


def test_constant_covariate():
    df = PB[PB["sex"] == "f"]
    with pytest.raises(AnalysisError, match="'sex' has a single level"):
        crr(df, "time", "status", ["sex"], codes=EventCodes(cause=2))


def test_bad_times_and_frame_untouched():
    df = PB.head(20).copy()
    df.loc[4, "time"] = -3
    before = df.copy()
    with pytest.raises(InputError, match="1 row that are not a finite number >= 0"):
        cuminc(df, "time", "status")
    pd.testing.assert_frame_equal(df, before)


def test_risk_table_counts():
    p = prepare(PB, "time", "status", group="edema")
    tab = risk_table(p, [0, 1000, 2000])
    first = tab[(tab.group == "0") & (tab.time == 1000)].iloc[0]
    sub = PB[PB.edema == 0]
    assert first.n_risk == int((sub.time >= 1000).sum())
    assert first["events: cause 2"] == int(((sub.time <= 1000) & (sub.status == 2)).sum())


# -- properties -------------------------------------------------------------------------------
samples = st.integers(min_value=1, max_value=50).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=12).map(float), min_size=n, max_size=n),
        st.lists(st.sampled_from([0, 1, 2, 3]), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=80, deadline=None)
@given(samples, st.sampled_from(["log-log", "log", "plain"]))
def test_cif_properties(sample, conf_type):
    """Finite, in [0, 1], non-decreasing, CI around the estimate, and the CIFs of all causes
    plus the all-cause Kaplan-Meier sum to 1 at every time."""
    time, status, group = sample
    assume(any(s != 0 for s in status))  # no event of any cause: nothing to estimate
    df = pd.DataFrame({"t": time, "s": status, "g": group})
    r = cuminc(df, "t", "s", conf_type=conf_type)
    km = km_curve(df["t"], (df["s"] != 0).astype(int))
    grid = np.unique(np.concatenate([[0.0], df["t"].to_numpy()]))
    total = np.zeros(grid.size)
    for c in r.curves:
        for a in (c.est, c.var, c.lower, c.upper):
            assert np.all(np.isfinite(a))
        assert np.all((c.est >= 0) & (c.est <= 1 + 1e-12))
        assert np.all(np.diff(c.est) >= -1e-12)
        assert np.all(c.lower <= c.est + 1e-12) and np.all(c.upper >= c.est - 1e-12)
        total += cif_at(c, grid).est
    idx = np.searchsorted(km.time, grid, side="right") - 1
    surv = np.where(idx >= 0, km.surv[np.clip(idx, 0, None)], 1.0)
    assert total + surv == pytest.approx(np.ones(grid.size), abs=1e-10)
    rg = cuminc(df, "t", "s", "g")
    for t in rg.tests:
        # cmprsk's statistic can be negative in degenerate samples (see the test below)
        assert np.isnan(t.stat) or (np.isfinite(t.stat) and 0 <= t.p_value <= 1)


def test_gray_statistic_negative_in_a_degenerate_sample_as_in_r():
    """An event at time 0 and ties exhausting both groups: R gives a negative statistic.

    R 4.x, cmprsk 2.2-11: ``cuminc(c(0,1,1,1), c(1,1,1,1), c("a","a","b","b"))$Tests``
    prints ``stat -10.66667, pv 1, df 1`` (found by the property test above).
    """
    df = pd.DataFrame({"t": [0.0, 1.0, 1.0, 1.0], "s": [1] * 4, "g": ["a", "a", "b", "b"]})
    t = cuminc(df, "t", "s", "g").test(1)
    assert t.stat == pytest.approx(-10.66667, rel=1e-6)
    assert (t.p_value, t.df) == (1.0, 1)


@pytest.mark.parametrize("module", ["data", "cuminc", "gray", "finegray"])
def test_docstring_examples(module):
    """The numpydoc Examples (values from R, see each docstring) run and hold."""
    import doctest
    import importlib

    mod = importlib.import_module(f"hccdash.competing.{module}")
    result = doctest.testmod(mod, globs={**vars(mod), "np": np, "pd": pd})
    assert result.attempted > 0 and result.failed == 0

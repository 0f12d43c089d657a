"""Kaplan-Meier, medians, landmarks, risk tables, RMST and follow-up against R's survival.

Reference values: ``tests/reference/km/km_reference.R`` (R 4.2, survival 3.5.3) run on the
CSVs in ``tests/reference/km/data`` (exported from lifelines / scikit-survival datasets by
``export_data.py``); R's output is committed in ``tests/reference/km/fixtures/*.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import (
    kaplan_meier,
    km_curve,
    landmark_table,
    median_followup,
    median_survival,
    median_table,
    risk_table,
    rmst,
    survival_at,
)

REF = Path(__file__).parent / "reference" / "km"
DATASETS = ("lung", "waltons", "veterans", "gbsg2", "hand", "nearties")
CONF = [(ct, lvl) for ct in ("log", "log-log", "plain") for lvl in (0.95, 0.9)]
REL = 1e-6


def _arr(values) -> np.ndarray:
    """R's JSON: null -> NaN, "Inf" -> inf."""
    out = [
        np.nan if v is None else (math.inf if v == "Inf" else (-math.inf if v == "-Inf" else v))
        for v in np.atleast_1d(np.asarray(values, dtype=object))
    ]
    return np.asarray(out, dtype=np.float64)


def _fixture(name: str) -> dict:
    return json.loads((REF / "fixtures" / f"{name}.json").read_text())


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / f"{name}.csv")


def _close(ours, theirs, rel=REL, abs_=1e-12) -> None:
    ours = np.asarray(ours, dtype=np.float64)
    theirs = _arr(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    ok = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[ok], theirs[ok], rtol=rel, atol=abs_)


def _close_band(ours, theirs, surv) -> None:
    """Bands: R gives NA for log-log where S == 1; we give 1 (documented)."""
    theirs = _arr(theirs)
    fill = np.isnan(theirs) & (np.asarray(surv) == 1)
    theirs[fill] = 1.0
    _close(ours, [None if np.isnan(v) else v for v in theirs])


def _cmp_curve(curve, ref) -> None:
    # R's own strtod can read a 17-digit decimal 1 ulp away from Python's (nearties.csv)
    np.testing.assert_allclose(curve.time, _arr(ref["time"]), rtol=1e-14, atol=0)
    np.testing.assert_array_equal(curve.n_risk, _arr(ref["n_risk"]))
    np.testing.assert_array_equal(curve.n_event, _arr(ref["n_event"]))
    np.testing.assert_array_equal(curve.n_censor, _arr(ref["n_censor"]))
    assert curve.n == ref["n"]
    _close(curve.surv, ref["surv"])
    _close(curve.std_err, ref["std_err"])
    _close_band(curve.lower, ref["lower"], curve.surv)
    _close_band(curve.upper, ref["upper"], curve.surv)


def _opt(x) -> float:
    return np.nan if x is None else float(x)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("conf_type", "conf_level"), CONF)
def test_survfit_curves_match_r(name, conf_type, conf_level):
    """R: survfit(Surv(time, status) ~ 1 and ~ <group>, data, conf.type=<ct>, conf.int=<lvl>)

    time, n.risk, n.event, n.censor, surv, std.err, lower, upper of every curve.
    """
    ref = _fixture(name)
    block = ref["km"][f"{conf_type}_{conf_level}"]
    data = _data(name)
    overall = kaplan_meier(data, "time", "status", conf_type=conf_type, conf_level=conf_level)
    _cmp_curve(overall.curve(), block["overall"][0])
    km = kaplan_meier(
        data, "time", "status", ref["group"], conf_type=conf_type, conf_level=conf_level
    )
    assert [c.group for c in km.curves] == [c["group"] for c in block["grouped"]]
    for curve, cref in zip(km.curves, block["grouped"], strict=True):
        _cmp_curve(curve, cref)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("conf_type", "conf_level"), CONF)
def test_medians_match_r_print(name, conf_type, conf_level):
    """R: print(survfit(Surv(time, status) ~ <group>, data, conf.type=<ct>, conf.int=<lvl>))

    (survival:::survmean, the table print.survfit shows: median, LCL, UCL per group).
    """
    ref = _fixture(name)
    block = ref["km"][f"{conf_type}_{conf_level}"]
    data = _data(name)
    km = kaplan_meier(
        data, "time", "status", ref["group"], conf_type=conf_type, conf_level=conf_level
    )
    rows = median_table(km).rows
    overall = median_survival(
        kaplan_meier(data, "time", "status", conf_type=conf_type, conf_level=conf_level).curve()
    )
    for ours, theirs in zip(
        (overall, *rows), block["medians_overall"] + block["medians"], strict=True
    ):
        assert ours.group == theirs["group"]
        assert ours.n == theirs["n"] and ours.events == theirs["events"]
        for field in ("median", "lower", "upper"):
            _close([_opt(getattr(ours, field))], [theirs[field]])


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("conf_type", "conf_level"), CONF)
def test_summary_times_match_r(name, conf_type, conf_level):
    """R: summary(survfit(Surv(time, status) ~ <group>, data, conf.type=<ct>,
    conf.int=<lvl>), times = <times>, extend = TRUE)
    """
    ref = _fixture(name)
    block = ref["km"][f"{conf_type}_{conf_level}"]
    data = _data(name)
    km = kaplan_meier(
        data, "time", "status", ref["group"], conf_type=conf_type, conf_level=conf_level
    )
    times = ref["times"]
    r = block["summary"]
    groups = np.array(r["group"], dtype=object)
    table = landmark_table(km, times)
    for row in table.rows:
        sel = groups == row.group
        np.testing.assert_array_equal(row.time, _arr(r["time"])[sel])
        np.testing.assert_array_equal(row.n_risk, _arr(r["n_risk"])[sel])
        np.testing.assert_array_equal(row.n_event, _arr(r["n_event"])[sel])
        np.testing.assert_array_equal(row.n_censor, _arr(r["n_censor"])[sel])
        surv = _arr(r["surv"])[sel]
        _close(row.surv, surv)
        _close(row.std_err, _arr(r["std_err"])[sel], abs_=1e-12)
        _close_band(row.lower, _arr(r["lower"])[sel], surv)
        _close_band(row.upper, _arr(r["upper"])[sel], surv)
    frame = table.to_frame()
    assert list(frame.columns) == ["group", "time", "n_risk", "surv", "lower", "upper"]
    assert len(frame) == len(km.curves) * len(times)
    # the one-curve summary too
    one = survival_at(
        kaplan_meier(data, "time", "status", conf_type=conf_type, conf_level=conf_level).curve(),
        times,
    )
    ro = block["summary_overall"]
    np.testing.assert_array_equal(one.n_risk, _arr(ro["n_risk"]))
    _close(one.surv, ro["surv"])
    _close_band(one.lower, ro["lower"], _arr(ro["surv"]))


@pytest.mark.parametrize("name", DATASETS)
def test_risk_table_is_r_summary_cumulated(name):
    """R: s <- summary(survfit(Surv(time, status) ~ <group>, data), times = <times>,
    extend = TRUE); s$n.risk, cumsum(s$n.event), cumsum(s$n.censor) per group (KMunicate).
    """
    ref = _fixture(name)
    r = ref["km"]["log-log_0.95"]["summary"]
    km = kaplan_meier(_data(name), "time", "status", ref["group"])
    rt = risk_table(km, ref["times"])
    groups = np.array(r["group"], dtype=object)
    for i, g in enumerate(rt.groups):
        sel = groups == g
        np.testing.assert_array_equal(rt.n_risk[i], _arr(r["n_risk"])[sel])
        np.testing.assert_array_equal(rt.n_event[i], np.cumsum(_arr(r["n_event"])[sel]))
        np.testing.assert_array_equal(rt.n_censor[i], np.cumsum(_arr(r["n_censor"])[sel]))
    frame = rt.to_frame()
    assert list(frame.columns) == ["group", "time", "n_risk", "n_event", "n_censor"]
    assert len(frame) == rt.n_risk.size


@pytest.mark.parametrize("name", DATASETS)
def test_rmst_matches_r_print_rmean(name):
    """R: print(survfit(Surv(time, status) ~ <group>, data), rmean = <tau>)
    (rmean and se(rmean), overall and per group).
    """
    ref = _fixture(name)
    data = _data(name)
    tau = ref["tau"]
    overall = rmst(kaplan_meier(data, "time", "status").curve(), tau)
    r = ref["rmean"]["overall"][0]
    assert overall.estimate == pytest.approx(r["rmean"], rel=REL)
    assert overall.se == pytest.approx(r["se_rmean"], rel=REL)
    km = kaplan_meier(data, "time", "status", ref["group"])
    for curve, r in zip(km.curves, ref["rmean"]["grouped"], strict=True):
        res = rmst(curve, tau)
        assert res.group == r["group"]
        assert res.estimate == pytest.approx(r["rmean"], rel=REL)
        assert res.se == pytest.approx(r["se_rmean"], rel=REL)
        assert res.to_frame().loc[0, "tau"] == tau


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("conf_type", ["log-log", "log"])
def test_reverse_km_followup_matches_r(name, conf_type):
    """R: print(survfit(Surv(time, 1 - status) ~ 1, data, conf.type = <ct>))"""
    ref = _fixture(name)["followup"][conf_type]
    data = _data(name).dropna(subset=["time"])
    res = median_followup(data["time"], data["status"], conf_type=conf_type)
    assert res.events == ref["events"]
    for field in ("median", "lower", "upper"):
        _close([_opt(getattr(res, field))], [ref[field]])


# ---- hand-computable fixture ----------------------------------------------------------------
def _hand() -> pd.DataFrame:
    return _data("hand").set_index("id")


def test_hand_fixture_by_pen_and_paper():
    """Unsorted rows, tied events (B at 4), event and censoring at the same time (A at 3),
    one missing time (P07). R: survfit(Surv(time, status) ~ grp, hand).

    A: 1(e) 2(c) 3(e) 3(c) 5(e) 8(e): S = 5/6, 5/6*3/4 = 0.625, 0.3125, 0.
    B: 2(e) 4(e,e) 6(c) 7(e) 9(c): S = 5/6, 5/6*3/5 = 0.5, 0.25; median on the exact 0.5
    step from 4 to 7 is (4 + 7) / 2 = 5.5 (R's rule).
    """
    km = kaplan_meier(_hand(), "time", "status", "grp")
    assert km.dropped == 1 and km.n == 12 and km.events == 8
    a, b = km.curve("A"), km.curve("B")
    assert a.time.tolist() == [1, 2, 3, 5, 8]
    assert a.n_risk.tolist() == [6, 5, 4, 2, 1]
    assert a.n_event.tolist() == [1, 0, 1, 1, 1]
    assert a.n_censor.tolist() == [0, 1, 1, 0, 0]
    assert a.surv == pytest.approx([5 / 6, 5 / 6, 0.625, 0.3125, 0.0], rel=1e-12)
    # Greenwood on the cumulative hazard: 1/(6*5), + 1/(4*3), + 1/(2*1), + inf
    assert a.std_err[:4] == pytest.approx(np.sqrt(np.cumsum([1 / 30, 0, 1 / 12, 1 / 2])), rel=1e-12)
    assert math.isinf(a.std_err[4])
    assert b.surv == pytest.approx([5 / 6, 0.5, 0.5, 0.25, 0.25], rel=1e-12)
    mb = median_survival(b)
    assert mb.median == 5.5
    assert median_survival(a).median == 5.0
    # risk table at 3: A has 4 at risk (3, 3, 5, 8), 2 events (1, 3), 2 censored (2, 3);
    # B has 5 at risk (4, 4, 6, 7, 9), 1 event (2), none censored
    rt = risk_table(km, [3])
    assert rt.n_risk[:, 0].tolist() == [4, 5]
    assert rt.n_event[:, 0].tolist() == [2, 1]
    assert rt.n_censor[:, 0].tolist() == [2, 0]
    # RMST of A to tau = 6: 1*1 + (3-1)*5/6 + (5-3)*0.625 + (6-5)*0.3125
    assert rmst(a, 6).estimate == pytest.approx(1 + 2 * 5 / 6 + 2 * 0.625 + 0.3125, rel=1e-12)


def test_hand_risk_table_counts_event_and_censor_at_same_time():
    """At t = 3 group A has one event and one censoring at 3; both count up to and
    including 3 (KMunicate). R: cumsum(summary(fit, times = 3, extend = TRUE)$n.censor)."""
    rt = risk_table(kaplan_meier(_hand(), "time", "status", "grp"), [3])
    assert rt.n_censor[0, 0] == 2  # censored at 2 and at 3
    assert rt.n_event[0, 0] == 2  # events at 1 and 3


def test_km_curve_from_arrays_is_order_free():
    """Row order does not matter: shuffled arrays give the same curve."""
    rng = np.random.default_rng(7)
    t = rng.integers(1, 20, 200).astype(float)
    e = rng.integers(0, 2, 200)
    perm = rng.permutation(200)
    a, b = km_curve(t, e), km_curve(t[perm], e[perm])
    np.testing.assert_array_equal(a.time, b.time)
    np.testing.assert_array_equal(a.surv, b.surv)
    assert a.time.tolist() == sorted(set(t.tolist()))


def test_levels_order_and_exclusion():
    """``levels`` fixes the curve order; rows of other levels are dropped and counted."""
    km = kaplan_meier(_hand(), "time", "status", "grp", levels=["B"])
    assert [c.group for c in km.curves] == ["B"]
    assert km.dropped == 7  # 6 rows of A + the missing time
    km = kaplan_meier(_hand(), "time", "status", "grp", levels=["B", "A"])
    assert [c.group for c in km.curves] == ["B", "A"]


def test_numeric_group_labels_are_strings_in_numeric_order():
    """Integral float levels print like R (1, 2, 10), sorted numerically."""
    data = pd.DataFrame(
        {"t": [1.0, 2, 3, 4, 5, 6], "e": [1, 0, 1, 1, 0, 1], "g": [10.0, 2, 1, 10, 2, 1]}
    )
    km = kaplan_meier(data, "t", "e", "g")
    assert km.levels == ("1", "2", "10")
    assert km.curve("10").time.tolist() == [1.0, 4.0]


def test_bad_conf_arguments_raise_input_error():
    data = _hand()
    with pytest.raises(InputError, match="conf_type 'logit'"):
        kaplan_meier(data, "time", "status", conf_type="logit")
    with pytest.raises(InputError, match="conf_level 95"):
        kaplan_meier(data, "time", "status", conf_level=95)
    with pytest.raises(InputError, match="tau -1"):
        rmst(kaplan_meier(data, "time", "status").curve(), -1)


def test_followup_without_censoring_is_an_analysis_error():
    with pytest.raises(AnalysisError, match="no one was censored"):
        median_followup([1, 2, 3], [1, 1, 1])


def test_to_frames_have_r_names():
    km = kaplan_meier(_hand(), "time", "status", "grp")
    frame = km.to_frame()
    assert list(frame.columns) == [
        "group",
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "surv",
        "std_err",
        "lower",
        "upper",
    ]
    assert len(frame) == 10
    assert frame["group"].tolist()[:5] == ["A"] * 5
    med = median_table(km).to_frame()
    assert med["median"].tolist() == [5.0, 5.5]


def test_string_group_codes_equal_factorize_by_value():
    """The identity fast path gives pandas' sorted factorize codes, also when equal strings
    are distinct objects and with None / NaN (missing -> -1)."""
    from hccdash.nonparametric import group_codes
    from hccdash.nonparametric.groups import _identity_factorize

    rng = np.random.default_rng(5)
    n = 50_000
    shared = np.array(["Child B", "Child A", "C"], dtype=object)[rng.integers(0, 3, n)]
    # the same text in fresh objects every 97th row (equal by value, not by identity)
    for i in range(0, n, 97):
        shared[i] = "".join(["Child", " ", "A"])
    shared[::1001] = None
    shared[7::1001] = np.nan
    col = pd.Series(shared, dtype=object)
    fast = _identity_factorize(col.to_numpy())
    assert fast is not None and len(fast[1]) > 5  # more objects than values
    assert [fast[1][c] for c in fast[0][:50]] == list(shared[:50])  # each row's own object
    codes, labels = group_codes(col)
    expect_codes, expect_uniques = pd.factorize(col, sort=True)
    assert labels == tuple(expect_uniques)
    np.testing.assert_array_equal(codes, expect_codes)
    km = kaplan_meier(
        pd.DataFrame({"t": rng.exponential(5, n), "e": rng.integers(0, 2, n), "g": col}),
        "t",
        "e",
        "g",
    )
    assert km.levels == ("C", "Child A", "Child B")
    assert km.dropped == int(col.isna().sum())


def test_identity_factorize_declines_what_it_cannot_do_and_its_example_runs():
    """Small, strided or high-cardinality arrays go to pandas' factorize (None here)."""
    import doctest

    from hccdash.nonparametric import groups
    from hccdash.nonparametric.groups import _identity_factorize

    many = np.array([f"id{i}" for i in range(20_000)], dtype=object)
    assert _identity_factorize(many) is None  # more than 4096 distinct objects
    assert _identity_factorize(many[:5000]) is None  # small: hashing is cheap enough
    few = np.array(["a", "b"] * 20_000, dtype=object)
    assert _identity_factorize(few[::2]) is None  # not contiguous
    codes, objects = _identity_factorize(few)
    assert codes[:4].tolist() == [0, 1, 0, 1] and list(objects) == ["a", "b"]
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(_identity_factorize, globs=vars(groups)):
        runner.run(test)
    assert runner.tries > 0 and runner.failures == 0


def test_followup_uses_complete_cases():
    """R: survfit(Surv(time, 1 - status) ~ 1, hand) drops the row with a missing time."""
    data = _data("hand")
    ref = _fixture("hand")["followup"]["log-log"]
    res = median_followup(data["time"], data["status"])
    assert res.n == 12 == ref["n"]
    assert _opt(res.median) == _opt(ref["median"])

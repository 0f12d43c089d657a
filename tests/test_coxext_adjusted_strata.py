"""Curves predicted from stratified Cox models against R.

Reference: ``tests/reference/cox_ext/adjusted_strata.R`` (R 4.2, survival 3.5-3) on R's
``veteran`` (strata(celltype)) and ``bladder2`` ((start, stop] rows, strata(enum)); R
printed ``adjusted_strata.json``: for each stratum and newdata row, ``time``, ``n.risk``,
``n.event``, ``surv``, ``std.err``, ``lower``, ``upper`` of ``survfit(fit, newdata)``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.coxext.adjusted import cox_survfit_strata
from hccdash.errors import InputError

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "adjusted_strata.json").read_text())
REL = 1e-6
FIELDS = ("time", "n_risk", "n_event", "surv", "std_err", "lower", "upper")
ND = pd.DataFrame({"trt": [1, 2], "karno": [60, 80], "age": [60, 60]})


def _data(name):
    return pd.read_csv(REF / "data" / f"{name}.csv")


def _check(sc, ref, strata_names):
    """Every R curve (stratum block, newdata column) equals ours, in R's order."""
    assert len(sc.blocks) * sc.blocks[0].surv.shape[1] == len(ref)
    k = 0
    for name, block in zip(sc.strata, sc.blocks, strict=True):
        for j in range(block.surv.shape[1]):
            r = ref[k]
            k += 1
            assert strata_names[k - 1] == name
            for f in FIELDS:
                ours = getattr(block, f)
                ours = ours[:, j] if ours.ndim == 2 else ours
                theirs = np.array(r[f], dtype=float)
                assert ours.shape == theirs.shape, f
                ok = np.isfinite(theirs)
                np.testing.assert_allclose(ours[ok], theirs[ok], rtol=REL, err_msg=f)
            s = block.surv[:, j]
            assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
            assert np.all(np.diff(s) <= 0)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_stratified_curves_every_stratum(ties):
    """R: ``f <- coxph(Surv(time, status) ~ trt + karno + age + strata(celltype), veteran,
    ties = ties)``; ``survfit(f, newdata = data.frame(trt = c(1, 2), karno = c(60, 80), age
    = 60))``: 4 strata x 2 curves."""
    sc = cox_survfit_strata(
        _data("veteran"), "time", "status", ["trt", "karno", "age"], ND,
        strata="celltype", ties=ties,
    )  # fmt: skip
    ref = R[f"veteran_{ties}"]
    _check(sc, ref, [r["stratum"] for r in ref])
    frame = sc.to_frame()
    assert list(frame.columns[:2]) == ["stratum", "curve"]
    assert frame.groupby(["stratum", "curve"]).ngroups == 8


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_stratified_curves_stratum_in_newdata(ties):
    """R: the same fit; ``survfit(f, newdata = data.frame(trt = c(1, 2, 1), karno = c(60,
    80, 70), age = c(60, 60, 50), celltype = c("adeno", "squamous", "adeno")))``: one curve
    per row, in its own stratum."""
    nd = pd.DataFrame({"trt": [1, 2, 1], "karno": [60, 80, 70], "age": [60, 60, 50],
                       "celltype": ["adeno", "squamous", "adeno"]})  # fmt: skip
    sc = cox_survfit_strata(
        _data("veteran"), "time", "status", ["trt", "karno", "age"], nd,
        strata="celltype", ties=ties, labels=["a", "b", "c"],
    )  # fmt: skip
    _check(sc, R[f"veteran_rows_{ties}"], ["adeno", "squamous", "adeno"])
    assert [b.labels for b in sc.blocks] == [("a",), ("b",), ("c",)]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_stratified_curves_counting_process(ties):
    """R: ``g <- coxph(Surv(start, stop, event) ~ rx + size + strata(enum), bladder2,
    ties = ties)``; ``survfit(g, newdata = data.frame(rx = c(1, 2), size = 1), conf.type =
    "log-log")``."""
    sc = cox_survfit_strata(
        _data("bladder2"), "stop", "event", ["rx", "size"],
        pd.DataFrame({"rx": [1, 2], "size": [1, 1]}), strata="enum", start="start",
        ties=ties, conf_type="log-log",
    )  # fmt: skip
    ref = R[f"bladder2_{ties}"]
    _check(sc, ref, [r["stratum"].removeprefix("enum=") for r in ref])


def test_stratified_curves_weighted_use_robust_variance():
    """R: ``h <- coxph(Surv(time, status) ~ trt + karno + strata(celltype), weights = w,
    veteran)``; ``survfit(h, newdata = data.frame(trt = 1:2, karno = 70))`` (non-integer
    weights: R's robust variance)."""
    sc = cox_survfit_strata(
        _data("veteran"), "time", "status", ["trt", "karno"],
        pd.DataFrame({"trt": [1, 2], "karno": [70, 70]}), strata="celltype", weights="w",
    )  # fmt: skip
    ref = R["veteran_weights"]
    _check(sc, ref, [r["stratum"] for r in ref])


def test_unknown_stratum_in_newdata_is_named():
    nd = ND.assign(celltype=["adeno", "oat cell"])
    with pytest.raises(InputError, match="'oat cell'"):
        cox_survfit_strata(
            _data("veteran"), "time", "status", ["trt", "karno", "age"], nd, strata="celltype"
        )


def test_stratified_curves_with_cluster_use_the_robust_variance():
    """R: ``k <- coxph(Surv(tstart, tstop, status) ~ treat + age + strata(sex), cluster = id,
    cgd)``; ``survfit(k, newdata = data.frame(treat = c("placebo", "rIFN-g"), age = 20))``
    (R's survfit takes ``fit$var``, the robust cluster variance)."""
    nd = pd.DataFrame({"treat": ["placebo", "rIFN-g"], "age": [20, 20]})
    sc = cox_survfit_strata(
        _data("cgd"), "tstop", "status", ["treat", "age"], nd, strata="sex", start="tstart",
        cluster="id",
    )  # fmt: skip
    ref = R["cgd_cluster"]
    _check(sc, ref, [r["stratum"] for r in ref])
    naive = cox_survfit_strata(
        _data("cgd"), "tstop", "status", ["treat", "age"], nd, strata="sex", start="tstart"
    )
    assert not np.allclose(naive.blocks[0].std_err[-1], sc.blocks[0].std_err[-1], rtol=1e-3)

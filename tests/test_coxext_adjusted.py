"""Curves predicted from Cox models and direct adjustment against R.

References: ``tests/reference/cox_ext/adjusted.R`` (R 4.2, survival 3.5-3) on R's
``ovarian``, ``jasa1`` and ``pbc``; R printed ``adjusted.json``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.coxext.adjusted import cox_survfit, direct_adjusted
from hccdash.errors import InputError

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "adjusted.json").read_text())
REL = 1e-6
FIELDS = ("time", "n_risk", "n_event", "surv", "std_err", "lower", "upper")


def _data(name):
    d = pd.read_csv(REF / "data" / f"{name}.csv")
    if name == "pbc":
        d["logbili"] = np.log(d["bili"])
    return d


def _check(pc, r):
    for f in FIELDS:
        ours, theirs = getattr(pc, f), np.array(r[f], dtype=float)
        assert ours.shape == theirs.shape, f
        ok = np.isfinite(theirs)
        np.testing.assert_allclose(ours[ok], theirs[ok], rtol=REL, err_msg=f)
    s = pc.surv
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s, axis=0) <= 0)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_survfit_coxph_newdata_ovarian(ties):
    """R: ``f <- coxph(Surv(futime, fustat) ~ age + rx + ecog.ps, ovarian, ties = ties)``;
    ``survfit(f, newdata = data.frame(age = c(50, 65), rx = c(1, 2), ecog.ps = c(1, 2)))``."""
    nd = pd.DataFrame({"age": [50, 65], "rx": [1, 2], "ecog.ps": [1, 2]})
    pc = cox_survfit(_data("ovarian"), "futime", "fustat", ["age", "rx", "ecog.ps"], nd, ties=ties)
    _check(pc, R[f"ovarian_{ties}"])


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_survfit_coxph_newdata_counting_process(ties):
    """R: ``g <- coxph(Surv(start, stop, event) ~ age + surgery + transplant, jasa1, ties)``;
    ``survfit(g, newdata = data.frame(age = c(-5, 5), surgery = c(0, 1), transplant = c(1,
    0)), conf.type = "log-log")``."""
    nd = pd.DataFrame({"age": [-5, 5], "surgery": [0, 1], "transplant": [1, 0]})
    pc = cox_survfit(
        _data("jasa1"), "stop", "event", ["age", "surgery", "transplant"], nd,
        ties=ties, start="start", conf_type="log-log",
    )  # fmt: skip
    _check(pc, R[f"jasa1_{ties}"])


def test_survfit_weighted_cox_uses_robust_variance():
    """R: ``h <- coxph(Surv(time, death) ~ treated + age, weights = ipw, pb)``;
    ``survfit(h, newdata = data.frame(treated = c(0, 1), age = 50))`` (R uses the robust
    variance of a fit with non-integer weights)."""
    nd = pd.DataFrame({"treated": [0, 1], "age": [50, 50]})
    pc = cox_survfit(_data("pbc"), "time", "death", ["treated", "age"], nd, weights="ipw")
    _check(pc, R["pbc_ipw"])
    assert pc.to_frame()["curve"].unique().tolist() == ["1", "2"]


def test_direct_adjustment_pbc():
    """R: ``k <- coxph(Surv(time, death) ~ treated + age + log(bili), pb)``; for a in 0, 1:
    ``rowMeans(survfit(k, newdata = transform(pb, treated = a))$surv)``."""
    a = direct_adjusted(_data("pbc"), "time", "death", "treated", ["age", "logbili"])
    r = R["pbc_direct"]
    assert a.levels == ("0", "1")
    np.testing.assert_allclose(a.time, r["time"], rtol=1e-14)
    np.testing.assert_allclose(a.surv, np.array(r["surv"]), rtol=REL)
    assert a.n == 312


def test_newdata_must_have_every_covariate():
    with pytest.raises(InputError, match="lacks column 'rx'"):
        cox_survfit(
            _data("ovarian"), "futime", "fustat", ["age", "rx"], pd.DataFrame({"age": [50]})
        )

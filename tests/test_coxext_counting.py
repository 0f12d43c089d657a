"""Kaplan-Meier with delayed entry and case weights, and the delayed-entry log-rank test.

References: ``tests/reference/cox_ext/km_counting.R`` (R 4.2, survival 3.5-3) on R's
``jasa1``, ``cgd`` and ``pbc`` (CSV in ``cox_ext/data``); R printed ``km_counting.json``.
R's robust survfit stores se(S) (``logse = FALSE``); ours is on the log scale, so the test
compares ``std_err * surv``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.compare import survdiff
from hccdash.coxext.counting import km_counting, logrank_counting

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "km_counting.json").read_text())
REL = 1e-6


def _data(name):
    return pd.read_csv(REF / "data" / f"{name}.csv")


CASES = {
    # survfit(Surv(start, stop, event) ~ surgery, data = ja, conf.type = "log-log")
    "jasa1_surgery": ("jasa1", "stop", "event", "surgery", {"start": "start"}, "log-log", False),
    # survfit(Surv(tstart, tstop, status) ~ treat, cluster = id, data = cg, conf.type = "log-log")
    "cgd_cluster": ("cgd", "tstop", "status", "treat", {"start": "tstart", "cluster": "id"},
                    "log-log", True),
    # survfit(Surv(time, death) ~ treated, weights = ipw, data = pb, conf.type = "log-log")
    "pbc_ipw": ("pbc", "time", "death", "treated", {"weights": "ipw"}, "log-log", True),
    # survfit(Surv(time, death) ~ treated, weights = fw, data = pb, conf.type = "log")
    "pbc_fw": ("pbc", "time", "death", "treated", {"weights": "fw"}, "log", False),
}  # fmt: skip


@pytest.mark.parametrize("key", list(CASES))
def test_km_counting_matches_r(key):
    """R: the ``survfit`` calls in ``CASES`` (comments); fields time, n.risk, n.event,
    n.censor, surv, std.err, lower, upper per stratum."""
    name, t, e, g, kw, ctype, robust = CASES[key]
    km = km_counting(_data(name), t, e, g, conf_type=ctype, **kw)
    refs = list(R[key].values())
    assert len(km.curves) == len(refs)
    for c, r in zip(km.curves, refs, strict=True):
        np.testing.assert_allclose(c.time, r["time"], rtol=1e-14)
        np.testing.assert_allclose(c.n_risk, r["n_risk"], rtol=REL)
        np.testing.assert_allclose(c.n_event, r["n_event"], rtol=REL)
        np.testing.assert_allclose(c.n_censor, r["n_censor"], rtol=REL)
        np.testing.assert_allclose(c.surv, r["surv"], rtol=REL)
        se = c.std_err * c.surv if robust else c.std_err
        np.testing.assert_allclose(se, np.array(r["std_err"], float), rtol=REL)
        ok = np.isfinite(np.array(r["lower"], float))
        np.testing.assert_allclose(c.lower[ok], np.array(r["lower"], float)[ok], rtol=REL)
        np.testing.assert_allclose(c.upper[ok], np.array(r["upper"], float)[ok], rtol=REL)
        assert np.all(np.diff(c.surv) <= 0) and np.all((c.surv >= 0) & (c.surv <= 1))


@pytest.mark.parametrize(
    ("key", "name", "t", "e", "g", "start"),
    [
        ("jasa1_logrank", "jasa1", "stop", "event", "surgery", "start"),
        ("cgd_logrank", "cgd", "tstop", "status", "treat", "tstart"),
    ],
)
def test_delayed_entry_logrank_matches_r(key, name, t, e, g, start):
    """R: survdiff's O - E and hypergeometric variance on the risk sets
    ``start < t <= stop`` (``lr_counting`` in km_counting.R; R's survdiff refuses
    Surv(start, stop, event))."""
    res = logrank_counting(_data(name), t, e, g, start=start)
    r = R[key]
    assert res.chisq == pytest.approx(r["chisq"], rel=REL)
    np.testing.assert_allclose(res.observed, r["obs"], rtol=REL)
    np.testing.assert_allclose(res.expected, r["exp"], rtol=REL)


def test_without_late_entry_it_is_survdiff():
    """No one enters late (start 0): the same test as survdiff."""
    d = _data("pbc").assign(entry=-1.0)
    a = logrank_counting(d, "time", "death", "treated", start="entry")
    b = survdiff(d, "time", "death", "treated")
    assert a.chisq == pytest.approx(b.chisq, rel=1e-12)

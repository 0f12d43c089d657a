"""hccdash.cox.cox_zph against R's survival::cox.zph (R >= 3.0 algorithm).

Fixtures from ``Rscript tests/reference/cox/cox_reference.R`` (R 4.2, survival 3.5-3):
``zp <- cox.zph(coxph(Surv(time, status) ~ ..., data = d, ties = ties,
control = coxph.control(eps = 1e-12, iter.max = 100)), transform = "km")``; ``zp$table`` in
cox_zph.csv, ``zp$x``, ``zp$time`` and ``zp$y`` in zph_resid_<dataset>_<ties>.csv.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test
from test_cox import CASES, REF, REL, SPECS, load

from hccdash.cox import cox_zph


def zph(name: str, ties: str):
    _csv, time, event, cov, ref, _ = SPECS[name]
    return cox_zph(load(name), time, event, cov, ties=ties, reference=ref)


@pytest.fixture(scope="module")
def r_zph() -> pd.DataFrame:
    return pd.read_csv(REF / "cox_zph.csv")


@pytest.mark.parametrize(("name", "ties"), CASES)
def test_zph_table_matches_r(name, ties, r_zph):
    """R: ``cox.zph(fit, transform = "km")$table`` (chisq, df, p per term and GLOBAL; a factor
    is one multi-df term)."""
    res = zph(name, ties)
    rows = r_zph[(r_zph.dataset == name) & (r_zph.ties == ties)]
    assert [r.term for r in res.rows] == list(rows.term)
    for ours, (_, r) in zip(res.rows, rows.iterrows(), strict=True):
        assert ours.chisq == pytest.approx(r.chisq, rel=REL)
        assert ours.df == r.df
        assert ours.p_value == pytest.approx(r.p, rel=REL)
    frame = res.to_frame()
    assert list(frame.columns) == ["term", "chisq", "df", "p_value"]
    assert frame.term.iloc[-1] == "GLOBAL"


@pytest.mark.parametrize(("name", "ties"), CASES)
def test_zph_residuals_and_times_match_r(name, ties):
    """R: ``zp$x`` (1 - KM(t-) at each event), ``zp$time`` and ``zp$y`` (scaled Schoenfeld
    residuals + coefficient; a factor term is combined with its coefficients, as R)."""
    res = zph(name, ties)
    r = pd.read_csv(REF / f"zph_resid_{name}_{ties}.csv")
    assert res.terms == tuple(r.columns[2:])
    np.testing.assert_allclose(res.time, r.x.to_numpy(), rtol=REL, atol=1e-12)
    np.testing.assert_array_equal(res.event_time, r.time.to_numpy())
    np.testing.assert_allclose(res.residuals, r.iloc[:, 2:].to_numpy(), rtol=REL, atol=1e-9)
    assert res.transform == "km"


def test_lifelines_older_approximation_differs():
    """Why we do not use lifelines: its proportional_hazard_test (transform "km") uses the
    pre-3.0 approximation; on rossi (R: ``cox.zph(fit)$table["age", "chisq"]`` = 5.711) it
    differs from R's score test beyond any tolerance."""
    d = load("rossi")
    res = zph("rossi", "efron")
    cols = ["week", "arrest", "fin", "age", "race", "wexp", "mar", "paro"]
    sub = d[cols]
    cph = CoxPHFitter().fit(sub, "week", "arrest")
    ll = proportional_hazard_test(cph, sub, time_transform="km").summary
    ours = cox_zph(sub, "week", "arrest", cols[2:]).row("age").chisq
    assert res.row("age").chisq == pytest.approx(5.7112585782273193, rel=REL)
    assert abs(ll.loc["age", "test_statistic"] / ours - 1) > 1e-3


def test_zph_other_transforms_run():
    d = load("veterans")
    for tr in ("identity", "rank", "log"):
        res = cox_zph(d, "time", "status", ["karno", "age"], transform=tr)
        assert res.transform == tr
        assert all(np.isfinite(r.chisq) for r in res.rows)
    with pytest.raises(ValueError, match="transform must be"):
        cox_zph(d, "time", "status", ["karno"], transform="sqrt")


def test_zph_on_separated_model_warns_instead_of_failing():
    d = pd.read_csv(REF / "separation.csv")
    res = cox_zph(d, "time", "event", ["arm", "age"])
    assert any("separates" in w and "arm: B vs A" in w for w in res.warnings)
    assert all(np.isfinite(r.chisq) for r in res.rows)
    assert zph("rossi", "efron").warnings == ()

"""Subgroup hazard ratios and interaction tests against R.

Reference: ``tests/reference/cox_ext/subgroup.R`` on R's ``pbc`` (the 312 randomised);
R printed ``subgroup.json``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.coxext.subgroup import subgroup_hr
from hccdash.errors import InputError

REF = Path(__file__).parent / "reference" / "cox_ext"
R = json.loads((REF / "subgroup.json").read_text())
REL = 1e-6


@pytest.fixture(scope="module")
def res():
    d = pd.read_csv(REF / "data" / "pbc.csv")
    return subgroup_hr(d, "time", "death", "treated", ["sex", "edema"])


def _cmp(row, r):
    assert (row.n, row.events) == (r["n"], r["events"])
    assert row.hr == pytest.approx(r["hr"], rel=REL)
    assert row.lower == pytest.approx(r["lower"], rel=REL)
    assert row.upper == pytest.approx(r["upper"], rel=REL)
    assert row.p_value == pytest.approx(r["p"], rel=REL)


def test_subgroup_rows_match_r(res):
    """R: ``summary(coxph(Surv(time, death) ~ treated, pb, subset = f == l))`` for the
    overall row and each level of sex (f, m) and edema (0, 0.5, 1)."""
    assert res.comparison == "1 vs 0"
    _cmp(res.rows[0], R["overall"])
    by = {(r.factor, r.level): r for r in res.rows}
    for f in ("sex", "edema"):
        for r in R[f]:
            _cmp(by[(f, r["level"])], r)
    assert [r.level for r in res.rows] == ["All", "f", "m", "0", "0.5", "1"]


def test_interaction_lr_matches_r(res):
    """R: ``anova(coxph(Surv(time, death) ~ treated + f, pb), coxph(... ~ treated * f,
    pb))``: Chisq, Df, P(>|Chi|)."""
    for f in ("sex", "edema"):
        r = R[f"{f}_interaction"]
        t = res.interaction[f]
        assert t.chisq == pytest.approx(r["chisq"], rel=REL)
        assert t.df == r["df"]
        assert t.p_value == pytest.approx(r["p"], rel=REL)
    frame = res.to_frame()
    assert frame.loc[frame.level == "f", "p_interaction"].item() == pytest.approx(
        R["sex_interaction"]["p"], rel=REL
    )
    assert np.isnan(frame.loc[frame.level == "m", "p_interaction"].item())


def test_level_without_events_keeps_a_row_with_a_note():
    d = pd.read_csv(REF / "data" / "pbc.csv")
    d["site"] = np.where(d.index < 10, "tiny", "main")
    d.loc[d.index < 10, "death"] = 0
    res = subgroup_hr(d, "time", "death", "treated", ["site"])
    tiny = next(r for r in res.rows if r.level == "tiny")
    assert np.isnan(tiny.hr) and "no events" in tiny.note


def test_treatment_must_have_two_arms():
    d = pd.read_csv(REF / "data" / "pbc.csv")
    with pytest.raises(InputError, match="two arms"):
        subgroup_hr(d, "time", "death", "edema", ["sex"])

"""RMST per group and differences from the reference (``hccdash.nonparametric.restricted_mean``).

Reference: ``tests/reference/km/rmst_table.R`` (survival's ``survmean`` for each group's rmean
and SE; survRM2 ``rmst2``'s unadjusted difference, CI and p written out) on the KM fixtures'
public datasets, writing ``fixtures/rmst_table.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.errors import InputError
from hccdash.nonparametric import kaplan_meier
from hccdash.nonparametric.restricted_mean import default_tau, rmst_table

REF = Path(__file__).resolve().parent / "reference" / "km"
FIXTURE = json.loads((REF / "fixtures" / "rmst_table.json").read_text())
CASES = [k for k, v in FIXTURE.items() if isinstance(v, dict)]
REL = 1e-6


def _arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("which", ["default", "given"])
@pytest.mark.parametrize("name", CASES)
def test_rmst_table_equals_r(name, which):
    """R: survival:::survmean(survfit(Surv(time, status) ~ <group>, data), rmean = tau), the
    difference from the first level with SE sqrt(se1^2 + se0^2), CI diff +- qnorm(0.975) * SE
    and p 2 * pnorm(-|diff / SE|); ``default``: tau = min over groups of max(time)."""
    case = FIXTURE[name]
    ref = case[which]
    data = pd.read_csv(REF / "data" / f"{name}.csv")
    km = kaplan_meier(data, "time", "status", case["group_column"])
    table = rmst_table(km, ref["tau"] if which == "given" else None)
    assert table.tau == pytest.approx(ref["tau"], rel=1e-12)
    assert table.tau_given is (which == "given")
    assert [r.group for r in table.rows] == ref["group"]
    assert table.reference == ref["group"][0]
    frame = table.to_frame()
    for col in ("rmst", "se", "lower", "upper", "diff", "diff_lower", "diff_upper", "p_value"):
        np.testing.assert_allclose(frame[col], _arr(ref[col]), rtol=REL, err_msg=col)


def test_default_tau_is_the_smallest_last_time_and_a_single_curve_has_no_difference():
    data = pd.read_csv(REF / "data" / "lung.csv")
    km = kaplan_meier(data, "time", "status", "sex")
    assert default_tau(km) == min(c.time[-1] for c in km.curves)
    one = rmst_table(kaplan_meier(data, "time", "status"), 365.0)
    assert one.reference is None and np.isnan(one.diff).all() and np.isnan(one.p_value).all()
    assert 0 < one.rows[0].estimate <= 365.0
    assert one.lower[0] < one.rows[0].estimate < one.upper[0]


def test_a_horizon_that_is_not_a_positive_number_is_refused():
    data = pd.read_csv(REF / "data" / "lung.csv")
    km = kaplan_meier(data, "time", "status", "sex")
    with pytest.raises(InputError, match="tau"):
        rmst_table(km, -1.0)


def test_docstring_examples_run():
    import doctest

    from hccdash.nonparametric import restricted_mean as module

    result = doctest.testmod(module)
    assert result.attempted >= 2 and result.failed == 0


def test_a_data_horizon_is_titled_to_one_decimal_and_the_r_call_keeps_it_exact():
    """lung (days) shown in months: the default horizon is a data time, 1022 / 30.4375 =
    33.577... months; the title reads 33.6 months, the footnote's R call the exact value."""
    from hccdash.report.survival_tables import rmst_model
    from hccdash.schema import Endpoint

    data = pd.read_csv(REF / "data" / "lung.csv")
    table = rmst_table(kaplan_meier(data, "time", "status", "sex"))
    model = rmst_model(table, Endpoint("os", "Overall survival", "time", "status"), divisor=30.4375)
    shown = round(table.tau / 30.4375, 1)
    assert shown != table.tau / 30.4375  # the horizon has more than one decimal
    assert model.title == f"Overall survival: restricted mean survival up to {shown:g} months"
    assert f"rmean = {table.tau:g}" in model.footnotes[0]

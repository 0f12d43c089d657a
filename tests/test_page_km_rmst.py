"""The KM page's restricted mean survival table (in memory and on a served cohort).

The numbers are :func:`hccdash.nonparametric.rmst_table`'s, checked against R in
``tests/test_rmst_table.py``; here the page must show them, follow the typed horizon and its
unit, refuse a bad horizon with a message, and give the same table on both paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_page_served import _app
from test_pages import frame_with, no_exception, open_page

from hccdash.nonparametric import kaplan_meier, rmst_table
from hccdash.schema import load_bundled_cohort


def _rmst_frame(at) -> pd.DataFrame:
    frames = [f for f in frame_with(at, "diff_lower") if "rmst" in f.columns]
    assert len(frames) >= 1, [list(d.value.columns) for d in at.dataframe]
    return frames[0]


def _expected(levels, tau=None) -> pd.DataFrame:
    data = load_bundled_cohort().data
    km = kaplan_meier(data, "os_months", "os_event", "treatment", levels=tuple(levels))
    return rmst_table(km, tau).to_frame()


def test_rmst_table_by_arm_default_horizon_then_typed_in_years():
    """R: survival:::survmean(survfit(Surv(os_months, os_event) ~ treatment), rmean = tau)."""
    at = open_page("km", {"by": "treatment", "endpoint": "os"})
    no_exception(at)
    shown = _rmst_frame(at)
    want = _expected(shown["group"].tolist())
    for c in ("tau", "rmst", "se", "lower", "upper", "diff", "diff_lower", "diff_upper"):
        np.testing.assert_allclose(shown[c], want[c], rtol=1e-12, err_msg=c)
    np.testing.assert_allclose(shown["p_value"], want["p_value"], rtol=1e-12)
    assert np.isnan(shown["diff"].iloc[0]) and not np.isnan(shown["diff"].iloc[1])
    titles = [m.value.replace("\\", "") for m in at.markdown]  # (markdown escapes)
    titles = [t for t in titles if "restricted mean survival up to" in t]
    assert any(f"{want['tau'].iloc[0]:g} months" in t for t in titles), titles

    at.radio(key="km_unit").set_value("years").run()
    at.text_input(key="km_rmst_years").set_value("2").run()
    no_exception(at)
    shown = _rmst_frame(at)
    want = _expected(shown["group"].tolist(), tau=24.0)
    assert shown["tau"].tolist() == [2.0, 2.0]  # shown in years
    np.testing.assert_allclose(shown["rmst"], want["rmst"] / 12, rtol=1e-12)


def test_a_bad_horizon_is_a_message_and_the_default_is_kept():
    at = open_page("km", {"by": "treatment", "endpoint": "os"})
    at.text_input(key="km_rmst_months").set_value("-3").run()
    no_exception(at)
    texts = [w.value.replace("\\", "") for w in at.warning]  # (markdown escapes)
    assert any("RMST horizon '-3' is not one positive number" in t for t in texts), texts
    shown = _rmst_frame(at)
    np.testing.assert_allclose(shown["tau"], _expected(shown["group"].tolist())["tau"])


@pytest.mark.slow
def test_served_rmst_table_equals_the_in_memory_one(monkeypatch, tmp_path):
    from test_engine_served import PUBLIC

    path = tmp_path / "gbsg2.parquet"
    pd.read_csv(PUBLIC / "gbsg2.csv").to_parquet(path, index=False)
    frames = []
    for limit in (None, 100):
        at = _app(monkeypatch, path, limit, {"by": "horTh"})
        at.switch_page("pages/km.py").run()
        no_exception(at)
        frames.append(_rmst_frame(at))
    memory, served = frames
    assert memory["group"].tolist() == served["group"].tolist()
    for c in ("tau", "rmst", "se", "diff", "p_value"):
        np.testing.assert_allclose(served[c], memory[c], rtol=1e-10, err_msg=c)

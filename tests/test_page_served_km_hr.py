"""The hazard ratios beside the Kaplan-Meier curves of a cohort served in place.

Above ``HCCDASH_IN_MEMORY_ROWS`` the KM page's HR block comes from the engine's Cox fit of the
grouping (``hccdash.ui.served_km.hr_fit``); in memory from ``hccdash.cox.cox_fit`` on the
rows. Both must print the same lines for every kind of grouping: a codebook factor with
three levels, a yes/no factor, a numeric column cut at a value, and a numeric column whose
few values are each a group.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_engine_served import PUBLIC
from test_page_served import _app

from hccdash.served_pages import ServedShell
from hccdash.ui.sidebar import _VIEW_KEY


@pytest.fixture(scope="module")
def gbsg2_parquet(tmp_path_factory):
    """GBSG2 with one column the codebook does not know: tumour grade as the numbers 1-3."""
    path = tmp_path_factory.mktemp("hr") / "gbsg2.parquet"
    d = pd.read_csv(PUBLIC / "gbsg2.csv")
    d["grade_num"] = d["tgrade"].map({"I": 1, "II": 2, "III": 3})
    d.to_parquet(path, index=False)
    return path


def _hr_lines(monkeypatch, data, limit, query, each_value: str | None = None) -> list[str]:
    at = _app(monkeypatch, data, limit, query)
    at.switch_page("pages/km.py").run()
    assert not at.exception, [e.message for e in at.exception]
    if each_value is not None:
        at.radio(key=f"km_mode_{each_value}").set_value("each value a group").run()
        assert not at.exception, [e.message for e in at.exception]
    served = isinstance(at.session_state[_VIEW_KEY].cohort, ServedShell)
    assert served == (limit is not None)
    fig = json.loads(at.session_state["km_rfs_fig__export"])
    texts = [a.get("text", "") for a in fig["layout"].get("annotations", [])]
    return [t for t in texts if "HR" in t or "CI" in t]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "each_value", "expect"),
    [
        ({"by": "tgrade"}, None, "HR (95% CI) vs I"),  # three levels: one line each
        ({"by": "horTh"}, None, "HR"),  # yes / no
        ({"by": "age", "cut": "50"}, None, "vs ≤ 50"),  # a number cut at a value
        ({"by": "grade_num"}, "grade_num", "vs 1"),  # a number's few values, each a group
    ],
)
def test_served_km_hazard_ratios_equal_the_in_memory_ones(
    monkeypatch, gbsg2_parquet, query, each_value, expect
):
    """R: ``coxph(Surv(time, cens) ~ factor(group), data = GBSG2)`` (the in-memory HR equals
    R's: tests/test_cox.py); here the engine's fit must print the same lines."""
    memory = _hr_lines(monkeypatch, gbsg2_parquet, None, query, each_value)
    served = _hr_lines(monkeypatch, gbsg2_parquet, 100, query, each_value)
    assert memory, "the in-memory figure shows no hazard ratio"
    assert served == memory
    assert any(expect in t for t in served), served

"""The Cox page on a cohort served in place above ``HCCDASH_IN_MEMORY_ROWS``: fitted on the
engine, it shows the hazard ratios, global tests and forest plot the in-memory page shows
for the same file and filter, says once what it does not offer, and turns a model that
cannot be fitted into a message.

GBSG2 (686 rows) as Parquet, served in place by a low limit (as tests/test_page_served.py).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_engine_served import PUBLIC
from test_other_disease import _all_text
from test_page_served import _app

from hccdash.cohortfile import load_cohort_file
from hccdash.cox import cox_fit
from hccdash.filters import FilterSpec, apply_filters
from hccdash.served_pages import ServedShell
from hccdash.ui.cox_view import codebook_grouped
from hccdash.ui.sidebar import _VIEW_KEY

pytestmark = pytest.mark.slow

QUERY = {"tsize": "10-45"}  # 603 of 686 patients: above a limit of 100


@pytest.fixture
def gbsg2_parquet(tmp_path):
    path = tmp_path / "gbsg2.parquet"
    pd.read_csv(PUBLIC / "gbsg2.csv").to_parquet(path, index=False)
    return path


def _cox(monkeypatch, data, limit: int | None, query: dict) -> AppTest:
    at = _app(monkeypatch, data, limit, query)
    at.switch_page("pages/cox.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _global(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "chisq" in d.value.columns)


def test_served_cox_page_shows_the_in_memory_numbers(monkeypatch, gbsg2_parquet):
    """The same journal table and global tests as the in-memory page on the same rows, and
    the numbers of ``hccdash.cox.cox_fit`` on the filtered rows (itself checked against R
    ``coxph``; the unfiltered engine fit against R in tests/test_served_cox.py)."""
    served = _cox(monkeypatch, gbsg2_parquet, 100, QUERY)
    view = served.session_state[_VIEW_KEY]
    assert isinstance(view.cohort, ServedShell) and len(view.data) == 0  # no rows held
    text = _all_text(served)
    assert "more than the server's limit" not in text  # not the over-limit message
    assert "Fitted on the engine: 603 patients match the filters, more than the 100" in text
    assert "Firth" in text and "Schoenfeld" in text and "concordance" in text
    assert "Concordance is not computed" not in text  # said once, in the caption
    assert not [t for t in served.toggle if t.label == "Firth penalised fit"]
    metrics = {m.label: m.value for m in served.metric}
    assert "Concordance (C)" not in metrics

    # the numbers of the model on the filtered rows in memory
    mem = load_cohort_file(gbsg2_parquet, PUBLIC / "gbsg2.codebook.json")
    covariates = list(mem.default_model())
    rows = apply_filters(mem.data, FilterSpec(extra=(("tsize", (10.0, 45.0)),)))
    rows = codebook_grouped(mem, rows, covariates)  # the page's default: the cut points
    reference = {"horTh": "no", "age": "≤50 years", "menostat": "Post", "tgrade": "I",
                 "pnodes": "1–3 nodes"}  # fmt: skip
    fit = cox_fit(rows, "time", "cens", covariates, reference=reference)
    assert metrics["Patients used"] == f"{fit.n:,}" == "603"
    assert metrics["Events"] == f"{fit.events:,}"
    table = served.table[0].value
    hrs = table["Multivariable: HR (95% CI)"]
    cells = dict(zip(table.iloc[:, 0].str.strip(), hrs, strict=True))  # levels are indented
    for label, term in (("yes", "horTh: yes vs no"), ("Progesterone receptor", "progrec")):
        t = next(t for t in fit.terms if t.term == term)
        assert cells[label] == f"{math.exp(t.coef):.2f} ({t.lower:.2f}–{t.upper:.2f})", term
    tests = _global(served)
    for name, t in zip(tests["test"], (fit.likelihood_ratio, fit.wald, fit.score), strict=True):
        row = tests[tests["test"] == name].iloc[0]
        assert row["chisq"] == pytest.approx(t.chisq, rel=1e-9) and row["df"] == t.df, name
    assert len(served.get("plotly_chart")) == 1  # the forest plot (no residual plot)

    # the in-memory page (default limit) on the same file and filter: the same cells
    memory = _cox(monkeypatch, gbsg2_parquet, None, QUERY)
    assert not isinstance(memory.session_state[_VIEW_KEY].cohort, ServedShell)
    pd.testing.assert_frame_equal(served.table[0].value, memory.table[0].value)
    pd.testing.assert_frame_equal(_global(served), _global(memory))
    forest = [
        json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0] for at in (served, memory)
    ]
    assert forest[0]["x"] == pytest.approx(forest[1]["x"], rel=1e-9)  # the HRs drawn
    assert forest[0]["y"] == forest[1]["y"]


def test_a_model_that_cannot_be_fitted_is_a_message(monkeypatch, gbsg2_parquet):
    at = _cox(monkeypatch, gbsg2_parquet, 5, {"tsize": "13-13"})  # 7 patients, no event
    assert "n = 7 of 686 patients" in [m.value for m in at.sidebar.markdown]
    at.multiselect(key="cox_covariates").set_value(["age"]).run()
    assert not at.exception, [e.message for e in at.exception]
    messages = [w.value for w in at.warning] + [e.value for e in at.error]
    assert any("no events among the 7 complete rows" in m for m in messages), messages
    assert not at.table and not at.metric

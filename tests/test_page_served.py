"""The app on a cohort served in place (``HCCDASH_DATA`` above ``HCCDASH_IN_MEMORY_ROWS``).

GBSG2 (686 rows) as Parquet, forced into served mode by a low limit, shows on the KM page the
n, medians and test of the in-memory path (same file, default limit); a sidebar filter
changes n; a page that needs every row says how many match and the fixes above the limit and
shows its numbers under it. No row of the served cohort is held in any session.
"""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_engine_served import PUBLIC
from test_other_disease import APP, TIMEOUT, _all_text

from hccdash.cohortfile import CODEBOOK_ENV, DATA_ENV
from hccdash.served_pages import IN_MEMORY_ENV, ServedShell
from hccdash.ui.sidebar import _VIEW_KEY


@pytest.fixture
def gbsg2_parquet(tmp_path):
    path = tmp_path / "gbsg2.parquet"
    pd.read_csv(PUBLIC / "gbsg2.csv").to_parquet(path, index=False)
    return path


def _app(monkeypatch, data, limit: int | None, query: dict | None = None) -> AppTest:
    monkeypatch.setenv(DATA_ENV, str(data))
    monkeypatch.setenv(CODEBOOK_ENV, str(PUBLIC / "gbsg2.codebook.json"))
    if limit is None:
        monkeypatch.delenv(IN_MEMORY_ENV, raising=False)
    else:
        monkeypatch.setenv(IN_MEMORY_ENV, str(limit))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _km(at: AppTest) -> tuple[list[str], list[pd.DataFrame]]:
    at.switch_page("pages/km.py").run()
    assert not at.exception, [e.message for e in at.exception]
    lines = [m.value for m in at.markdown if "test" in m.value and "chi-square" in m.value]
    return lines, [t.value for t in at.table]


@pytest.mark.slow
def test_km_page_served_equals_in_memory_and_a_filter_changes_n(monkeypatch, gbsg2_parquet):
    """R: ``survdiff(Surv(time, cens) ~ tgrade, data = GBSG2)``, chi-square 21.1 on 2 df,
    by either path; the median and landmark tables are the same cells."""
    query = {"by": "tgrade"}
    memory = _app(monkeypatch, gbsg2_parquet, None, query)
    assert not isinstance(memory.session_state[_VIEW_KEY].cohort, ServedShell)
    mem_lines, mem_tables = _km(memory)

    served = _app(monkeypatch, gbsg2_parquet, 100, query)
    view = served.session_state[_VIEW_KEY]
    assert isinstance(view.cohort, ServedShell) and len(view.data) == 0  # no rows held
    assert len(view.cohort.data) < 100  # the option frame
    lines, tables = _km(served)
    assert lines == mem_lines and "chi-square = 21.09, df = 2" in lines[0]
    assert len(tables) == len(mem_tables) == 3  # median, landmarks, RMST
    for a, b in zip(tables, mem_tables, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert "n = 686 of 686 patients" in [m.value for m in served.sidebar.markdown]
    assert not [p for p in served.session_state if "Pairwise" in str(p)]

    served.sidebar.selectbox(key="f_arm").set_value("yes").run()
    assert not served.exception
    assert "n = 246 of 686 patients" in [m.value for m in served.sidebar.markdown]
    assert served.query_params["horTh"] in ("yes", ["yes"])
    after = [m.value for m in served.markdown if "chi-square" in m.value]
    assert after and after[0] != lines[0]


def test_a_page_over_the_limit_says_so_and_under_it_shows_numbers(monkeypatch, gbsg2_parquet):
    at = _app(monkeypatch, gbsg2_parquet, 300)
    at.switch_page("pages/univariate.py").run()
    assert not at.exception
    text = _all_text(at)
    assert "686 patients match the filters, more than the server's limit of 300" in text
    assert "HCCDASH_IN_MEMORY_ROWS" in text and "--engine duckdb" in text
    assert not at.table
    at.sidebar.selectbox(key="f_arm").set_value("yes").run()  # 246 patients: read into memory
    assert not at.exception
    assert "limit of 300" not in _all_text(at)
    memory = _app(monkeypatch, gbsg2_parquet, None, {"horTh": "yes"})
    memory.switch_page("pages/univariate.py").run()
    assert len(at.table) == len(memory.table) == 3  # Table 1, and the curves: median, RMST
    for a, b in zip(at.table, memory.table, strict=True):  # same rows, same table
        pd.testing.assert_frame_equal(a.value, b.value)
    assert "Age" in set(at.table[0].value.iloc[:, 0])


@pytest.mark.slow
def test_cohort_page_served_from_sql_and_in_memory_give_the_same_counts(monkeypatch, gbsg2_parquet):
    memory = _app(monkeypatch, gbsg2_parquet, None, {"tgrade": "III"})
    served = _app(monkeypatch, gbsg2_parquet, 100, {"tgrade": "III"})

    def metrics(at):
        return {m.label: str(m.value).replace(",", "") for m in at.metric}

    a, b = metrics(memory), metrics(served)
    assert b["Patients after filters"] == a["Patients after filters"] == "161"
    for key in ("Patients loaded", "RFS events", "Median follow-up (RFS, reverse KM)"):
        assert a[key] == b[key], key
    sizes = next(d.value for d in served.dataframe if "patients" in d.value.columns)
    raw = pd.read_csv(PUBLIC / "gbsg2.csv")
    expected = raw.loc[raw["tgrade"] == "III", "horTh"].value_counts().to_dict()
    assert dict(zip(sizes["group"], sizes["patients"], strict=True)) == expected  # by arm

"""Delayed entry in the univariate table (issue 18 item 2): a declared entry column makes each
factor's medians R's delayed-entry KM and its p the log-rank test on those risk sets.

Data: R's ``survival::mgus2`` on the age scale (tests/reference/delayed_entry/mgus2_age.R):
entry = age at diagnosis, exit = age at death or last follow-up (years).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_page_data import shown_text
from test_page_mapping_endpoints import AGE, on_data_page

from hccdash import schema
from hccdash.schema import Endpoint, Factor
from hccdash.tables import univariate_table
from hccdash.ui.state import UPLOADED_KEY

pytestmark = pytest.mark.usefixtures("router_on_every_run")
REF = Path(__file__).resolve().parent / "reference" / "delayed_entry"
R_UNI = json.loads((REF / "mgus2_age.json").read_text())["univariate"]


def test_univariate_table_with_entry_is_r_delayed_entry_km_and_logrank():
    """R: ``summary(survfit(Surv(age, age_exit, death) ~ sex, data = d, conf.type =
    "log-log"))$table`` (median, 0.95LCL, 0.95UCL) and survdiff's formula on the aeqSurv'd
    (age, age_exit] risk sets (mgus2_age.R: chisq 33.67213; R's survdiff refuses such data,
    coxph's efron score test is 33.73445)."""
    d = pd.read_csv(AGE)
    ep = Endpoint("os", "Overall survival", "age_exit", "death", unit="years")
    sex = Factor("sex", "Sex")
    table = univariate_table(d, [sex], [ep], entries=["age"])
    cells = [r.cells[0] for r in table.rows]
    assert [r.level for r in table.rows] == R_UNI["level"]
    assert [c.n for c in cells] == R_UNI["n"]
    assert [c.events for c in cells] == R_UNI["events"]
    assert [c.median for c in cells] == pytest.approx(R_UNI["median"], rel=1e-6)
    assert [c.lower for c in cells] == pytest.approx(R_UNI["lower"], rel=1e-6)
    assert [c.upper for c in cells] == pytest.approx(R_UNI["upper"], rel=1e-6)
    test = table.test("sex", "os")
    assert test.chisq == pytest.approx(R_UNI["logrank_chisq"][0], rel=1e-6)
    assert test.p_value == pytest.approx(R_UNI["logrank_p"][0], rel=1e-6)
    assert test.chisq != pytest.approx(R_UNI["score_efron"][0], rel=1e-6)
    # without the entry the same call is the ordinary KM: other medians
    plain = univariate_table(d, [sex], [ep])
    assert plain.rows[0].cells[0].median != pytest.approx(R_UNI["median"][0], rel=1e-3)


def test_univariate_page_uses_the_declared_entry():
    """R (mgus2_age.R): the medians of ``survfit(Surv(age, age_exit, death) ~ sex, conf.type =
    "log-log")`` in months (years x 12) on the page's table, and its footnote names the test."""
    at = on_data_page(AGE)
    at.selectbox(key="map_os_time").set_value("age_exit")
    at.selectbox(key="map_time_unit").set_value("years")
    at.selectbox(key="map_os_entry").set_value("age").run()
    at.button(key="up_confirm").click().run()
    cohort = at.session_state[UPLOADED_KEY]
    assert cohort.entry_column("os") == schema.OS_ENTRY
    at.switch_page("pages/univariate.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = shown_text(at)
    assert "Overall survival: delayed entry is used" in text
    (shown,) = [t.value for t in at.table if "Overall survival: Median (95% CI)" in t.value]
    labels = shown["Characteristic"].str.strip().tolist()
    want = [
        f"{12 * m:.1f} ({12 * lo:.1f}–{12 * hi:.1f})"
        for m, lo, hi in zip(R_UNI["median"], R_UNI["lower"], R_UNI["upper"], strict=True)
    ]
    rows = [labels.index(lev) for lev in R_UNI["level"]]
    assert shown["Overall survival: Median (95% CI)"].iloc[rows].tolist() == want
    page = " ".join(str(m.value) for m in [*at.markdown, *at.caption]).replace("\\", "")
    assert "medians from R survfit(Surv(entry, time, event) ~ factor)" in page
    assert "log-rank test on those risk sets (R survdiff's formula" in page

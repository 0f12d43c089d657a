"""AppTest of the "Reproduce the paper" page: the numbers it shows equal hccdash.reproduce's.

As in tests/test_pages.py, a switched-to page gets back to app.py's router by itself
(``hccdash.ui.state.ensure_app_router``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from hccdash import reproduce
from hccdash.schema import Cohort, load_bundled_cohort
from hccdash.ui.state import UPLOADED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180


def _open(cohort: Cohort | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if cohort is not None:
        at.session_state[UPLOADED_KEY] = cohort
    at.run()
    at.switch_page("pages/reproduce.py").run()
    assert not at.exception, at.exception
    return at


def test_page_numbers_equal_hccdash():
    at = _open()
    data = load_bundled_cohort().data
    assert at.title[0].value == "Reproduce the paper"
    assert len(at.dataframe) == 6
    fid = at.dataframe[0].value
    assert list(fid["criterion"]) == list(reproduce.fidelity(data).to_frame()["criterion"])
    assert fid["met"].all()
    overall, medians, tests = at.dataframe[1].value, at.dataframe[2].value, at.dataframe[3].value
    want = reproduce.overall(data)
    pd.testing.assert_frame_equal(overall.reset_index(drop=True), want, check_dtype=False)
    want_med = reproduce.table1_medians(data)
    np.testing.assert_array_equal(
        medians["median"].to_numpy(float), want_med["median"].to_numpy(float)
    )
    np.testing.assert_array_equal(
        medians["delta"].to_numpy(float), want_med["delta"].to_numpy(float)
    )
    want_tests = reproduce.table1_tests(data)
    np.testing.assert_array_equal(tests["p"].to_numpy(float), want_tests["p"].to_numpy(float))
    assert list(tests["same_side"]) == list(want_tests["same_side"])
    responses, table2 = at.dataframe[4].value, at.dataframe[5].value
    pd.testing.assert_frame_equal(
        responses.reset_index(drop=True), reproduce.responses(data), check_dtype=False
    )
    want_t2 = reproduce.table2(data)
    np.testing.assert_allclose(
        table2["wald_chisq"].to_numpy(float), want_t2["wald_chisq"], rtol=1e-12
    )
    np.testing.assert_allclose(table2["hr"].to_numpy(float), want_t2["hr"], rtol=1e-12)
    inc = reproduce.inconsistencies()
    shown = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(shown) == len(inc) == 7
    for i, (text, row) in enumerate(zip(shown, inc.itertuples(), strict=True), start=1):
        assert text.startswith(f"**{i}. {row.inconsistency}**")
        assert row.explanation in text
    assert any("SPSS" in t and "Wald" in t for t in shown)
    # the bundled cohort is active: no "applies to the bundled cohort" notice
    assert not any("applies to the bundled" in i.value for i in at.info)


def test_page_says_the_comparison_is_for_the_bundled_cohort_when_data_are_uploaded():
    bundled = load_bundled_cohort()
    own = Cohort(name="mine.csv", data=bundled.data.head(12).copy(), source="mine.csv")
    at = _open(own)
    assert any("applies to the bundled reconstructed cohort" in i.value for i in at.info)
    # still the full bundled cohort's numbers, not the 12 uploaded rows
    overall = at.dataframe[1].value.set_index("figure")
    assert overall.loc["Patients", "computed"] == 21

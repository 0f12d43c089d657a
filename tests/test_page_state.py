"""Page choices survive navigation; URL keys for columns the cohort lacks warn (issue 20)."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _km(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/km.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_stratify_by_survives_leaving_km_and_coming_back():
    at = _km()
    at.selectbox(key="km_by").set_value("treatment").run()
    assert at.query_params.get("by") == "treatment"
    at.switch_page("pages/cohort.py").run()
    at.query_params.pop("by", None)  # the browser's URL of the other page has no ?by=
    at.switch_page("pages/km.py").run()
    assert not at.exception
    assert at.selectbox(key="km_by").value == "treatment"


def test_a_url_key_naming_no_column_gets_a_warning():
    at = _km({"child_pugh": "A", "tumour_size": "big"})
    shown = [re.sub(r"\\(.)", r"\1", w.value) for w in at.sidebar.warning]
    assert any("'tumour_size' names no column of this cohort" in w for w in shown), shown
    assert "n = 14 of 21 patients" in at.sidebar.markdown[0].value  # the valid key still applies

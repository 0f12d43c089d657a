"""Sidebar roles declared in a codebook, on columns of any name (issue 12, item 4).

The veterans' codebook gives the performance-status role (``kps``) to ``Karnofsky_score`` and
the treatment role to ``Treatment``; GBSG2's gives the treatment role to ``horTh``. The
sidebar offers those filters with the codebook's labels, levels and presets, for a cohort
served by ``HCCDASH_DATA`` and for an upload with its codebook; the URL keys are the columns'
own names. Reference values: ``tests/reference/public/roles_reference.R`` (its JSON beside it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash.codebook import Codebook
from hccdash.cohortfile import CODEBOOK_ENV, DATA_ENV, load_cohort_file
from hccdash.errors import InputError
from hccdash.filters import FilterSpec, apply_filters, describe, filter_labels, role_columns

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PUBLIC = ROOT / "tests" / "data" / "public"
REF = json.loads((ROOT / "tests/reference/public/roles_reference.json").read_text())
TIMEOUT = 120
DAYS = 30.4375
pytestmark = pytest.mark.usefixtures("router_on_every_run")


@pytest.fixture(scope="module")
def veterans():
    return load_cohort_file(PUBLIC / "veterans.csv", PUBLIC / "veterans.codebook.json")


def test_codebook_roles_on_columns_of_any_name_filter_and_round_trip(veterans):
    roles = role_columns(veterans)
    assert roles == {"kps": "Karnofsky_score", "treatment": "Treatment"}
    spec, warnings = FilterSpec.from_query(
        {"Karnofsky_score": "60-99", "Treatment": "test"}, veterans.data, roles
    )
    assert warnings == []
    assert spec.kps == (60, 99) and spec.arm == "test"
    assert spec.to_query() == {"Karnofsky_score": "60-99", "Treatment": "test"}
    kept = apply_filters(veterans.data, spec)
    assert (len(kept), int(kept["Status"].sum())) == (
        REF["veterans"]["n"],
        REF["veterans"]["events"],
    )
    assert describe(spec, filter_labels(veterans)) == "Karnofsky score 60–99; Treatment test"
    back, _ = FilterSpec.from_query(spec.to_query(), veterans.data, roles)
    assert back == spec


def test_the_role_key_is_an_alias_unless_a_column_has_that_name(veterans):
    roles = role_columns(veterans)
    spec, warnings = FilterSpec.from_query({"kps": "60-99", "arm": "test"}, veterans.data, roles)
    assert warnings == [] and (spec.kps, spec.arm) == ((60, 99), "test")
    # a non-role column called "arm" keeps its own key
    data = veterans.data.assign(arm=["x", "y"] * 68 + ["x"])
    spec, warnings = FilterSpec.from_query({"arm": "y"}, data, roles)
    assert warnings == [] and spec.arm is None and spec.extra == (("arm", ("y",)),)
    # a performance-status role outside 0-100 is not bounded as the canonical KPS is
    spec, warnings = FilterSpec.from_query({"Karnofsky_score": "20-150"}, veterans.data, roles)
    assert warnings == [] and spec.kps == (20, 150)


def test_a_yes_no_role_whose_levels_are_not_yes_no_filters_by_level():
    data = pd.DataFrame({"ln": ["involved", "free", "involved", None], "t": [1, 2, 3, 4]})
    roles = {"pvtt": "ln"}
    spec, warnings = FilterSpec.from_query({"ln": "Involved"}, data, roles)
    assert warnings == [] and spec.pvtt == "involved"
    assert apply_filters(data, spec).index.tolist() == [0, 2]
    spec, warnings = FilterSpec.from_query({"ln": "yes"}, data, roles)
    assert spec.pvtt is None and "ln=involved" in warnings[0]


def test_positive_and_negative_are_yes_and_no_of_the_one_vocabulary():
    """hccdash.vocab reads positive/negative as yes/no (as the mapping does): the filter is
    yes/no, and the URL may say either word."""
    data = pd.DataFrame({"ln": ["positive", "negative", "positive", None], "t": [1, 2, 3, 4]})
    roles = {"pvtt": "ln"}
    for raw in ("yes", "Positive"):
        spec, warnings = FilterSpec.from_query({"ln": raw}, data, roles)
        assert warnings == [] and spec.pvtt == "yes"
        assert apply_filters(data, spec).index.tolist() == [0, 2]


@pytest.mark.parametrize(
    ("variables", "match"),
    [
        ([{"name": "a", "role": "KPS"}], r"role 'KPS' is not one of"),
        ([{"name": "a", "role": "kps"}, {"name": "b", "role": "kps"}], r"one column per role"),
    ],
)
def test_codebook_roles_are_checked(variables, match):
    doc = {"format": "hccdash-codebook", "version": 1, "variables": variables}
    with pytest.raises(InputError, match=match):
        Codebook.from_json(json.dumps(doc))


def _server_app(monkeypatch, params: dict[str, str] | None = None) -> AppTest:
    monkeypatch.setenv(DATA_ENV, str(PUBLIC / "veterans.csv"))
    monkeypatch.setenv(CODEBOOK_ENV, str(PUBLIC / "veterans.codebook.json"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _count(at: AppTest) -> str:
    return next(m.value for m in at.sidebar.markdown if m.value.startswith("n = "))


def test_server_cohort_roles_drive_the_sidebar_presets_and_url(monkeypatch):
    """R: ``survfit(Surv(Survival_in_days, dead) ~ 1, subset(v, Karnofsky_score >= 60 &
    Treatment == "test"), conf.type = "log-log")``: n 41, 38 events, median 111 days."""
    at = _server_app(monkeypatch)
    arm = at.sidebar.selectbox(key="f_arm")
    assert arm.label == "Treatment" and arm.options == ["any", "standard", "test"]
    kps = at.sidebar.slider(key="f_kps")
    assert kps.label == "Karnofsky score (inclusive)" and kps.value == (10, 99)
    at.sidebar.button(key="f_kps_btn_ge60").click().run()  # the codebook's preset "≥60"
    arm = at.sidebar.selectbox(key="f_arm")
    arm.set_value("test").run()
    assert _count(at) == "n = 41 of 137 patients"
    assert {k: at.query_params[k] for k in ("Karnofsky_score", "Treatment")} in (
        {"Karnofsky_score": "60-99", "Treatment": "test"},
        {"Karnofsky_score": ["60-99"], "Treatment": ["test"]},
    )
    at.switch_page("pages/km.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = next(d.value for d in at.dataframe if "median" in d.value.columns)
    assert table["n"].iloc[0] == REF["veterans"]["n"]
    assert table["events"].iloc[0] == REF["veterans"]["events"]
    assert table["median"].iloc[0] * DAYS == pytest.approx(REF["veterans"]["median"], rel=1e-9)
    # a shared link restores the same patients in a new session
    again = _server_app(monkeypatch, {"Karnofsky_score": "60-99", "Treatment": "test"})
    assert _count(again) == "n = 41 of 137 patients"
    assert again.sidebar.selectbox(key="f_arm").value == "test"


def test_upload_with_its_codebook_gets_its_roles_names_and_unit():
    """GBSG2 uploaded with its codebook: the codebook's unit is one click, its endpoint name
    and its treatment role (``horTh``) apply. R: ``survdiff(Surv(time, cens) ~ tgrade,
    subset(g, horTh == "yes"))``: p = 0.0101 on 246 patients."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    raw = (PUBLIC / "gbsg2.csv").read_bytes()
    at.file_uploader(key="up_file").set_value(("gbsg2.csv", raw, "text/csv")).run()
    book = (PUBLIC / "gbsg2.codebook.json").read_bytes()
    at.file_uploader(key="up_codebook_json").set_value(
        ("gbsg2.codebook.json", book, "application/json")
    ).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("The codebook gives the times in days" in w.value for w in at.warning)
    at.button(key="cb_unit_fix").click().run()
    assert at.selectbox(key="map_time_unit").value == "days"
    assert not any("look like days" in w.value for w in at.warning)
    at.button(key="up_confirm").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _count(at) == "n = 686 of 686 patients"
    arm = at.sidebar.selectbox(key="f_arm")
    assert arm.label == "Hormonal therapy" and arm.options == ["any", "no", "yes"]
    arm.set_value("yes").run()
    assert _count(at) == f"n = {REF['gbsg2']['n']} of 686 patients"
    assert at.query_params["horTh"] in ("yes", ["yes"])
    at.switch_page("pages/univariate.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = next(d.value for d in at.dataframe if "factor" in d.value.columns)
    assert "rfs_p" in table.columns  # the codebook's endpoint key, not "os"
    grade = table[table["factor"] == "Tumour grade"]
    assert grade["n"].tolist() == REF["gbsg2"]["tgrade"]["n"]
    assert grade["rfs_events"].tolist() == REF["gbsg2"]["tgrade"]["events"]
    p = grade["rfs_p"].dropna().iloc[0]
    assert p == pytest.approx(REF["gbsg2"]["logrank_tgrade"]["p"], rel=1e-6)


def test_a_codebook_preset_of_any_numeric_variable_is_one_click(monkeypatch, tmp_path):
    """GBSG2's age grouping marked ``preset``: "More filters" on age offers its two groups."""
    doc = json.loads((PUBLIC / "gbsg2.codebook.json").read_text())
    age = next(v for v in doc["variables"] if v["name"] == "age")
    age["groupings"][0]["preset"] = True
    book = tmp_path / "gbsg2.codebook.json"
    book.write_text(json.dumps(doc))
    monkeypatch.setenv(DATA_ENV, str(PUBLIC / "gbsg2.csv"))
    monkeypatch.setenv(CODEBOOK_ENV, str(book))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.sidebar.multiselect(key="f_more_cols").set_value(["age"]).run()
    assert not at.exception, [e.message for e in at.exception]
    buttons = {b.label: b for b in at.sidebar.button if b.key.startswith("f_xp_age_btn_")}
    assert list(buttons) == ["≤50 years", ">50 years"]
    ages = pd.read_csv(PUBLIC / "gbsg2.csv")["age"]
    buttons["≤50 years"].click().run()
    assert _count(at) == f"n = {int((ages <= 50).sum())} of 686 patients"
    assert at.sidebar.slider(key="f_x_age").value == (float(ages.min()), 50.0)
    next(b for b in at.sidebar.button if b.label == ">50 years").click().run()
    assert _count(at) == f"n = {int((ages > 50).sum())} of 686 patients"


def test_a_server_file_whose_unit_does_not_fit_names_the_codebook_fix(tmp_path):
    """GBSG2's ``time`` (days, not named so) read without a codebook: one message with the
    unit and the fix; nothing is excluded."""
    with pytest.raises(InputError) as info:
        load_cohort_file(PUBLIC / "gbsg2.csv")
    text = str(info.value)
    assert text.startswith("gbsg2.csv: Read as months, the longest follow-up is 222 years")
    assert "these look like days; fix: give a codebook" in text and '"unit": "days"' in text


def test_unknown_event_words_are_asked_about_and_read_as_censored(tmp_path):
    """The veterans' file with 'LTFU' and 'Lost to follow-up' for some of its 'alive' rows:
    the data page names them, reads them as censored (nothing excluded), and the medians are
    the original file's (R: ``survfit(Surv(Survival_in_days, dead) ~ Treatment, v)``)."""
    frame = pd.read_csv(PUBLIC / "veterans.csv")
    alive = frame.index[frame["Status"] == "alive"]
    frame.loc[alive[:3], "Status"] = "LTFU"
    frame.loc[alive[3:5], "Status"] = "Lost to follow-up"
    raw = frame.to_csv(index=False).encode()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="up_file").set_value(("veterans_ltfu.csv", raw, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    info = " ".join(i.value for i in at.info).replace("\\", "").lower()
    assert "2 value(s) not recognised" in info and "'ltfu'" in info and "read as censored" in info
    censored = {v.lower() for v in at.multiselect(key="map_os_ce").value}
    assert censored == {"alive", "ltfu", "lost to follow-up"}
    summary = next(d.value for d in at.dataframe if "median follow-up" in d.value.columns)
    assert (summary["patients"].iloc[0], summary["events"].iloc[0]) == (137, 128)
    at.button(key="up_confirm").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _count(at) == "n = 137 of 137 patients"
    from hccdash.nonparametric import kaplan_meier, median_survival

    ref = json.loads((ROOT / "tests/reference/public/public_reference.json").read_text())
    cohort = at.session_state["hccdash_uploaded_cohort"]
    km = kaplan_meier(cohort.data, "os_months", "os_event", "treatment")
    got = [median_survival(c).median * DAYS for c in km.curves]
    assert got == pytest.approx(ref["veterans"]["km"]["median"], rel=1e-9)


def test_roles_on_numeric_codes_match_their_levels_as_written():
    """R's veteran codes the arm 1/2; with a missing cell the column is float (1.0, 2.0), and
    the codebook's levels "1"/"2" must still select those rows (level text, not repr)."""
    data = pd.DataFrame({"trt": [1.0, 2.0, None, 2.0], "stage": [1.0, 3.0, 3.0, None]})
    roles = {"treatment": "trt", "child_pugh": "stage"}
    spec, warnings = FilterSpec.from_query({"trt": "2", "stage": "3"}, data, roles)
    assert warnings == [] and (spec.arm, spec.child_pugh) == ("2", ("3",))
    assert apply_filters(data, spec).index.tolist() == [1]


def test_the_cohort_page_compares_the_codebook_treatment_role_by_default(monkeypatch):
    at = _server_app(monkeypatch)
    by = at.selectbox(key="cohort_by")
    assert by.value == "Treatment"
    v = pd.read_csv(PUBLIC / "veterans.csv")
    table = next(
        d.value for d in at.dataframe if any("standard" in str(c) for c in d.value.columns)
    )
    counts = v["Treatment"].value_counts()
    header = " ".join(map(str, table.columns))
    assert f"standard (n={counts['standard']})" in header, header
    assert f"test (n={counts['test']})" in header, header


def test_filter_captions_say_the_level_not_its_url_slug():
    from hccdash.filters import filter_levels
    from hccdash.schema import load_bundled_cohort

    bundled = load_bundled_cohort()
    spec, _ = FilterSpec.from_query({"arm": "imrt_tace"}, bundled.data, role_columns(bundled))
    text = describe(spec, filter_labels(bundled), filter_levels(bundled))
    assert text == "Treatment arm IMRT+TACE"

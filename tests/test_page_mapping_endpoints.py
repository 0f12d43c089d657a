"""AppTest: the data page declares competing event types and delayed entry, and the
competing-risks, Kaplan-Meier and Cox pages analyse the uploaded cohort with them.

Data: R's ``survival::mgus2``: ``tests/reference/competing/mgus2.csv`` (competing.R: etime
months, event 0 censored / 1 progression / 2 death) and
``tests/reference/delayed_entry/mgus2_age.csv`` (mgus2_age.R: the age scale, entry = age at
diagnosis, exit = age at death or last follow-up, years).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_page_data import APP, TIMEOUT, shown_text

from hccdash import schema
from hccdash.ui.state import UPLOADED_KEY

pytestmark = pytest.mark.usefixtures("router_on_every_run")
REF = Path(__file__).resolve().parent / "reference"
MGUS2 = REF / "competing" / "mgus2.csv"
AGE = REF / "delayed_entry" / "mgus2_age.csv"
R_CR = json.loads((REF / "competing" / "competing.json").read_text())["cuminc"]["mgus2_sex"]
R_AGE = json.loads((REF / "delayed_entry" / "mgus2_age.json").read_text())
STATUS = "os_event (event type)"


def on_data_page(path: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="up_file").set_value((path.name, path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame(at: AppTest, column: str):
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, column
    return found[0]


def test_competing_codes_declared_on_the_data_page_reach_the_competing_page():
    """R: ``cuminc(mg$etime, mg$event, mg$sex)`` and ``timepoints(ci, c(60, 120, 240))``
    (cmprsk 2.2-11, tests/reference/competing/competing.R)."""
    at = on_data_page(MGUS2)
    at.selectbox(key="map_os_time").set_value("etime").run()
    # code 2 is not declared: named with its count; no button offers to exclude the rows
    assert "1 undeclared code: '2' (860 rows)" in shown_text(at)
    assert "up_confirm" not in [b.key for b in at.button]
    assert "Event codes not declared (column 'event': '2' (860 rows))" in shown_text(at)
    codes = frame(at, "read as")
    assert codes.values.tolist() == [
        ["2", 860, "NOT DECLARED", ""], ["0", 409, "censored", ""],
        ["1", 115, "event of interest", ""],
    ]  # fmt: skip
    at.multiselect(key="map_os_cr").set_value(["2"]).run()
    at.text_input(key="map_os_name_1").set_value("Progression").run()
    at.text_input(key="map_os_name_2").set_value("Death without progression").run()
    codes = frame(at, "read as")
    assert codes["read as"].tolist() == ["competing event", "censored", "event of interest"]
    assert codes["name"].tolist() == ["Death without progression", "", "Progression"]
    summary = frame(at, "competing events")
    assert summary[["events", "competing events", "censored"]].values.tolist() == [[115, 860, 409]]
    at.text_input(key="cb_os_key").set_value("pcm").run()
    at.text_input(key="cb_os_label").set_value("Progression to PCM").run()
    at.button(key="up_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    cohort = at.session_state[UPLOADED_KEY]
    (ep,) = cohort.codebook.endpoints
    assert (ep.key, ep.competing_values, ep.code_names[1]) == (
        "pcm",
        ("2",),
        ("2", "Death without progression"),
    )
    assert cohort.n == 1384 and STATUS in cohort.data

    at.switch_page("pages/competing.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="cr_source").value == "codebook"
    assert at.selectbox(key="cr_codebook").value.label == "Progression to PCM"
    at.selectbox(key="cr_group").set_value("sex").run()
    at.text_input(key="cr_times").set_value("60, 120, 240").run()
    assert not at.exception, [e.value for e in at.exception]
    lm = frame(at, "est")
    tp = R_CR["timepoints"]
    names = {1: "Progression", 2: "Death without progression"}
    for name, est, lo, hi in zip(
        tp["names"], tp["est"], tp["loglog_lower"], tp["loglog_upper"], strict=True
    ):
        group, cause = name.split()
        rows = lm[(lm["group"] == group) & (lm["cause"] == names[int(cause)])]
        assert rows["time"].tolist() == tp["times"]
        assert rows["est"].tolist() == pytest.approx(est, rel=1e-6)
        assert rows["lower"].tolist() == pytest.approx(lo, rel=1e-6)
        assert rows["upper"].tolist() == pytest.approx(hi, rel=1e-6)
    gray = frame(at, "stat")
    assert gray["stat"].tolist() == pytest.approx([t["stat"] for t in R_CR["tests"]], rel=1e-6)
    assert gray["p_value"].tolist() == pytest.approx(
        [t["p_value"] for t in R_CR["tests"]], rel=1e-6
    )


def test_competing_mapping_json_restores_the_codes_and_names():
    from hccdash.mapping import ColumnMapping, EventCoding

    at = on_data_page(MGUS2)
    saved = ColumnMapping(
        patient_id="id", os_time="etime", os_event="event",
        os_coding=EventCoding(event=("1",), censored=("0",), competing=("2",),
                              names=(("2", "Death"),)),
    )  # fmt: skip
    at.file_uploader(key="up_mapping_json").set_value(
        ("m.json", saved.to_json().encode(), "application/json")
    )
    at.run()
    assert at.multiselect(key="map_os_cr").value == ["2"]
    assert at.text_input(key="map_os_name_2").value == "Death"
    assert not at.error


def test_entry_column_drives_the_km_and_cox_pages():
    """R (tests/reference/delayed_entry/mgus2_age.R): ``summary(survfit(Surv(age, age_exit,
    death) ~ sex, data = d), times = c(70, 80, 90))`` and ``coxph(Surv(age, age_exit, death) ~
    sex + hgb, data = d)``; the cohort's times are months (years x 12)."""
    at = on_data_page(AGE)
    at.selectbox(key="map_os_time").set_value("age_exit")
    at.selectbox(key="map_time_unit").set_value("years")
    at.selectbox(key="map_os_entry").set_value("age").run()
    text = shown_text(at)
    # the unit check reads the follow-up (exit - entry: mgus2's 35 years, a plausible
    # registry follow-up), not the age (103 years would be doubted): no unit warning
    assert "the longest follow-up is" not in text and "103 years" not in text
    assert "No problems found in 1384 rows" in text
    assert frame(at, "delayed entry")["delayed entry"].tolist() == ["yes"]
    at.button(key="up_confirm").click().run()
    cohort = at.session_state[UPLOADED_KEY]
    assert cohort.entry_column("os") == schema.OS_ENTRY

    at.switch_page("pages/km.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Overall survival has delayed entry" in shown_text(at)
    # the page's own curves: landmarks at ages 70, 80, 90 (months) by sex equal R's survfit
    at.selectbox(key="km_by").set_value("sex").run()
    at.text_input(key="km_landmarks_months").set_value("840, 960, 1080").run()
    assert not at.exception, [e.value for e in at.exception]
    lm = frame(at, "time (months)")
    for r in R_AGE["km"]:
        row = lm[(lm["group"] == r["strata"]) & (lm["time (months)"] == 12.0 * r["time"])]
        assert row["n_risk"].tolist() == [r["n_risk"]]
        assert row["surv"].tolist() == pytest.approx([r["surv"]], rel=1e-6)
    assert at.selectbox(key="kmx_start").value == schema.OS_ENTRY
    at.selectbox(key="kmx_group").set_value("sex").run()
    km = frame(at, "std_err")
    for r in R_AGE["km"]:
        rows = km[(km["group"] == r["strata"]) & (km["time"] <= 12.0 * r["time"])]
        assert rows["surv"].iloc[-1] == pytest.approx(r["surv"], rel=1e-6)
    from hccdash.coxext.counting import logrank_counting

    test = logrank_counting(cohort.data, schema.OS_TIME, schema.OS_EVENT, "sex",
                            start=schema.OS_ENTRY)  # fmt: skip
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert f"Log-rank with delayed entry: chisq {test.chisq:.3f} on 1 df" in shown
    assert f"Log-rank test: chi-square = {test.chisq:.2f}, df = 1" in shown  # the main section

    at.switch_page("pages/cox.py").run()
    at.multiselect(key="cox_covariates").set_value(["sex", "hgb"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Overall survival has delayed entry" in shown_text(at)
    hr = frame(at, "model")
    multi = hr[hr["model"] == hr["model"].iloc[-1]]
    ref = R_AGE["cox"]
    assert multi["coef"].tolist() == pytest.approx(ref["coef"], rel=1e-6)
    assert multi["se"].tolist() == pytest.approx(ref["se"], rel=1e-6)
    assert [str(m.value) for m in at.metric][:2] == [str(ref["n"][0]), str(ref["nevent"][0])]
    assert at.selectbox(key="coxx_start").value == schema.OS_ENTRY

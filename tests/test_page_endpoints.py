"""AppTest: any number of endpoints in the data page's mapping step.

Data: ``tests/data/public/colon3.csv``, R's ``survival::colon`` made wide with three endpoints
in days (time to recurrence, overall survival, recurrence-free survival), written by
``tests/reference/endpoints/colon_endpoints.R``, which also printed the reference numbers
(``colon_endpoints.json``): per endpoint n, events, censored, the time range and the median
follow-up by reverse Kaplan-Meier (R ``survfit(Surv(time, 1 - status) ~ 1)``), and the KM
median (R ``survfit(Surv(time, status) ~ 1)``, days / 30.4375 in months).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_page_data import APP, TIMEOUT, shown_text

from hccdash.codebook import Codebook
from hccdash.mapping import ColumnMapping, EventCoding
from hccdash.mapping.endpoints import EndpointMapping
from hccdash.ui.state import UPLOADED_KEY

pytestmark = pytest.mark.usefixtures("router_on_every_run")
ROOT = Path(__file__).resolve().parent
COLON = ROOT / "data" / "public" / "colon3.csv"
R = json.loads((ROOT / "reference" / "endpoints" / "colon_endpoints.json").read_text())
LABELS = {"os": "Overall survival", "rec": "Time to recurrence", "rfs": "Recurrence-free survival"}


def on_data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="up_file").set_value((COLON.name, COLON.read_bytes(), "text/csv"))
    at.run()
    at.selectbox(key="map_os_time").set_value("os_days")
    at.selectbox(key="map_os_event").set_value("os_status")
    at.selectbox(key="map_time_unit").set_value("days").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def add_endpoint(at: AppTest, i: int, key: str, time: str, event: str) -> None:
    at.button(key="map_ep_add").click().run()
    at.text_input(key=f"map_ep{i}_key").set_value(key)
    at.text_input(key=f"map_ep{i}_label").set_value(LABELS[key])
    at.selectbox(key=f"map_ep{i}_time").set_value(time)
    at.selectbox(key=f"map_ep{i}_event").set_value(event).run()
    assert not at.exception, [e.value for e in at.exception]


def summary(at: AppTest):
    found = [d.value for d in at.dataframe if "median follow-up" in d.value.columns]
    assert found
    return found[0]


def assert_summary_is_r(table) -> None:
    assert table["endpoint"].tolist() == [f"{LABELS[k]} ({k})" for k in ("os", "rec", "rfs")]
    for row, key in zip(table.to_dict("records"), ("os", "rec", "rfs"), strict=True):
        r = R[key]
        assert (row["patients"], row["events"], row["censored"]) == (
            r["n"], r["events"], r["censored"],
        )  # fmt: skip
        assert (row["shortest"], row["longest"]) == (r["shortest"], r["longest"])
        assert row["median follow-up"] == pytest.approx(r["median_followup"], rel=1e-9)
        assert row["unit"] == "days"


@pytest.mark.slow
def test_three_endpoints_added_shown_and_offered_on_every_page():
    at = on_data_page()
    add_endpoint(at, 0, "rec", "rec_days", "rec_status")
    add_endpoint(at, 1, "rfs", "rfs_days", "rfs_status")
    assert_summary_is_r(summary(at))
    # a removed endpoint leaves the summary and the mapping
    at.button(key="map_ep_add").click().run()
    at.text_input(key="map_ep2_key").set_value("tmp")
    at.selectbox(key="map_ep2_time").set_value("rec_days")
    at.selectbox(key="map_ep2_event").set_value("rec_status").run()
    assert len(summary(at)) == 4
    at.button(key="map_ep2_remove").click().run()
    assert_summary_is_r(summary(at))
    # an endpoint just added (no columns yet) starts empty and leaves the report as it is
    at.button(key="map_ep_add").click().run()
    assert at.selectbox(key="map_ep2_time").value == "(none)"
    captions = re.sub(r"\\(.)", r"\1", "\n".join(c.value for c in at.caption))
    assert "ENDPOINT5: not used until its time column or event date is chosen" in captions
    assert_summary_is_r(summary(at))
    at.button(key="map_ep2_remove").click().run()

    at.button(key="up_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    cohort = at.session_state[UPLOADED_KEY]
    assert [e.key for e in cohort.endpoints()] == ["os", "rec", "rfs"]
    assert [e.label for e in cohort.endpoints()] == [LABELS[k] for k in ("os", "rec", "rfs")]
    assert [e.unit for e in cohort.codebook.endpoints] == ["days"] * 3
    from hccdash.nonparametric import kaplan_meier, median_table

    for e in cohort.endpoints():
        (row,) = median_table(kaplan_meier(cohort.data, e.time, e.event)).rows
        assert row.median == pytest.approx(R[e.key]["km_median_months"], rel=1e-9), e.key

    at.switch_page("pages/km.py").run()
    assert not at.exception, [e.value for e in at.exception]
    km_radio = next(r for r in at.radio if r.label == "Endpoint")
    assert [o for o in km_radio.options if o.lower() != "both"] == ["OS", "REC", "RFS"]
    for page, key in (("cox", "cox_endpoint"), ("models", "models_endpoint")):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.radio(key=key).options == ["OS", "REC", "RFS"], page
    at.radio(key="models_endpoint").set_value("rfs").run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_codebook_with_three_endpoints_adds_the_missing_ones():
    """A codebook naming the file's columns declares rec and rfs: loading it in step 4 adds
    both to the mapping (with codes and unit) instead of dropping them."""
    at = on_data_page()
    book = Codebook.from_json(
        json.dumps(
            {
                "format": "hccdash-codebook",
                "version": 1,
                "endpoints": [
                    {"key": "os", "label": LABELS["os"], "time": "os_days",
                     "event": "os_status", "unit": "days"},
                    {"key": "rec", "label": LABELS["rec"], "time": "rec_days",
                     "event": "rec_status", "unit": "days"},
                    {"key": "rfs", "label": LABELS["rfs"], "time": "rfs_days",
                     "event": "rfs_status", "unit": "days"},
                ],
                "variables": [],
            }
        )
    )  # fmt: skip
    at.file_uploader(key="up_codebook_json").set_value(
        ("colon3.codebook.json", book.to_json().encode(), "application/json")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "they were added to step 2" in shown_text(at)
    assert at.text_input(key="map_ep0_key").value == "rec"
    assert at.selectbox(key="map_ep1_time").value == "rfs_days"
    assert_summary_is_r(summary(at))


def test_further_endpoints_round_trip_through_the_mapping_json():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="up_file").set_value((COLON.name, COLON.read_bytes(), "text/csv"))
    at.run()
    saved = ColumnMapping(
        patient_id="id", os_time="os_days", os_event="os_status", time_unit="days",
        endpoints=(
            EndpointMapping("rec", LABELS["rec"], "rec_days", "rec_status",
                            EventCoding(event=("1",), censored=("0",))),
            EndpointMapping("rfs", LABELS["rfs"], "rfs_days", "rfs_status"),
        ),
    )  # fmt: skip
    assert ColumnMapping.from_json(saved.to_json()) == saved
    at.file_uploader(key="up_mapping_json").set_value(
        ("m.json", saved.to_json().encode(), "application/json")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [at.text_input(key=f"map_ep{i}_key").value for i in (0, 1)] == ["rec", "rfs"]
    assert_summary_is_r(summary(at))

"""AppTest of the competing-risks page: numbers shown equal hccdash.competing's (which equal
cmprsk's, see test_competing.py), bad input is a message."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash.competing import EventCodes, cif_at, cuminc
from hccdash.competing.derive import first_event_split
from hccdash.competing.finegray import crr
from hccdash.report.fmt import format_hr_ci, format_p, format_pct_ci
from hccdash.schema import Cohort, load_bundled_cohort
from hccdash.ui.state import UPLOADED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PBC = Path(__file__).resolve().parent / "reference" / "competing" / "pbc.csv"


def open_competing(cohort: Cohort | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if cohort is not None:
        at.session_state[UPLOADED_KEY] = cohort
    at.run()
    at.switch_page("pages/competing.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table_with(at: AppTest, column: str, first: str = "Event type") -> pd.DataFrame:
    """The first journal table shown whose stub is ``first`` and which has ``column``."""
    shown = [t.value for t in at.table if t.value.columns[0] == first and column in t.value]
    assert shown, column
    return shown[0]


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, column
    return frames[0]


def pbc_cohort(**edits) -> Cohort:
    pbc = pd.read_csv(PBC)
    data = pd.DataFrame(
        {
            "patient_id": pbc["id"].astype(str),
            "os_months": pbc["time"] / 30.4375,
            "os_event": (pbc["status"] == 2).astype(int),
            "status": pbc["status"],
            "edema": pbc["edema"].astype(str),
            "sex": pbc["sex"],
        }
    )
    for k, v in edits.items():
        data[k] = v(data)
    return Cohort("pbc", data, "pbc.csv")


def test_bundled_derived_endpoint_landmarks_and_gray():
    at = open_competing()
    at.selectbox(key="cr_group").set_value("treatment").run()
    assert not at.exception
    data = first_event_split(
        load_bundled_cohort().data, "pfs_months", "pfs_event", "os_months", "os_event"
    )
    codes = EventCodes(0, 1, (2,), {1: "Progression", 2: "Death without progression"})
    ref = cuminc(data, "cr_time", "cr_status", "treatment", codes=codes)
    shown = table_with(at, "12 months")
    assert shown.columns.tolist() == ["Event type", "12 months", "24 months"]
    labels = [str(x).replace("\u00a0", "").strip() for x in shown["Event type"]]
    assert labels == [
        "Progression", "IMRT+TACE", "IMRT", "Death without progression", "IMRT+TACE", "IMRT",
    ]  # fmt: skip
    for row, (cause, group) in zip(
        [1, 2, 4, 5], [(1, "IMRT+TACE"), (1, "IMRT"), (2, "IMRT+TACE"), (2, "IMRT")], strict=True
    ):
        want = cif_at(ref.curve(group, cause), [12.0, 24.0])
        for j, col in enumerate(["12 months", "24 months"]):
            text = shown[col].iloc[row]
            if np.isnan(want.est[j]):
                assert text == "—"
            else:
                assert text == format_pct_ci(want.est[j], want.lower[j], want.upper[j])
    assert shown["12 months"].iloc[1] == "57.1% (26.7–78.9)"  # the page's first number
    lm = frame_with(at, "est")  # the raw numbers behind the table (Details expander)
    for _, row in lm.iterrows():
        cause = 1 if row["cause"] == "Progression" else 2
        want = cif_at(ref.curve(row["group"], cause), [row["time"]])
        if np.isnan(want.est[0]):
            assert pd.isna(row["est"])
        else:
            assert row["est"] == pytest.approx(want.est[0], rel=1e-12)
            assert row["lower"] == pytest.approx(want.lower[0], rel=1e-12)
    gray_shown = table_with(at, "Chi-square")
    assert gray_shown["Chi-square"].tolist() == [f"{ref.test(c).stat:.2f}" for c in (1, 2)]
    assert gray_shown["p"].tolist() == [format_p(ref.test(c).p_value) for c in (1, 2)]
    section = at.session_state["hccdash_report_sections"]["competing"]  # the one-click report
    assert [t.key for t in section.tables] == ["cif_landmarks", "gray_test"]
    assert section.tables[0].rows[1].cells[0] == "57.1% (26.7–78.9)"
    assert [f.legend.split(" by ")[0] for f in section.figures[:2]] == [
        "Cumulative incidence of Progression",
        "Cumulative incidence of Death without progression",
    ]
    gray = frame_with(at, "stat")
    assert gray["stat"].tolist() == pytest.approx([ref.test(1).stat, ref.test(2).stat])
    assert gray["p_value"].tolist() == pytest.approx([ref.test(1).p_value, ref.test(2).p_value])


def test_uploaded_status_column_finegray_beside_cause_specific_cox():
    cohort = pbc_cohort()
    at = open_competing(cohort)
    at.selectbox(key="cr_status").set_value("status").run()
    at.text_input(key="cr_cause").set_value("2").run()
    at.multiselect(key="cr_covs").set_value(["sex", "edema"]).run()
    assert not at.exception, [e.message for e in at.exception]
    fg = frame_with(at, "sHR")
    ref = crr(cohort.data, "os_months", "status", ["sex", "edema"], codes=EventCodes(cause=2))
    assert fg["term"].tolist() == [t.term for t in ref.terms]
    assert fg["coef"].tolist() == pytest.approx([t.coef for t in ref.terms], rel=1e-12)
    assert fg["se"].tolist() == pytest.approx([t.se for t in ref.terms], rel=1e-12)
    shown = next(t.value for t in at.table if any("Fine-Gray" in c for c in t.value.columns))
    cells = shown.iloc[:, 1].tolist()
    for t in ref.terms:
        assert format_hr_ci(t.shr, t.lower, t.upper) in cells
    cs = shown.iloc[:, 3].tolist()
    assert sum(bool(re.match(r"^\d+\.\d\d \(", c)) for c in cs) == len(ref.terms)


def test_cause_without_events_is_a_message():
    """No transplant (code 1) among the patients: a warning and no Fine-Gray, death shown."""
    cohort = pbc_cohort(status=lambda d: d["status"].where(d["status"] != 1, 0))
    at = open_competing(cohort)
    at.selectbox(key="cr_status").set_value("status").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "cause 1 (code 1) has no events among the 418 patients" in warnings
    infos = " ".join(i.value for i in at.info).replace("\\", "")
    assert "No cause 1 events after the filters" in infos
    assert frame_with(at, "est")["cause"].unique().tolist() == ["cause 2"]


def test_undeclared_or_bad_codes_are_a_message_not_a_traceback():
    cohort = pbc_cohort()
    at = open_competing(cohort)
    at.selectbox(key="cr_status").set_value("status").run()
    at.text_input(key="cr_censor").set_value("2").run()
    at.text_input(key="cr_cause").set_value("2").run()
    assert not at.exception
    text = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "same code 2" in text


def test_cif_figures_follow_the_figure_options_and_export_at_the_preset():
    """The options panel (issue 13) drives the CIF files: preset size, title, % axis."""
    import json

    import plotly.io

    from hccdash.style import SIZE_PRESETS

    at = open_competing()
    at.selectbox(key="cr_group").set_value("treatment").run()
    exported = json.loads(at.session_state["cr_fig_0__export"])
    assert (exported["layout"]["width"], exported["layout"]["height"]) == (1920, 1080)
    at.text_input(key="cr_fig_treatment__title").set_value("Progression, death competing").run()
    at.toggle(key="cr_fig_treatment__y_percent").set_value(True).run()
    at.selectbox(key="cr_fig_treatment__preset").set_value("journal-1col-300").run()
    assert not at.exception, [e.message for e in at.exception]
    for i in (0, 1):  # one figure per cause, one panel for both
        fig = plotly.io.from_json(at.session_state[f"cr_fig_{i}__export"])
        texts = " ".join(a.text or "" for a in fig.layout.annotations)
        assert "Progression, death competing" in texts
        assert fig.layout.width == pytest.approx(SIZE_PRESETS["journal-1col-300"].width)
        assert "100%" in fig.layout.yaxis.ticktext
    assert at.query_params.get("cif_title") in ("Progression, death competing",
                                                ["Progression, death competing"])  # fmt: skip


def test_a_time_and_status_column_default_to_the_endpoints_own_columns():
    """A cohort whose first numeric column is not a time (pbc with bilirubin first) opens
    the status-column choice on the endpoint's time, in its unit, with no error."""
    pbc = pd.read_csv(PBC)
    data = pd.DataFrame(
        {
            "patient_id": pbc["id"].astype(str),
            "bili": pbc["bili"],  # first numeric column, not a time
            "os_months": pbc["time"] / 30.4375,
            "os_event": (pbc["status"] == 2).astype(int),
            "status": pbc["status"],
            "sex": pbc["sex"],
        }
    )
    at = open_competing(Cohort("pbc", data, "pbc.csv"))
    at.radio(key="cr_source").set_value("status").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="cr_time").value == "os_months"
    assert at.selectbox(key="cr_status").value == "os_event"

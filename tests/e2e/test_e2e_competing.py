"""The competing-risks page in a real browser: bundled cohort (derived endpoint) and an
uploaded public cohort of another disease (survival::pbc, status 0/1/2)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.competing import EventCodes, cuminc
from hccdash.competing.counts import stacked_cif
from hccdash.competing.derive import first_event_split
from hccdash.schema import load_bundled_cohort

pytestmark = pytest.mark.e2e
CODES = EventCodes(0, 1, (2,), {1: "Progression", 2: "Death without progression"})
PBC = Path(__file__).resolve().parents[1] / "reference" / "competing" / "pbc.csv"


def test_competing_page_on_the_bundled_cohort(app):
    app.goto("competing")
    assert not app.problems(), app.problems()
    main = app.main_text()
    assert "Progression 18, Death without progression 2" in main
    app.selectbox_choose("Compare groups", "Combination therapy (IMRT+TACE) (treatment)")
    app.wait_rendered()
    main = app.main_text()
    assert "Gray's test" in main and "Fine-Gray regression" in main
    assert not app.problems(), app.problems()
    traces = app.curves()
    assert traces and len(traces[0]) >= 4  # two groups x two causes (plus CI bands)
    app.screenshot("competing_bundled_by_treatment")
    # the stacked layout: one chart per arm, a band per cause, the counts under the plot
    app.radio_choose("Plot", "stacked")
    app.wait_rendered()
    assert not app.problems(), app.problems()
    lines = [t for t in app.curves()[0] if t["mode"] == "lines"]
    assert [t["name"] for t in lines[:2]] == ["Progression", "Death without progression"]
    data = first_event_split(
        load_bundled_cohort().data, "pfs_months", "pfs_event", "os_months", "os_event"
    )
    ref = cuminc(data, "cr_time", "cr_status", "treatment", codes=CODES)
    top = stacked_cif(ref, "IMRT+TACE").top  # the first arm's chart: the bands' upper edges
    assert [t["last"] for t in lines[:2]] == pytest.approx([top[0][-1], top[1][-1]], abs=1e-9)
    app.screenshot("competing_bundled_stacked")


def test_competing_page_on_an_uploaded_pbc_cohort(app, tmp_path):
    """Another disease: primary biliary cholangitis, death with transplant competing."""
    pbc = pd.read_csv(PBC)
    frame = pd.DataFrame(
        {
            "patient_id": pbc["id"].astype(str),
            "os_months": (pbc["time"] / 30.4375).round(2),
            "os_event": (pbc["status"] == 2).astype(int),
            "status": pbc["status"],
            "edema": pbc["edema"].map({0: "none", 0.5: "untreated", 1: "despite diuretics"}),
            "sex": pbc["sex"],
        }
    )
    csv = tmp_path / "pbc_cohort.csv"
    frame.to_csv(csv, index=False)
    app.goto("data")
    app.rerun(
        lambda: app.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(csv)
        )
    )
    app.screenshot("competing_pbc_upload")
    # the mapping step's per-code table of the event column (issue 17 item 1) is drawn
    assert "OS event column 'os_event': rows per code" in app.main_text(), app.problems()
    confirm = app.page.get_by_role("button", name=re.compile(r"use this cohort", re.I))
    assert confirm.count() == 1, app.main_text()[:1500]
    app.rerun(confirm.click)
    app.wait_n((418, 418))
    app.navigate("Competing risks")
    # only OS here: no derived endpoint, the status-column choice is the only one
    # the time column defaults to the first numeric column, os_months
    app.selectbox_choose("Status column", "status")
    box = app.page.get_by_label("Code of the event of interest")
    app.rerun(lambda: (box.fill("2"), box.press("Enter")))
    names = app.page.get_by_label("Names (code=name, comma-separated)")
    app.rerun(lambda: (names.fill("1=transplant, 2=death"), names.press("Enter")))
    app.selectbox_choose("Compare groups", "edema (edema)")
    app.wait_rendered()
    assert not app.problems(), app.problems()
    main = app.main_text()
    codes = EventCodes(0, 2, (1,), {1: "transplant", 2: "death"})
    ref = cuminc(frame, "os_months", "status", "edema", codes=codes)
    stat = ref.test(2).stat
    assert "418 patients. Events: transplant 25, death 161" in main
    assert "Gray's test" in main and np.isfinite(stat) and stat > 0
    assert len(app.curves()[0]) >= 6  # three edema groups x two causes
    app.screenshot("competing_uploaded_pbc_by_edema")

"""The competing-risks page and ``python -m hccdash figure cif`` write the same files.

The page runs headless (AppTest) on an uploaded cohort of another disease (R's survival::pbc,
status 0 censored / 1 transplant / 2 death, by edema) with figure options set in the panels;
the stacked CIF and the 1 − KM vs CIF files it exports are compared, byte for byte (PNG and
SVG), with the CLI's run on the same file with the page's URL (``--filter``).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import pytest
from test_cli_figure import run
from test_page_competing import open_competing

from hccdash import export
from hccdash.io import read_table
from hccdash.schema import Cohort

pytestmark = [pytest.mark.needs_chromium, pytest.mark.slow]


@pytest.fixture(scope="module")
def pbc_csv(tmp_path_factory):
    from test_page_competing import PBC

    raw = pd.read_csv(PBC)
    path = tmp_path_factory.mktemp("crfig") / "pbc.csv"
    pd.DataFrame(
        {
            "patient_id": raw["id"].astype(str),
            "os_months": raw["time"] / 30.4375,
            "os_event": (raw["status"] == 2).astype(int),
            "status": raw["status"],
            "edema": raw["edema"].map({0: "none", 0.5: "untreated", 1: "despite diuretics"}),
        }
    ).to_csv(path, index=False)
    return path


def test_page_and_cli_write_the_same_competing_figures(pbc_csv, tmp_path):
    if not export.chromium_available():
        pytest.fail(f"chromium not found at {export.chromium_path()!r} (apt-get install chromium)")
    cohort = Cohort(pbc_csv.name, read_table(str(pbc_csv)).data, pbc_csv.name)
    at = open_competing(cohort)
    at.selectbox(key="cr_status").set_value("status").run()
    at.text_input(key="cr_cause").set_value("2").run()
    at.text_input(key="cr_names").set_value("1=transplant, 2=death").run()
    at.selectbox(key="cr_group").set_value("edema").run()
    at.toggle(key="cr_kmcif_edema__y_percent").set_value(True).run()
    at.radio(key="cr_layout").set_value("stacked").run()
    at.selectbox(key="cr_stack_edema__preset").set_value("journal-1col-300").run()
    assert not at.exception, [e.message for e in at.exception]
    query = urlencode({k: at.query_params[k] for k in at.query_params})
    assert "kmcif_y_percent=1" in query and "cifs_preset=journal-1col-300" in query
    base = ["figure", "cif", str(pbc_csv), "--time", "os_months", "--event", "status"]
    base += ["--cause", "2", "--cause-names", "1=transplant,2=death", "--by", "edema"]
    cases = [
        ("cr_kmfig", "slide-1920", ["--layout", "km-vs-cif"]),
        ("cr_stack_2", "journal-1col-300", ["--layout", "stacked", "--stack-group", "untreated"]),
    ]
    for key, preset, extra in cases:
        fig = go.Figure(json.loads(at.session_state[f"{key}__export"]))
        for fmt in ("png", "svg"):
            page = export.preset_figure_bytes(fig, fmt, preset)
            out = tmp_path / f"{key}.{fmt}"
            assert run([*base, *extra, "--filter", f"/competing?{query}", "--out", str(out)]) == 0
            (tmp_path / f"page_{key}.{fmt}").write_bytes(page)
            assert out.read_bytes() == page, f"{key} {fmt}: page and CLI differ ({tmp_path})"
    svg = (tmp_path / "cr_kmfig.svg").read_text()
    assert "untreated: 1 − KM" in svg and "100%" in svg

"""The page and the CLI make the same figure file for the same cohort, filters and options.

The KM page runs headless (AppTest) on a bookmarkable URL with filters and figure options;
the figure it exports is rendered, and ``python -m hccdash figure km`` is run with that same
URL (``--filter``). PNG and SVG must be identical bytes, the HR must be each level against the
same reference on both, and the colours the same per level.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import plotly.graph_objects as go
import pytest
from test_cli_figure import run
from test_pages import no_exception, open_page

from hccdash import export
from hccdash.schema import BUNDLED_CSV

pytestmark = [pytest.mark.needs_chromium, pytest.mark.slow]

CASES = [
    # default options: the cohort's reference (first level of the factor)
    {"by": "treatment", "endpoint": "os"},
    # a filter, a chosen reference, % axis, a renamed group, a journal preset
    {
        "by": "treatment",
        "endpoint": "pfs",
        "child_pugh": "A,B",
        "fig_reference": "IMRT",
        "fig_y_percent": "1",
        "fig_group_labels": json.dumps({"IMRT": "RT alone"}),
        "fig_preset": "journal-1col-300",
        "fig_title": "PFS by arm",
    },
]


def _page(params: dict[str, str]):
    at = open_page("km", params)
    no_exception(at)
    key = f"km_{params['endpoint']}_fig__export"
    fig = go.Figure(json.loads(at.session_state[key]))
    hr = [m.value for m in at.markdown if m.value.startswith("HR ")]
    return at, fig, hr


@pytest.fixture
def chromium():
    if not export.chromium_available():
        pytest.fail(f"chromium not found at {export.chromium_path()!r} (apt-get install chromium)")


@pytest.mark.parametrize("params", CASES)
def test_page_and_cli_write_the_same_bytes(chromium, tmp_path, params):
    _at, fig, hr_md = _page(params)
    preset = params.get("fig_preset", "slide-1920")
    ep = params["endpoint"]
    page = {fmt: export.preset_figure_bytes(fig, fmt, preset) for fmt in ("png", "svg")}
    query = urlencode({k: v for k, v in params.items() if k not in ("by", "endpoint")})
    for fmt in ("png", "svg"):
        out = tmp_path / f"cli.{fmt}"
        argv = ["figure", "km", str(BUNDLED_CSV), "--time", f"{ep}_months"]
        argv += ["--event", f"{ep}_event", "--by", "treatment", "--filter", f"/km?{query}"]
        assert run([*argv, "--out", str(out)]) == 0
        (tmp_path / f"page.{fmt}").write_bytes(page[fmt])
        assert out.read_bytes() == page[fmt], f"{fmt}: page and CLI differ ({tmp_path})"
    svg = page["svg"].decode()
    # HR direction: each level vs the reference, the same on the page text and in the figure.
    reference = params.get("fig_reference", "IMRT+TACE")
    other = {"IMRT": "IMRT+TACE", "IMRT+TACE": "IMRT"}[reference]
    shown = {"IMRT": "RT alone"} if "fig_group_labels" in params else {}
    vs = f"{shown.get(other, other)} vs {shown.get(reference, reference)}"
    assert vs in svg.replace("&amp;", "&")
    assert len(hr_md) == 1 and re.sub(r"\\", "", hr_md[0]).endswith(vs)
    # The legend title is the stratifying variable's label (the cohort's Factor.label).
    assert "Combination therapy (IMRT+TACE)" in svg
    if preset.startswith("journal"):
        sizes = [float(s) for s in re.findall(r"font-size: ?([\d.]+)px", svg)]
        assert min(sizes) * 72 / 96 >= 7.0

"""The pages hand their figures over as ``export.PresetFigure`` (a figure built for a size
preset); the report and the image export take them as they take a plain plotly figure.

Before this, the univariate page's "Report (PDF)" failed in the browser with "dictionary
update sequence element #0 has length 3" (the e2e report test found it).
"""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from hccdash import export
from hccdash.export import PresetFigure
from hccdash.report.report import figure_legend


def _figure() -> go.Figure:
    return go.Figure(
        go.Scatter(x=[0, 1, 2], y=[1.0, 0.8, 0.5], line_shape="hv"),
        layout={"title": {"text": "<b>Overall survival</b>"}},
    )


def test_the_legend_of_a_preset_figure_is_its_title():
    wrapped = PresetFigure(_figure(), "slide-1920")
    assert figure_legend(wrapped, "fallback", "By arm.") == "Overall survival. By arm."


@pytest.mark.needs_chromium
def test_a_preset_figure_exports_like_the_figure_it_wraps():
    if not export.chromium_available():
        pytest.fail(f"chromium not found at {export.chromium_path()!r} (apt-get install chromium)")
    fig = _figure()
    plain = export.figure_bytes(fig, "svg", 400, 300)
    wrapped = export.figure_bytes(PresetFigure(fig, "slide-1920"), "svg", 400, 300)
    assert b"<svg" in wrapped
    assert len(wrapped) == len(plain)  # the same drawing (plotly's random clip ids aside)
    assert b'width="400"' in wrapped and b'height="300"' in wrapped

"""Every figure kind at every size preset, 1 to 6 groups, 40-character labels: no text overlaps
other text, none is clipped by the canvas, none sits on the plot area, and no text is smaller
than the preset's minimum (22 px on slides, 7 pt on journal columns).

Measured on the SVG kaleido exports, by chromium (see ``figure_boxes.py``). One kaleido session
and one chromium page serve every case; the 300 and 600 dpi journal presets share one SVG
layout (only the raster scale differs), so each layout is rendered once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from figure_boxes import SvgMeasurer

from hccdash import export
from hccdash.cox import cox_fit, cox_zph
from hccdash.plotting.forest import forest_figure
from hccdash.plotting.schoenfeld import schoenfeld_figure
from hccdash.plotting.spec import FigureSpec
from hccdash.plotting.views import km_inputs, km_view_figure
from hccdash.schema import Endpoint
from hccdash.style import JOURNAL_MIN_PT, SIZE_PRESETS, SLIDE_MIN_PX

pytestmark = [pytest.mark.needs_chromium, pytest.mark.slow]

# One preset per distinct SVG layout (300 and 600 dpi journal presets differ in raster only).
LAYOUTS = [
    "screen",
    "slide-1920",
    "slide-1280",
    "slide-4x3",
    "journal-1col-300",
    "journal-2col-300",
]
LONG = [f"Group {i} " + "with a long descriptive name abc"[: 40 - 8] for i in range(1, 7)]
ENDPOINT = Endpoint("os", "Overall survival", "time", "event")


def test_labels_are_forty_characters():
    assert all(len(x) == 40 for x in LONG)
    # The journal presets share their layout with the 300 dpi one of the same width.
    for key in SIZE_PRESETS:
        if key.endswith("-600"):
            twin = SIZE_PRESETS[key.replace("-600", "-300")]
            assert SIZE_PRESETS[key].width == twin.width
            assert SIZE_PRESETS[key].font_size == twin.font_size


def _cohort(k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 30 * k
    g = np.repeat(np.arange(k), 30)
    t = rng.exponential(20 * (1 + 0.4 * g), n)
    c = rng.uniform(5, 60, n)
    return pd.DataFrame(
        {
            "time": np.minimum(t, c).round(1),
            "event": (t <= c).astype(int),
            "group": [LONG[i] for i in g],
            "score": rng.normal(0, 1, n) + 0.3 * g,
        }
    )


def _km(k: int, preset: str):
    data = _cohort(k)
    spec = FigureSpec(preset=preset)
    column = "group" if k > 1 else None
    levels = tuple(LONG[:k]) if k > 1 else None
    inputs = km_inputs(data, "time", "event", column, levels, spec)
    return km_view_figure(
        inputs,
        spec,
        endpoint=ENDPOINT,
        legend_label="Stratifying variable with a long label ab" if k > 1 else None,
        color_levels=levels,
        filters="Child-Pugh class A or B; KPS 70-100; no ascites",
    )


def _forest(k: int, preset: str):
    data = _cohort(max(k, 2))
    if k == 1:
        cox = cox_fit(data, "time", "event", ["score"])
        labels = {"score": "A numeric covariate with a long label ab"}
    else:
        cox = cox_fit(
            data, "time", "event", ["group", "score"], reference={"group": LONG[0]},
            categorical=["group"],
        )  # fmt: skip
        labels = {"group": "Stratifying variable with a long label ab", "score": "Score"}
    caption = f"Cox proportional hazards model (efron ties), n = {cox.n}, {cox.events} events."
    return forest_figure(
        cox,
        FigureSpec(kind="forest", preset=preset),
        labels=labels,
        caption=caption,
        default_title="Overall survival: Cox model with a long title for the slide",
    )


def _schoenfeld(preset: str):
    data = _cohort(3)
    cox = cox_fit(data, "time", "event", ["score"])
    ph = cox_zph(data, "time", "event", ["score"])
    return schoenfeld_figure(
        ph,
        "score",
        FigureSpec(kind="schoenfeld", preset=preset),
        cox=cox,
        term_label="A numeric covariate with a long label",
        default_title="Scaled Schoenfeld residuals: score",
    )


CASES = (
    [("km", k, p) for p in LAYOUTS for k in range(1, 7)]
    + [("forest", k, p) for p in LAYOUTS for k in range(1, 7)]
    + [("schoenfeld", 1, p) for p in LAYOUTS]
)


@pytest.fixture(scope="module")
def layouts(sync_pw):
    """Every case rendered to SVG by kaleido, measured by chromium (once per module)."""
    if not export.chromium_available():
        pytest.fail(f"chromium not found at {export.chromium_path()!r} (apt-get install chromium)")
    measurer = SvgMeasurer(sync_pw)
    out = {}
    try:
        for kind, k, preset in CASES:
            if kind == "km":
                fig = _km(k, preset)
            elif kind == "forest":
                fig = _forest(k, preset)
            else:
                fig = _schoenfeld(preset)
            svg = export.preset_figure_bytes(fig, "svg", preset)
            out[(kind, k, preset)] = (fig, measurer.measure(svg))
    finally:
        measurer.close()
    return out


def _describe(pairs) -> str:
    return "; ".join(f"{a.text[:30]!r} [{a.cls[:25]}] x {b.text[:30]!r}" for a, b in pairs[:4])


@pytest.mark.parametrize(("kind", "k", "preset"), CASES)
def test_no_overlap_no_clipping_min_text(layouts, kind, k, preset):
    fig, lay = layouts[(kind, k, preset)]
    assert lay.width == pytest.approx(fig.layout.width) and lay.height == pytest.approx(
        fig.layout.height
    )
    texts = " ".join(b.text for b in lay.boxes)
    if kind == "km" and k > 1:
        # Every group's full 40-character label is in the legend, and the variable's label.
        for label in LONG[:k]:
            assert label in texts
        assert "Stratifying variable with a long label ab" in texts
    overlaps = lay.overlapping()
    assert not overlaps, f"{len(overlaps)} overlapping text pairs: {_describe(overlaps)}"
    clipped = lay.clipped()
    assert not clipped, f"clipped: {[b.text[:40] for b in clipped]}"
    over_plot = lay.inside_plot()
    assert not over_plot, f"text over the plot area: {[b.text[:40] for b in over_plot]}"
    smallest = min(b.size for b in lay.boxes)
    if preset.startswith("slide"):
        assert smallest >= SLIDE_MIN_PX
    elif preset.startswith("journal"):
        assert smallest * 72 / 96 >= JOURNAL_MIN_PT - 1e-9

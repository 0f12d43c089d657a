"""The CIF figure on the one figure specification: it draws the cmprsk numbers exactly, every
spec option reaches it, and its slide-1920 SVG has no text under 22 px (measured by chromium).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash.competing import EventCodes, cuminc, prepare
from hccdash.competing.spec_figure import (
    cif_as_km,
    cif_caption,
    cif_risk_table,
    cif_spec_figure,
    cif_ticks,
)
from hccdash.plotting.spec import FigureSpec
from hccdash.style import JOURNAL_MIN_PT, SLIDE_MIN_PX

CODES = EventCodes(0, 1, (2,), {1: "Relapse", 2: "Death without relapse"})


def _data(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 120
    arm = rng.choice(["Arm A", "Arm B"], n)
    t = np.round(rng.exponential(20, n), 1) + 0.1
    s = rng.choice([0, 1, 2], n, p=[0.3, 0.45, 0.25])
    return pd.DataFrame({"t": t, "s": s, "arm": arm})


def _build(preset: str = "slide-1920", **spec_kw):
    df = _data()
    res = cuminc(df, "t", "s", "arm", codes=CODES)
    spec = FigureSpec(kind="cif", preset=preset, **spec_kw)
    prepared = prepare(df, "t", "s", CODES, group="arm", need_cause=False)
    risk = cif_risk_table(prepared, cif_ticks(res, 1, spec), 1)
    fig = cif_spec_figure(res, 1, spec, risk=risk, default_legend_title="Arm")
    return res, risk, fig


def _lines(fig):
    return [t for t in fig.data if t.mode == "lines" and t.showlegend]


def test_curves_are_the_cmprsk_estimates_exactly():
    res, _, fig = _build("screen")
    for curve, trace in zip((c for c in res.curves if c.cause == 1), _lines(fig), strict=True):
        y = np.asarray(trace.y, dtype=float)
        x = np.asarray(trace.x, dtype=float)
        # every estimate at its jump time is drawn (the layout thins only sub-0.001 steps)
        for t, e in zip(curve.time[curve.time > 0], curve.est[curve.time > 0], strict=True):
            i = np.searchsorted(x, t, side="right") - 1
            assert y[i] == pytest.approx(e, abs=1e-3)
        assert y[0] == 0.0 and np.all(np.diff(y) >= -1e-12) and y.max() <= 1.0
    km = cif_as_km(res, 1)
    c0 = next(c for c in res.curves if c.cause == 1)
    keep = c0.time > 0
    np.testing.assert_allclose(1 - km.curves[0].surv, c0.est[keep], rtol=1e-12)
    np.testing.assert_allclose(1 - km.curves[0].upper, c0.lower[keep], rtol=1e-12)


def test_risk_table_counts_at_risk_events_of_the_cause_and_censored():
    df = _data()
    p = prepare(df, "t", "s", CODES, group="arm", need_cause=False)
    r = cif_risk_table(p, [0, 12], 1)
    a = df[df.arm == "Arm A"]
    assert r.n_risk[0].tolist() == [len(a), int((a.t >= 12).sum())]
    assert r.n_event[0, 1] == int(((a.t <= 12) & (a.s == 1)).sum())
    assert r.n_censor[0, 1] == int(((a.t <= 12) & (a.s == 0)).sum())


def test_spec_options_reach_the_figure():
    res, _, fig = _build(
        "screen",
        title="My CIF",
        group_labels={"Arm A": "Standard"},
        colors={"Arm B": "#112233"},
        y_percent=True,
    )
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "My CIF" in texts
    names = [t.name for t in _lines(fig)]
    assert names == ["Standard", "Arm B"]
    assert _lines(fig)[1].line.color == "#112233"
    assert max(max(t.y) for t in _lines(fig)) > 1.0  # percent scale
    assert "Cumulative incidence (%)" in fig.layout.yaxis.title.text
    p = res.test(1).p_value
    assert "Gray's test" in texts and f"{p:.2f}"[:3] in texts
    assert "Relapse" in cif_caption(res, 1) and "Death without relapse" in cif_caption(res, 1)


def test_preset_sizes_and_text_sizes_in_the_figure():
    _, _, fig = _build("slide-1920")
    assert (fig.layout.width, fig.layout.height) == (1920, 1080)
    sizes = [a.font.size for a in fig.layout.annotations if a.font and a.font.size]
    sizes += [t.textfont.size for t in fig.data if t.mode == "text"]
    assert min(sizes) >= SLIDE_MIN_PX
    _, _, jfig = _build("journal-1col-300")
    jsizes = [a.font.size for a in jfig.layout.annotations if a.font and a.font.size]
    assert min(jsizes) * 72 / 96 >= JOURNAL_MIN_PT - 1e-9


@pytest.mark.needs_chromium
def test_slide_svg_has_no_text_under_22_px(sync_pw):
    """The exported SVG measured by chromium (as tests/test_figure_layout.py): one figure."""
    from figure_boxes import SvgMeasurer

    from hccdash import export

    if not export.chromium_available():
        pytest.fail(f"chromium not found at {export.chromium_path()!r} (apt-get install chromium)")
    _, _, fig = _build("slide-1920", group_labels={"Arm A": "A" * 40})
    svg = export.preset_figure_bytes(fig, "svg", "slide-1920")
    m = SvgMeasurer(sync_pw)
    try:
        lay = m.measure(svg)
    finally:
        m.close()
    assert lay.width == pytest.approx(1920)
    assert len(lay.boxes) > 10
    assert min(b.size for b in lay.boxes) >= SLIDE_MIN_PX
    assert not lay.clipped()
    assert "A" * 40 in " ".join(b.text for b in lay.boxes)

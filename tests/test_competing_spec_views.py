"""The stacked CIF and the 1 − KM vs CIF overlay on the figure specification: the figure's
traces are the computed estimates, the table under the plot holds the computed counts, the
presets' sizes and text sizes hold, and the exported PNG/SVG/PDF are the preset's.

Data: R's ``survival::pbc`` (tests/reference/competing/pbc.csv; status 0 censored,
1 transplant, 2 death), grouped by edema: three groups, heavy ties in the counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.competing import EventCodes, cuminc, prepare
from hccdash.competing.counts import cause_counts, stacked_cif
from hccdash.competing.spec_figure import cif_spec_figure, cif_ticks
from hccdash.competing.spec_views import (
    CIF_SUFFIX,
    KM_SUFFIX,
    km_vs_cif_spec_figure,
    stacked_spec_figure,
)
from hccdash.nonparametric import kaplan_meier
from hccdash.plotting.spec import FigureSpec
from hccdash.style import JOURNAL_MIN_PT, SLIDE_MIN_PX

PBC = Path(__file__).resolve().parent / "reference" / "competing" / "pbc.csv"
CODES = EventCodes(0, 2, (1,), {1: "Liver transplant", 2: "Death"})


@pytest.fixture(scope="module")
def pbc():
    raw = pd.read_csv(PBC)
    df = pd.DataFrame(
        {"t": raw["time"] / 30.4375, "s": raw["status"], "edema": raw["edema"].astype(str)}
    )
    res = cuminc(df, "t", "s", "edema", codes=CODES)
    prep = prepare(df, "t", "s", CODES, group="edema", need_cause=False)
    km = kaplan_meier(df.assign(e=(df.s == 2).astype(int)), "t", "e", "edema")
    return df, res, prep, km


def _counts(res, prep, spec):
    ticks = cif_ticks(res, 2, spec)
    return cause_counts(prep, ticks, res.causes, [CODES.name(c) for c in res.causes])


def _lines(fig):
    return [t for t in fig.data if t.mode == "lines" and t.showlegend]


def _at(x, y, t):
    """The step function drawn by (x, y) at time t."""
    return np.asarray(y, dtype=float)[np.searchsorted(np.asarray(x, dtype=float), t, "right") - 1]


def test_counts_are_at_risk_and_cumulative_events_of_every_cause(pbc):
    df, res, prep, _ = pbc
    c = cause_counts(prep, [0, 24, 60], res.causes)
    for gi, g in enumerate(c.groups):
        sub = df[df.edema == g]
        for j, t in enumerate([0, 24, 60]):
            assert c.n_risk[gi, j] == int((sub.t >= t).sum())
            assert c.n_censor[gi, j] == int(((sub.t <= t) & (sub.s == 0)).sum())
            for cause in (1, 2):
                assert c.events(gi, cause)[j] == int(((sub.t <= t) & (sub.s == cause)).sum())
    assert c.n_event[:, :, -1].sum() + c.n_censor[:, -1].sum() + c.n_risk[:, -1].sum() >= len(df)


def test_stacked_sum_is_one_minus_the_all_cause_km(pbc):
    """Aalen-Johansen: the causes' CIFs add up to 1 - KM of any event (R: survfit)."""
    df, res, _, _ = pbc
    for g in res.groups:
        st = stacked_cif(res, g)
        sub = df[df.edema == g].assign(any=(df.s != 0).astype(int))
        km = kaplan_meier(sub, "t", "any").curves[0]
        inside = (st.time > 0) & (st.time <= km.time[-1])
        want = 1 - _at(np.r_[0, km.time], np.r_[1, km.surv], st.time[inside])
        np.testing.assert_allclose(st.top[-1][inside], want, rtol=1e-10, atol=1e-12)


def test_stacked_figure_draws_the_cumulative_sums_and_the_counts(pbc):
    _, res, prep, _ = pbc
    spec = FigureSpec(kind="cif", preset="screen", group_labels={"Death": "Died"})
    counts = _counts(res, prep, spec)
    g = res.groups[1]
    st = stacked_cif(res, g)
    fig = stacked_spec_figure(st, spec, counts=counts)
    lines = _lines(fig)
    assert [t.name for t in lines] == ["Liver transplant", "Died"]
    assert [t.fill for t in lines] == ["tozeroy", "tonexty"]
    for k, tr in enumerate(lines):
        curve = res.curve(g, st.causes[k])
        below = st.top[k - 1] if k else 0.0
        for t in curve.time[1:-1]:
            drawn = _at(tr.x, tr.y, t)
            assert drawn == pytest.approx(float(_at(st.time, st.top[k], t)), abs=1e-3)
            # the band's height is the cause's CIF (cmprsk's estimate)
            height = drawn - (float(_at(st.time, below, t)) if k else 0.0)
            assert height == pytest.approx(float(_at(curve.time, curve.est, t)), abs=2e-3)
    texts = [t for t in fig.data if t.mode == "text"]
    gi = counts.groups.index(g)
    cols = [list(counts.times).index(x) for x in texts[0].x]  # the columns inside the axis
    assert len(cols) >= 3
    assert list(texts[0].text) == [f"{int(counts.n_risk[gi, j]):,}" for j in cols]
    assert list(texts[2].text) == [f"{int(counts.events(gi, 2)[j]):,}" for j in cols]
    ann = " ".join(a.text for a in fig.layout.annotations)
    assert "Number at risk and cumulative events" in ann and "Died" in ann


def test_overlay_draws_cif_solid_and_one_minus_km_dashed(pbc):
    _, res, prep, km = pbc
    spec = FigureSpec(kind="cif", preset="screen", y_percent=True, colors={"1.0": "#112233"})
    counts = _counts(res, prep, spec)
    fig = km_vs_cif_spec_figure(res, km, 2, spec, counts=counts, default_legend_title="Edema")
    lines = {t.name: t for t in _lines(fig)}
    assert len(lines) == 2 * len(res.groups)
    for g, kc in zip(res.groups, km.curves, strict=True):
        cif, one_km = lines[f"{g}: {CIF_SUFFIX}"], lines[f"{g}: {KM_SUFFIX}"]
        assert cif.line.dash in (None, "solid") and one_km.line.dash == "dash"
        assert cif.line.color == one_km.line.color
        curve = res.curve(g, 2)
        for t in curve.time[1:-1]:
            assert _at(cif.x, cif.y, t) == pytest.approx(
                100 * _at(curve.time, curve.est, t), abs=0.1
            )
        for t, s in zip(kc.time, kc.surv, strict=True):
            assert _at(one_km.x, one_km.y, t) == pytest.approx(100 * (1 - s), abs=0.1)
        # the bias: 1 - KM is never below the CIF
        tt = curve.time[1:-1]
        assert np.all(_at(one_km.x, one_km.y, tt) >= _at(cif.x, cif.y, tt) - 0.1)
    assert lines[f"1.0: {CIF_SUFFIX}"].line.color == "#112233"
    rows = [t for t in fig.data if t.mode == "text"]
    assert list(rows[0].text)[1] == (
        f"{counts.n_risk[0, 1]} ({counts.n_event[0, 0, 1]}, {counts.n_event[0, 1, 1]}, "
        f"{counts.n_censor[0, 1]})"
    )
    ann = " ".join(a.text for a in fig.layout.annotations)
    assert "Number at risk (Liver transplant, Death, censored)" in ann
    assert "Dashed: 1 − Kaplan-Meier" in ann


def test_by_cause_cif_table_shows_every_cause(pbc):
    _, res, prep, _ = pbc
    spec = FigureSpec(kind="cif", preset="screen")
    counts = _counts(res, prep, spec)
    fig = cif_spec_figure(res, 1, spec, counts=counts)
    rows = [t for t in fig.data if t.mode == "text"]
    assert len(rows) == len(res.groups)
    assert rows[1].text[-1].startswith(f"{counts.n_risk[1, -1]} ({counts.n_event[1, 0, -1]}, ")


@pytest.mark.parametrize("preset", ["slide-1920", "journal-1col-300"])
def test_preset_size_and_text_sizes(pbc, preset):
    from hccdash.style import SIZE_PRESETS

    _, res, prep, km = pbc
    spec = FigureSpec(kind="cif", preset=preset)
    counts = _counts(res, prep, spec)
    for fig in (
        stacked_spec_figure(stacked_cif(res, res.groups[0]), spec, counts=counts),
        km_vs_cif_spec_figure(res, km, 2, spec, counts=counts),
    ):
        assert fig.layout.width == SIZE_PRESETS[preset].width
        sizes = [a.font.size for a in fig.layout.annotations if a.font and a.font.size]
        sizes += [t.textfont.size for t in fig.data if t.mode == "text"]
        if preset.startswith("slide"):
            assert fig.layout.height == 1080 and min(sizes) >= SLIDE_MIN_PX
        else:
            assert min(sizes) * 72 / 96 >= JOURNAL_MIN_PT - 1e-9


@pytest.mark.needs_chromium
@pytest.mark.slow  # three chromium exports, about 6 s
def test_exports_at_the_preset(pbc):
    from hccdash import export

    if not export.chromium_available():
        pytest.fail(f"chromium not found at {export.chromium_path()!r} (apt-get install chromium)")
    _, res, prep, km = pbc
    spec = FigureSpec(kind="cif", preset="slide-1920")
    fig = km_vs_cif_spec_figure(res, km, 2, spec, counts=_counts(res, prep, spec))
    png = export.preset_figure_bytes(fig, "png", "slide-1920")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1920 and int.from_bytes(png[20:24], "big") == 1080
    svg = export.preset_figure_bytes(fig, "svg", "slide-1920").decode()
    assert "1.0: 1 − KM" in svg and "Dashed: 1 − Kaplan-Meier" in svg
    assert export.preset_figure_bytes(fig, "pdf", "slide-1920")[:5] == b"%PDF-"

"""Figures: what is drawn equals the analysis results, and stays bounded at any n.

Reference values come from the real analysis functions (``hccdash.nonparametric``,
``hccdash.cox``, ``hccdash.response``, themselves tested against R) and from lifelines, an
independent Kaplan-Meier implementation, on lifelines' bundled Waltons data.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_rossi, load_waltons

from hccdash.compare import survdiff
from hccdash.cox import cox_fit, cox_zph
from hccdash.figures import (
    MAX_CENSOR_MARKS,
    STEP_TOLERANCE,
    FigureSpec,
    esc,
    forest_figure,
    format_p,
    km_caption,
    km_figure,
    km_ticks,
    response_figure,
    schoenfeld_figure,
    thin_indices,
)
from hccdash.nonparametric import kaplan_meier, median_survival, median_table, risk_table
from hccdash.response import response_rates
from hccdash.style import OKABE_ITO, PALETTE, PRESETS, color_for, template


@pytest.fixture(scope="module")
def waltons() -> pd.DataFrame:
    return load_waltons()


@pytest.fixture(scope="module")
def km_w(waltons):
    return kaplan_meier(waltons, "T", "E", "group")


def _traces(fig, suffix=""):
    return {t.name: t for t in fig.data if t.name is not None and t.name.endswith(suffix)}


def _step_eval(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Value of a right-continuous step drawn through (x, y) with line_shape="hv"."""
    idx = np.searchsorted(x, grid, side="right") - 1
    return y[np.clip(idx, 0, None)]


# ---------------------------------------------------------------- style
def test_palette_is_okabe_ito_and_level_colours_are_fixed():
    assert set(PALETTE) <= set(OKABE_ITO.values())
    full = ("A", "B", "C")
    # Filtering level B out must not recolour C: colours come from the full order.
    assert color_for("C", full) == PALETTE[2]
    assert color_for("A", full) == PALETTE[0] == OKABE_ITO["blue"]
    assert color_for("C", full) != color_for("A", full)
    assert color_for(None) == OKABE_ITO["black"]
    # A level outside the given order still gets one stable palette colour.
    assert color_for("unknown", full) == color_for("unknown", ("x", "y"))
    assert color_for("unknown", full) in PALETTE


def test_templates_white_and_slide_fonts_larger():
    screen, slide = template("screen"), template("slide")
    for t in (screen, slide):
        assert t.layout.paper_bgcolor == "white" and t.layout.plot_bgcolor == "white"
    assert slide.layout.font.size >= 22 > screen.layout.font.size
    assert PRESETS["16:9 1920x1080"] == (1920, 1080)
    assert set(PRESETS) == {"16:9 1920x1080", "16:9 1280x720", "4:3 1024x768", "square 1080"}


# ---------------------------------------------------------------- KM figure
def test_km_curves_match_lifelines_and_colours(km_w, waltons):
    levels = ("miR-137", "control")  # a page's fixed order, not the curve order
    fig = km_figure(km_w, levels=levels)
    curves = {t.name: t for t in fig.data if t.mode == "lines" and t.showlegend}
    assert set(curves) == {"control", "miR-137"}
    for name, trace in curves.items():
        assert trace.line.shape == "hv"
        assert trace.line.color == color_for(name, levels)
        sub = waltons[waltons["group"] == name]
        kmf = KaplanMeierFitter().fit(sub["T"], sub["E"])
        sf = kmf.survival_function_.iloc[:, 0]
        x, y = np.asarray(trace.x), np.asarray(trace.y)
        # Small n: nothing is thinned away that matters; every lifelines step is drawn exactly.
        grid = np.asarray(sf.index, dtype=float)
        np.testing.assert_allclose(_step_eval(x, y, grid), sf.to_numpy(), atol=1e-12)
        assert x[0] == 0.0 and y[0] == 1.0


@pytest.mark.parametrize(("mark", "symbol"), [("+", "cross-thin-open"), ("|", "line-ns-open")])
def test_km_censor_marks_at_censor_times(km_w, mark, symbol):
    fig = km_figure(km_w, FigureSpec(censor=mark))
    for curve in km_w.curves:
        ticks = fig.data[[t.name for t in fig.data].index(f"{curve.group} censored")]
        assert ticks.marker.symbol == symbol
        censored = curve.n_censor > 0
        np.testing.assert_allclose(np.asarray(ticks.x), curve.time[censored])
        np.testing.assert_allclose(np.asarray(ticks.y), curve.surv[censored])


def test_km_risk_table_aligned_with_ticks_and_equal_to_risk_table(km_w, waltons):
    spec = FigureSpec()
    ticks = km_ticks(km_w, spec)
    rt = risk_table(km_w, ticks)
    fig = km_figure(km_w, spec, risk=rt)
    np.testing.assert_allclose(np.asarray(fig.layout.xaxis.tickvals, dtype=float), ticks)
    assert fig.layout.xaxis2.matches == "x"  # zooming moves the table with the curves
    texts = {t.name: t for t in fig.data if t.mode == "text"}
    assert len(texts) == len(km_w.curves)  # KMunicate: one row per group, "n (events, cens.)"
    for gi, curve in enumerate(km_w.curves):
        trace = texts[f"{curve.group} at risk"]
        assert trace.xaxis == "x2"
        shown = np.asarray(trace.x, dtype=float)
        cols = [int(np.flatnonzero(np.isclose(ticks, t))[0]) for t in shown]
        expect = [
            f"{rt.n_risk[gi][j]:,} ({rt.n_event[gi][j]:,}, {rt.n_censor[gi][j]:,})" for j in cols
        ]
        assert list(trace.text) == expect
    # Independent check of "at risk" against the data (lifelines' definition: T >= t).
    sub = waltons[waltons["group"] == "control"]
    kmf = KaplanMeierFitter().fit(sub["T"], sub["E"])
    gi = [c.group for c in km_w.curves].index("control")
    for t, shown in zip(texts["control at risk"].x, texts["control at risk"].text, strict=True):
        assert int(shown.split(" ")[0].replace(",", "")) == int((sub["T"] >= t).sum())
    assert kmf.event_table["at_risk"].iloc[0] == int(rt.n_risk[gi][0])
    # "at risk" only: the plain number.
    at = km_figure(km_w, FigureSpec(risk_table="at-risk"), risk=rt)
    row = next(t for t in at.data if t.name == "control at risk")
    assert all(" " not in v for v in row.text)
    # No RiskTable given: no table (the figure never computes one).
    assert not [t for t in km_figure(km_w).data if t.mode == "text"]


def test_km_annotations_test_hr_median_caption(km_w, waltons):
    test = survdiff(waltons, "T", "E", "group")
    caption = km_caption(km_w, test=test, filters="no filters (all patients)")
    fig = km_figure(
        km_w,
        test=test,
        hr_text="HR 3.2 (95% CI 2.1–4.8)",
        show_median=True,
        medians=median_table(km_w),
        caption=caption,
        title="Waltons",
    )
    texts = " ".join(a.text for a in fig.layout.annotations).replace("<br>", " ")
    texts = texts.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert f"Log-rank {format_p(test.p_value)}" in texts
    assert "HR 3.2 (95% CI 2.1–4.8)" in texts
    assert f"n = {km_w.n} patients, {km_w.events} events" in texts
    assert "log-log" in texts and "95%" in texts
    medians = sorted(median_survival(c).median for c in km_w.curves)
    vertical = sorted(s.x0 for s in fig.layout.shapes if s.x0 == s.x1)
    np.testing.assert_allclose(vertical, medians)


def test_km_years_and_horizon(km_w):
    fig = km_figure(km_w, time_unit="years", horizon=5)
    curve = next(t for t in fig.data if t.name == "control" and t.mode == "lines")
    c = km_w.curve("control")
    x = np.asarray(curve.x)
    assert x.max() <= 5.0 + 1e-12
    inside = c.time / 12 <= 5
    np.testing.assert_allclose(x[1 : 1 + inside.sum()], c.time[inside] / 12)
    assert fig.layout.xaxis.title.text == "Time (years)"
    spec = FigureSpec(time_unit="years", x_max=5)
    np.testing.assert_allclose(fig.layout.xaxis.tickvals, km_ticks(km_w, spec) / 12)
    # A horizon before the first event still draws S = 1 up to the horizon.
    first = min(float(c.time[0]) for c in km_w.curves)
    early = km_figure(km_w, horizon=first / 2)
    flat = next(t for t in early.data if t.name == "control" and t.mode == "lines")
    assert list(flat.x) == [0.0, first / 2] and list(flat.y) == [1.0, 1.0]


def test_km_user_strings_are_escaped(waltons):
    data = waltons.assign(group=waltons["group"].map({"control": "<b>x</b>", "miR-137": "y"}))
    fig = km_figure(kaplan_meier(data, "T", "E", "group"), title="<script>")
    names = {t.name for t in fig.data if t.showlegend}
    assert "&lt;b&gt;x&lt;/b&gt;" in names
    title = next(a for a in fig.layout.annotations if a.name == "title")
    assert title.text == "&lt;script&gt;"
    assert esc("a&b") == "a&amp;b"


# ---------------------------------------------------------------- thinning
def test_thin_indices_bound_on_non_monotone_values():
    rng = np.random.default_rng(7)
    y = np.cumsum(rng.normal(0, 2e-4, 50_000))
    keep = thin_indices(y, 0.001)
    assert keep[0] == 0 and keep[-1] == len(y) - 1
    drawn = _step_eval(keep.astype(float), y[keep], np.arange(len(y), dtype=float))
    assert np.max(np.abs(drawn - y)) < 0.001
    assert len(keep) < len(y) / 5


@pytest.fixture(scope="module")
def km_million():
    rng = np.random.default_rng(20240601)
    n = 1_000_000
    data = pd.DataFrame(
        {
            "t": rng.exponential(24.0, n) + rng.random(n) * 1e-3,  # ~1e6 distinct times
            "e": (rng.random(n) < 0.7).astype(int),
            "g": np.where(rng.random(n) < 0.5, "A", "B"),
        }
    )
    return kaplan_meier(data, "t", "e", "g")


def test_million_patient_km_is_bounded_and_within_tolerance(km_million):
    assert max(len(c.time) for c in km_million.curves) > 400_000
    fig = km_figure(km_million, FigureSpec(ci="on"))
    size = len(fig.to_json())
    print(f"\n1e6-patient KM figure: {size / 1024:.0f} KB JSON")
    assert size <= 500 * 1024
    for curve in km_million.curves:
        g = curve.group
        drawn = next(t for t in fig.data if t.name == g and t.mode == "lines")
        x, y = np.asarray(drawn.x), np.asarray(drawn.y)
        assert len(x) <= 1 / STEP_TOLERANCE + 2
        full_x = np.concatenate([[0.0], curve.time])
        # Fine grid: every event/censor time and the midpoints between them.
        grid = np.sort(np.concatenate([full_x, (full_x[1:] + full_x[:-1]) / 2]))
        exact = _step_eval(full_x, np.concatenate([[1.0], curve.surv]), grid)
        assert np.max(np.abs(_step_eval(x, y, grid) - exact)) <= STEP_TOLERANCE
        for bound in ("lower", "upper"):
            band = next(t for t in fig.data if t.name.startswith(f"{g} {bound}"))
            bx, by = np.asarray(band.x), np.asarray(band.y)
            values = np.concatenate([[1.0], getattr(curve, bound)])
            ok = np.isfinite(values)
            exact_b = _step_eval(full_x[ok], values[ok], grid[grid <= bx[-1]])
            drawn_b = _step_eval(bx, by, grid[grid <= bx[-1]])
            assert np.max(np.abs(drawn_b - exact_b)) <= STEP_TOLERANCE
        ticks = next(t for t in fig.data if t.name == f"{g} censored")
        assert len(ticks.x) == MAX_CENSOR_MARKS
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert f"{MAX_CENSOR_MARKS} of" in notes  # the figure says it sampled the censor marks


# ---------------------------------------------------------------- forest
def test_forest_matches_cox_fit_and_shows_reference():
    rossi = load_rossi().assign(
        race=lambda d: d["race"].map({0: "other", 1: "black"}),
        prio_cat=lambda d: pd.cut(d["prio"], [-1, 1, 4, 100], labels=["0-1", "2-4", "5+"]),
    )
    cox = cox_fit(
        rossi,
        "week",
        "arrest",
        ["age", "race", "prio_cat"],
        categorical=["race", "prio_cat"],
        reference={"race": "other", "prio_cat": "0-1"},
    )
    fig = forest_figure(cox, labels={"prio_cat": "Prior convictions"})
    assert fig.layout.xaxis.type == "log"
    est = fig.data[0]
    np.testing.assert_allclose(np.asarray(est.x), [t.hr for t in cox.terms])
    np.testing.assert_allclose(est.error_x.array, [t.upper - t.hr for t in cox.terms])
    np.testing.assert_allclose(est.error_x.arrayminus, [t.hr - t.lower for t in cox.terms])
    labels = list(fig.layout.yaxis.ticktext)
    labels = [str(x).strip() for x in labels]
    assert "<b>Prior convictions</b>" in labels and "0-1" in labels and "other" in labels
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("reference") == 2
    for t in cox.terms:
        assert f"{t.hr:.2f} ({t.lower:.2f}–{t.upper:.2f})" in texts
    assert "†" not in " ".join(texts)


def test_forest_marks_separation():
    rng = np.random.default_rng(3)
    n = 60
    data = pd.DataFrame(
        {"t": rng.exponential(10, n), "grp": np.repeat(["a", "b"], n // 2), "x": rng.normal(size=n)}
    )
    data["e"] = np.where(data["grp"] == "a", 0, (rng.random(n) < 0.8).astype(int))
    cox = cox_fit(data, "t", "e", ["grp", "x"], categorical=["grp"], reference={"grp": "a"})
    assert cox.separation
    fig = forest_figure(cox)
    assert "Separation" in " ".join(a.text for a in fig.layout.annotations)


def test_forest_ticks_stay_readable_on_wide_and_narrow_axes():
    """At most 8 labelled ticks, always including 1, whatever the CIs span.

    The bundled cohort's OS model spans HR 0.006 to 300: every tick of a fixed list crowded
    into unreadable labels there.
    """
    from hccdash.schema import load_bundled_cohort

    data = load_bundled_cohort().data
    wide = cox_fit(data, "os_months", "os_event", ["kps", "ascites", "child_pugh", "treatment"])
    rossi = load_rossi()
    narrow = cox_fit(rossi, "week", "arrest", ["age", "prio"])
    for cox in (wide, narrow):
        xaxis = forest_figure(cox).layout.xaxis
        ticks = list(xaxis.tickvals)
        lo, hi = (10**v for v in xaxis.range)
        assert 1.0 in ticks and 2 <= len(ticks) <= 8, ticks
        assert all(lo <= v <= hi for v in ticks)
        assert list(xaxis.ticktext) == [f"{v:g}" for v in ticks]


# ---------------------------------------------------------------- Schoenfeld
def test_schoenfeld_points_and_smooth():
    rossi = load_rossi()
    ph = cox_zph(rossi, "week", "arrest", ["age", "prio"])
    cox = cox_fit(rossi, "week", "arrest", ["age", "prio"])
    fig = schoenfeld_figure(ph, "age", coef=cox.terms[0].coef)
    pts, smooth = fig.data[0], fig.data[1]
    j = list(ph.terms).index("age")
    np.testing.assert_allclose(np.asarray(pts.x), ph.time)
    np.testing.assert_allclose(np.asarray(pts.y), ph.residuals[:, j])
    assert len(smooth.x) == len(ph.time)
    hlines = sorted(s.y0 for s in fig.layout.shapes)
    np.testing.assert_allclose(hlines, sorted([0.0, cox.terms[0].coef]))
    row = next(r for r in ph.rows if r.term == "age")
    assert format_p(row.p_value) in fig.layout.annotations[0].text
    from_model = schoenfeld_figure(ph, "age", cox=cox)
    assert sorted(s.y0 for s in from_model.layout.shapes) == hlines
    with pytest.raises(ValueError, match="not one of"):
        schoenfeld_figure(ph, "nope")


# ---------------------------------------------------------------- response
def test_response_bars_equal_counts():
    rng = np.random.default_rng(11)
    n = 40
    data = pd.DataFrame(
        {
            "intrahepatic_response": rng.choice(["CR", "PR", "SD", "PD"], n),
            "extrahepatic_response": rng.choice(["CR", "PR", "SD", "PD", "NE"], n),
            "treatment": rng.choice(["IMRT", "IMRT+TACE"], n),
        }
    )
    rates = response_rates(data)
    fig = response_figure(rates, by_arm=True)
    arms = [r for r in rates.rows if r.group != "Overall"]
    for trace in fig.data:
        cat = trace.name
        assert trace.marker.color == color_for(cat, ("CR", "PR", "SD", "PD"))
        np.testing.assert_allclose(np.asarray(trace.y), [getattr(r, cat.lower()) for r in arms])
    overall = response_figure(rates, by_arm=False, percent=True)
    rows = [r for r in rates.rows if r.group == "Overall"]
    cr = overall.data[0]
    np.testing.assert_allclose(np.asarray(cr.y), [100 * r.cr / r.n for r in rows])
    json.loads(fig.to_json())  # serialisable

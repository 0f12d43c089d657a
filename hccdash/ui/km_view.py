"""Kaplan-Meier section rendering shared by the Kaplan-Meier and univariate pages.

Everything statistical is a call into ``hccdash`` (through the cached wrappers); this module
only lays results out and turns expected failures into messages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from hccdash.codebook import TO_MONTHS
from hccdash.compare import METHOD_NAMES
from hccdash.errors import HccdashError
from hccdash.export import PresetFigure
from hccdash.identity import key_of, register
from hccdash.io import neutralise_formulas
from hccdash.nonparametric import median_table
from hccdash.plotting.common import hr_block
from hccdash.plotting.spec import FigureSpec
from hccdash.plotting.views import KMInputs, km_inputs, km_view_figure
from hccdash.report.labels import Labels
from hccdash.report.survival_tables import median_model
from hccdash.schema import ENDPOINTS, PATIENT_ID, Cohort, Endpoint, Factor
from hccdash.timetext import ignored_text
from hccdash.timetext import parse_times as _parse_times
from hccdash.ui import cache
from hccdash.ui.common import esc_md, fmt_p, guarded, show_error
from hccdash.ui.downloads import download_all, show_figure, table_downloads
from hccdash.ui.figure_panel import show_spec_figure
from hccdash.ui.km_summaries import render_landmarks, render_rmst
from hccdash.ui.table_view import p_style, render_table_model

TIME_DIVISOR = {u: TO_MONTHS[u] for u in ("months", "years")}  # the page's display units
TESTS = {**METHOD_NAMES, "fleming-harrington": f"{METHOD_NAMES['fleming-harrington']} (p, q)"}
ADJUST = {"holm": "Holm", "BH": "Benjamini-Hochberg", "none": "none"}


@dataclass(frozen=True)
class KMOptions:
    """Display and test choices of a Kaplan-Meier section (times in months)."""

    conf_type: str = "log-log"
    show_ci: bool = True
    show_censor: bool = True
    show_risk: bool = True
    show_median: bool = False
    time_unit: str = "months"
    horizon: float | None = None  # display units
    landmarks: tuple[float, ...] = (12.0, 24.0, 36.0)  # months
    rmst_tau: float | None = None  # months; None: the shortest group follow-up
    method: str = "logrank"
    p: float = 0.0
    q: float = 0.0
    trend: bool = False
    adjust: str = "holm"
    filters: str = ""


@dataclass(frozen=True)
class Grouping:
    """How patients are split into curves: a column of the (possibly derived) frame."""

    data: pd.DataFrame
    column: str | None
    levels: tuple[str, ...] | None
    color_levels: tuple[str, ...] | None
    label: str


def grouping_for(
    data: pd.DataFrame,
    full: pd.DataFrame,
    column: str | None,
    *,
    cut: float | None = None,
    factor: Factor | None = None,
    cohort: Cohort | None = None,
) -> Grouping:
    """Build the grouping of ``data`` by ``column`` (cut at ``cut`` if given) or by ``factor``.

    ``full`` is the unfiltered cohort, used for colour order so a level keeps its colour
    whatever the filters. ``cohort`` gives the column's factor (label, level order,
    reference) from its codebook; without one, R's order and the column name.
    """
    if factor is None and column is None:
        return Grouping(data, None, None, None, "all patients")
    parent, whole = key_of(data), key_of(full)
    if parent is None or whole is None:
        return _grouping(data, full, column, cut, factor, cohort, None)
    # the view's identity + how the curves are split: derived once per session and view
    key = (parent, whole, column, cut, repr(factor), cohort.identity if cohort else None)
    return cache.session_memo(
        "grouping", key, lambda: _grouping(data, full, column, cut, factor, cohort, parent)
    )


def _grouping(
    data: pd.DataFrame,
    full: pd.DataFrame,
    column: str | None,
    cut: float | None,
    factor: Factor | None,
    cohort: Cohort | None,
    parent: str | None,
) -> Grouping:
    if factor is None:
        known = {f.column: f for f in cohort.factors() if f.cut is None} if cohort else {}
        label = cohort.label(column) if cohort is not None else column
        if cut is not None:
            factor = Factor(column, label, cut=cut)
        elif column in known:
            factor = known[column]
        else:
            factor = Factor(column, label)
    return _derive(data, full, factor, parent)


def _derive(data: pd.DataFrame, full: pd.DataFrame, factor: Factor, parent: str | None):
    name = factor.label if factor.cut is None else f"{factor.label} (cut at {factor.cut:g})"
    derived = data.assign(**{name: factor.values(data)})
    if parent is not None:
        register(derived, f"{parent}|group={factor!r}")
    full_levels = factor.level_order(full)
    levels = tuple(v for v in full_levels if v in set(factor.level_order(data)))
    return Grouping(derived, name, levels, full_levels, name)


def parse_times(text: str, divisor: float) -> tuple[tuple[float, ...], str | None]:
    """Landmark times typed as ``"12, 24, 36"`` (display units) -> months, plus a warning."""
    times, bad = _parse_times(text, scale=divisor)
    return times, ignored_text(bad, "Landmark times", "12, 24, 36")


def parse_horizon(text: str, divisor: float) -> tuple[float | None, str | None]:
    """The RMST horizon typed in display units -> months (None: blank, the default), plus a
    warning when the text is not one positive number (the default is used then)."""
    times, bad = _parse_times(text, scale=divisor, positive=True)
    if not bad and len(times) <= 1:
        return (times[0] if times else None), None
    return None, (
        f"RMST horizon {text.strip()!r} is not one positive number: the shortest group "
        "follow-up is used. Enter one number, e.g. 24, or leave it blank."
    )


def _unit(v: float | None, divisor: float) -> float | None:
    return None if v is None else v / divisor


def median_frame(km, divisor: float) -> pd.DataFrame:
    """Median table for display: one row per group, times in display units (NaN = NR)."""

    rows = []
    for m in median_table(km).rows:
        med, lo, hi = (_unit(x, divisor) for x in (m.median, m.lower, m.upper))
        rows.append(
            {
                "group": m.group if m.group is not None else "All",
                "n": m.n,
                "events": m.events,
                "median": np.nan if med is None else med,
                "lower": np.nan if lo is None else lo,
                "upper": np.nan if hi is None else hi,
                "median (95% CI)": _fmt_med(med, lo, hi),
            }
        )
    return pd.DataFrame(rows)


def _fmt_med(med: float | None, lo: float | None, hi: float | None) -> str:
    def one(v: float | None) -> str:
        return "NR" if v is None else f"{v:.1f}"

    if med is None:
        return f"not reached ({one(lo)}–{one(hi)})"
    return f"{one(med)} ({one(lo)}–{one(hi)})"


def spec_from_options(opts: KMOptions) -> FigureSpec:
    """The figure spec of a page without a figure panel (the display toggles of KMOptions)."""
    return FigureSpec(
        ci="on" if opts.show_ci else "off",
        censor="+" if opts.show_censor else "none",
        risk_table="kmunicate" if opts.show_risk else "none",
        median_lines=opts.show_median,
        time_unit=opts.time_unit,
        x_max=opts.horizon or None,
    )


def render_figure(fig: go.Figure, name: str, key: str) -> None:
    """Draw a figure with its export widgets (PNG/SVG/PDF at slide sizes)."""
    show_figure(fig, name, key)


def table_height(rows: int, max_rows: int = 40) -> int:
    """Pixel height showing ``rows`` rows (up to ``max_rows``) of an ``st.dataframe``."""
    return 35 * (min(rows, max_rows) + 1) + 3


def render_table(df: pd.DataFrame, name: str, key: str, **kwargs) -> None:
    """A table with CSV/XLSX downloads."""
    # Levels and ids are user text: defuse spreadsheet formulas in the grid's own CSV export.
    st.dataframe(neutralise_formulas(df), hide_index=True, key=f"{key}_df", **kwargs)
    table_downloads(df, name, key)


def _km_functions(entry: str | None):
    from hccdash.ui.km_entry import entry_functions

    if entry is not None:
        return entry_functions(entry)
    return cache.kaplan_meier, cache.survdiff, cache.cox_fit


def render_km(
    g: Grouping,
    endpoint: Endpoint,
    opts: KMOptions,
    key: str,
    spec: FigureSpec | None = None,
    screen_width: float | None = None,
    report: list | None = None,
    entry: str | None = None,
) -> dict[str, object]:
    """Draw one endpoint's Kaplan-Meier section; return its figures and tables for export.

    Sections: figure (test, HR for two groups), median table, landmark table, pairwise tests
    and trend. Each section shows its own message when it cannot be computed. The median and
    landmark tables (table models) are appended to ``report`` when given. ``entry``: the
    endpoint's delayed-entry column (:mod:`hccdash.ui.km_entry`: curves, log-rank and HR on
    ``Surv(entry, time, event)``; no pairwise or trend tests).

    The same as :func:`render_km_figure` followed by :func:`render_km_tables` (the KM page
    calls them apart: its figure options rerun the figures alone, in a fragment).
    """
    out: dict[str, object] = {}
    fig = render_km_figure(g, endpoint, opts, key, spec, screen_width, entry)
    if fig is not None:
        out[f"km_{endpoint.key}"] = fig
    out.update(render_km_tables(g, endpoint, opts, key, report, entry))
    return out


def render_km_figure(
    g: Grouping,
    endpoint: Endpoint,
    opts: KMOptions,
    key: str,
    spec: FigureSpec | None = None,
    screen_width: float | None = None,
    entry: str | None = None,
) -> PresetFigure | None:
    """The endpoint's heading, messages, KM figure, test and HR lines: what the figure options
    (``spec``: reference level, labels) change. Returns the export figure (None if not drawn).
    """
    km_fn, test_fn, cox_fn = _km_functions(entry)
    st.subheader(esc_md(endpoint.label))
    try:
        # validated once per view and endpoint; every analysis below takes this object
        sd = cache.surv_data(g.data, endpoint.time, endpoint.event, endpoint.key)
        # a curve that cannot be fitted is a message here, before any figure work
        km_fn(sd, endpoint.time, endpoint.event, g.column, opts.conf_type, 0.95, g.levels)
    except HccdashError as exc:
        show_error(exc)
        return None
    spec = spec if spec is not None else spec_from_options(opts)
    spec = replace(spec, time_unit=spec.time_unit or opts.time_unit)
    inputs = km_inputs(
        sd,
        endpoint.time,
        endpoint.event,
        g.column,
        g.levels,
        spec,
        conf_type=opts.conf_type,
        method=opts.method,
        p=opts.p,
        q=opts.q,
        kaplan_meier=km_fn,
        survdiff=test_fn,
        cox_fit=cox_fn,
    )
    hr = hr_block(inputs.cox, spec.label_for) if inputs.cox is not None else ()
    # built once per (view, grouping, options, spec) in this session
    ident = (cache.surv_fingerprint(sd), g.column, g.levels, g.color_levels, g.label, opts,
             endpoint, entry)  # fmt: skip
    fig = show_km_figure(inputs, g, endpoint, opts, spec, key, screen_width, ident)
    if hr:
        st.markdown(esc_md("; ".join(hr)))
    return fig


def show_km_figure(
    inputs: KMInputs,
    g: Grouping,
    endpoint: Endpoint,
    opts: KMOptions,
    spec: FigureSpec,
    key: str,
    screen_width: float | None,
    ident: tuple,
) -> PresetFigure | None:
    """What a KM view shows around its curves, whatever computed them (rows in memory, or
    the engine for a served cohort: :mod:`hccdash.ui.served_km`): the one-group, no-test and
    no-event notes, the figure (built once per ``ident`` and options in the session), and
    the test line. Returns the export figure (None if it could not be drawn)."""
    levels = [c.group for c in inputs.km.curves]
    if g.column is not None and len(levels) < 2:
        st.info(
            esc_md(
                f"Only one group of {g.label!r} has patients after the filters "
                f"({levels[0] if levels else 'none'}): no comparison is possible."
            )
        )
    for message in inputs.messages:
        if message.startswith("No test"):
            st.warning(esc_md(message))
    for c in inputs.km.curves:
        if c.events == 0:
            st.info(
                esc_md(
                    f"No {endpoint.key.upper()} events in group {c.group or 'all patients'!r}: "
                    "its curve stays at 1 and its median is not reached."
                )
            )
    fig = None
    with guarded("The Kaplan-Meier figure"):

        def build(s, width):
            return km_view_figure(
                inputs,
                s,
                endpoint=endpoint,
                legend_label=g.label if g.column is not None else None,
                color_levels=g.color_levels,
                filters=opts.filters,
                width=width,
            )

        fig = show_spec_figure(
            build, spec, f"km_{endpoint.key}", f"{key}_fig", screen_width=screen_width,
            ident=ident,
        )  # fmt: skip
        fig = PresetFigure(fig, spec.preset)
    test = inputs.test
    if test is not None:
        st.markdown(
            f"{TESTS.get(test.method, test.method)} test: chi-square = {test.chisq:.2f}, "
            f"df = {test.df}, p = {fmt_p(test.p_value)}"
        )
    return fig


def render_km_tables(
    g: Grouping,
    endpoint: Endpoint,
    opts: KMOptions,
    key: str,
    report: list | None = None,
    entry: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The endpoint's median, landmark, pairwise and trend tables (nothing here depends on the
    figure options). A failure to compute the curves is shown by :func:`render_km_figure`."""
    km_fn, test_fn, _ = _km_functions(entry)
    out: dict[str, pd.DataFrame] = {}
    divisor = TIME_DIVISOR[opts.time_unit]
    try:
        sd = cache.surv_data(g.data, endpoint.time, endpoint.event, endpoint.key)
        km = km_fn(sd, endpoint.time, endpoint.event, g.column, opts.conf_type, 0.95, g.levels)
    except HccdashError:
        return out
    levels = [c.group for c in km.curves]
    grouped = g.column is not None and len(levels) >= 2
    test = None
    if grouped:  # the test of the median table's footnote (the figure shows the same one)
        lv = tuple(g.levels) if g.levels else None
        try:
            test = test_fn(sd, endpoint.time, endpoint.event, g.column, opts.method, opts.p,
                           opts.q, lv)  # fmt: skip
        except HccdashError:
            test = None

    med = median_frame(km, divisor)
    out[f"median_{endpoint.key}"] = med
    group_label = Labels()(g.label) if g.column is not None else None
    med_table = median_model(
        median_table(km),
        endpoint,
        group_label=group_label,
        divisor=divisor,
        unit=opts.time_unit,
        test=test,
        p_style=p_style(),
    )
    med_table = replace(med_table, details=med)  # the details view keeps display units
    render_table_model(med_table, f"{key}_median")
    if report is not None:
        report.append(med_table)

    render_landmarks(km, endpoint, opts, divisor, group_label, key, out, report)
    render_rmst(km, endpoint, opts, divisor, group_label, key, out, report)

    if grouped and len(levels) > 2 and entry is not None:
        st.info("Pairwise and trend tests are not computed with delayed entry.")
    elif grouped and len(levels) > 2:
        with guarded("Pairwise comparisons"):
            pw = cache.pairwise_survdiff(
                sd,
                endpoint.time,
                endpoint.event,
                g.column,
                opts.method,
                opts.adjust,
                opts.p,
                opts.q,
                g.levels,
            ).to_frame()
            st.markdown(
                f"**Pairwise {TESTS.get(opts.method, opts.method)} tests** "
                f"({ADJUST.get(opts.adjust, opts.adjust)} adjustment)"
            )
            out[f"pairwise_{endpoint.key}"] = pw
            render_table(pw, f"pairwise_{endpoint.key}", f"{key}_pairwise")
        if opts.trend:
            with guarded("The trend test"):
                tr = cache.trend_test(sd, endpoint.time, endpoint.event, g.column, g.levels)
                st.markdown(
                    f"Log-rank test for trend (levels in order {esc_md(', '.join(levels))}): "
                    f"chi-square = {tr.chisq:.2f}, df = {tr.df}, p = {fmt_p(tr.p_value)}"
                )
    return out


@cache.cohort_cache(**cache.SCAN)
def stratify_candidates(
    data: pd.DataFrame, max_levels: int = 20, skip_columns: tuple[str, ...] = ()
) -> list[str]:
    """Columns a Kaplan-Meier can be stratified by: categories (<= max_levels) or numbers.

    Cached per cohort: counting the levels of every column of a 1e6-row cohort was half of
    each rerun's time in the benchmark.
    """

    skip = {PATIENT_ID, *skip_columns} | {c for e in ENDPOINTS for c in (e.time, e.event)}
    out = []
    for c in data.columns:
        if c in skip:
            continue
        col = data[c].dropna()
        if col.nunique() < 2:
            continue
        if pd.api.types.is_numeric_dtype(col) or col.nunique() <= max_levels:
            out.append(c)
    return out


def render_download_all(
    figures: dict[str, go.Figure],
    tables: dict[str, pd.DataFrame],
    methods: str,
    key: str,
    name: str,
) -> None:
    """The page's "Download all" ZIP (figures, tables, methods.txt), when anything was drawn."""
    if not (figures or tables):
        return
    st.divider()
    download_all(figures, tables, methods, key, name=name)

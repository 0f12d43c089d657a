"""The Kaplan-Meier page on a cohort served in place: every number from one GROUP BY.

The page's widgets are the KM page's own (``pages/km.py``); what differs is where the numbers
come from. :func:`grouping` is :func:`hccdash.ui.km_view.grouping_for` on the option frame
(the same factor, level order and colours, no rows); :func:`km_figures` and :func:`km_tables`
draw what :func:`~hccdash.ui.km_view.render_km_figure` and
:func:`~hccdash.ui.km_view.render_km_tables` draw, from
:func:`hccdash.served_stats.km_result` (curves, test, pairwise and trend tests of one count
table), with the same figure builder (``km_view_figure``) and table models. The hazard ratios
beside the curves are the Cox model of the grouping fitted on the curves' own counts
(:func:`hr_fit`: what ``km_inputs`` fits on the rows, with no query of its own).

Results are held per (served cohort, filter, endpoint, grouping, test options) in one bounded
store shared by the sessions: they are aggregates of the server's cohort, no user's upload.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from hccdash import served_stats as ss
from hccdash.errors import HccdashError
from hccdash.export import PresetFigure
from hccdash.nonparametric import median_table
from hccdash.plotting.views import KMInputs, hr_levels, reference_level
from hccdash.report.labels import Labels
from hccdash.report.survival_tables import median_model
from hccdash.schema import Endpoint, Factor
from hccdash.shared_store import SharedStore
from hccdash.ui.common import esc_md, fmt_p, show_error
from hccdash.ui.fragments import session_fragment
from hccdash.ui.km_fragment import draw_figures
from hccdash.ui.km_summaries import render_landmarks, render_rmst
from hccdash.ui.km_view import (
    ADJUST,
    TESTS,
    TIME_DIVISOR,
    Grouping,
    KMOptions,
    median_frame,
    render_table,
    show_km_figure,
    spec_from_options,
)
from hccdash.ui.table_view import p_style, render_table_model

__all__ = ["ServedGrouping", "default_cut", "grouping", "km_figures", "km_tables", "result"]

RESULTS = SharedStore[ss.ServedKM](64)


@dataclass(frozen=True)
class ServedGrouping:
    """How the served patients are split into curves: the page's :class:`Grouping` (label,
    levels, colours; no rows) and the column and cut the engine groups by."""

    g: Grouping
    column: str | None
    cut: float | None
    cut_labels: tuple[str, str] | None


def default_cut(view, column: str) -> float:
    """The KM page's default cut of a numeric column: its median among the filtered patients."""
    m = ss.median_of(view.cohort.served, view.spec, column)
    return 0.0 if m is None else m


def grouping(view, column: str | None, cut: float | None = None) -> ServedGrouping:
    """The grouping of the served cohort by ``column`` (cut at ``cut``), as ``grouping_for``
    builds it in memory: the codebook's factor, its level order and colours."""
    cohort = view.cohort
    empty = view.data
    if column is None:
        return ServedGrouping(Grouping(empty, None, None, None, "all patients"), None, None, None)
    known = {f.column: f for f in cohort.factors() if f.cut is None}
    label = cohort.label(column)
    if cut is not None:
        factor = Factor(column, label, cut=cut)
        labels = (f"≤ {cut:g}", f"> {cut:g}")
        levels = labels
    else:
        factor = known.get(column, Factor(column, label))
        labels = None
        levels = factor.level_order(cohort.data)  # the option frame holds every level
    name = factor.label if factor.cut is None else f"{factor.label} (cut at {factor.cut:g})"
    return ServedGrouping(Grouping(empty, name, levels, levels, name), column, cut, labels)


def hr_fit(sg: ServedGrouping, km, reference: str | None):
    """The one-factor Cox model of the curves' grouping (R ``coxph(Surv(time, event) ~
    factor(group))``, ``reference`` first), as ``km_inputs`` fits it on the rows, from the
    curves' own rows and events per time (:func:`hccdash.engine.cox.cox_from_counts`: no
    query of its own)."""
    from hccdash.engine.cox import cox_from_counts

    curves = {c.group: c for c in km.curves}
    order = hr_levels(list(curves), reference) or tuple(curves)
    counts = {lev: (curves[lev].time, curves[lev].n_event, curves[lev].n_censor) for lev in order}
    return cox_from_counts(sg.column, counts)


def result(view, sg: ServedGrouping, endpoint: Endpoint, opts: KMOptions) -> ss.ServedKM:
    """:func:`hccdash.served_stats.km_result` for this view, held in the shared store."""
    key = (view.cohort.identity, repr(view.spec), endpoint.key, sg.column, sg.cut, sg.g.levels,
           opts.conf_type, opts.method, opts.p, opts.q, opts.adjust, opts.trend)  # fmt: skip
    return RESULTS.get(key, lambda: ss.km_result(
        view.cohort.served, view.spec, endpoint.key, sg.column, cut=sg.cut,
        cut_labels=sg.cut_labels, levels=sg.g.levels, conf_type=opts.conf_type,
        method=opts.method, p=opts.p, q=opts.q, adjust=opts.adjust, trend=opts.trend,
    ))  # fmt: skip


def _figure(view, sg, endpoint, opts, key, spec, width) -> PresetFigure | None:
    g = sg.g
    st.subheader(esc_md(endpoint.label))
    try:
        res = result(view, sg, endpoint, opts)
    except HccdashError as exc:
        show_error(exc)
        return None
    km = res.km
    spec = spec if spec is not None else spec_from_options(opts)
    spec = replace(spec, time_unit=spec.time_unit or opts.time_unit)
    present = tuple(c.group for c in km.curves if c.group is not None)
    reference = reference_level(spec, present) if g.column is not None else None
    cox, messages = None, res.messages
    if len(present) >= 2 and spec.show_hr:
        try:
            cox = hr_fit(sg, km, reference)
        except HccdashError as exc:
            messages = (*messages, f"No hazard ratio: {exc}")
    inputs = KMInputs(km, res.test, cox, reference, messages)
    ident = (f"{view.cohort.identity}|{view.spec!r}", sg.column, sg.cut, g.levels, g.label,
             opts, endpoint)  # fmt: skip
    return show_km_figure(inputs, g, endpoint, opts, spec, key, width, ident)


@session_fragment(slot="page")
def km_figures(
    panel: Mapping[str, Any],
    view,
    sg: ServedGrouping,
    endpoints: Sequence[Endpoint],
    opts: KMOptions,
    figures: MutableMapping[str, object],
    *,
    page: str = "km",
) -> None:
    """The options panel and each endpoint's figure and test (one fragment, as
    :func:`hccdash.ui.km_fragment.km_figures`)."""
    draw_figures(
        panel, endpoints, figures, page,
        lambda ep, spec, width: _figure(view, sg, ep, opts, f"km_{ep.key}", spec, width),
    )  # fmt: skip


def km_tables(
    view, sg: ServedGrouping, endpoint: Endpoint, opts: KMOptions, key: str,
    report: list | None = None,
) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The endpoint's median, landmark, pairwise and trend tables (as ``render_km_tables``)."""
    g = sg.g
    out: dict[str, pd.DataFrame] = {}
    divisor = TIME_DIVISOR[opts.time_unit]
    try:
        res = result(view, sg, endpoint, opts)
    except HccdashError:
        return out
    km = res.km
    levels = [c.group for c in km.curves]
    med = median_frame(km, divisor)
    out[f"median_{endpoint.key}"] = med
    group_label = Labels()(g.label) if g.column is not None else None
    med_table = median_model(
        median_table(km), endpoint, group_label=group_label, divisor=divisor,
        unit=opts.time_unit, test=res.test, p_style=p_style(),
    )  # fmt: skip
    med_table = replace(med_table, details=med)
    render_table_model(med_table, f"{key}_median")
    if report is not None:
        report.append(med_table)
    render_landmarks(km, endpoint, opts, divisor, group_label, key, out, report)
    render_rmst(km, endpoint, opts, divisor, group_label, key, out, report)
    if g.column is not None and len(levels) > 2 and res.pairwise is not None:
        pw = res.pairwise.to_frame()
        st.markdown(
            f"**Pairwise {TESTS.get(opts.method, opts.method)} tests** "
            f"({ADJUST.get(opts.adjust, opts.adjust)} adjustment)"
        )
        out[f"pairwise_{endpoint.key}"] = pw
        render_table(pw, f"pairwise_{endpoint.key}", f"{key}_pairwise")
    if res.trend is not None:
        tr = res.trend
        st.markdown(
            f"Log-rank test for trend (levels in order {esc_md(', '.join(levels))}): "
            f"chi-square = {tr.chisq:.2f}, df = {tr.df}, p = {fmt_p(tr.p_value)}"
        )
    for message in res.messages:
        if not message.startswith("No test"):
            st.warning(esc_md(message))
    return out

"""Kaplan-Meier page: curves for OS and/or PFS, stratified, with tests, medians and landmarks."""

import pandas as pd
import streamlit as st

from hccdash.filters import parse_by, parse_cut, parse_endpoint
from hccdash.report.report import KM_LEGEND, ReportFigure, ReportSection, figure_legend
from hccdash.ui import served_km
from hccdash.ui.common import esc_md, reconstruction_notice, too_few_patients, url_choice
from hccdash.ui.cox_extras import render_km_extras
from hccdash.ui.km_fragment import km_figures
from hccdash.ui.km_view import (
    ADJUST,
    TESTS,
    TIME_DIVISOR,
    KMOptions,
    grouping_for,
    parse_horizon,
    parse_times,
    render_download_all,
    render_km_tables,
    stratify_candidates,
)
from hccdash.ui.report_view import report_box
from hccdash.ui.served_view import is_served, rows_view
from hccdash.ui.sidebar import sidebar_view

view = sidebar_view()
served = is_served(view.cohort)  # served in place: every number from SQL (ui/served_km.py)
if served and any(view.cohort.entry_column(e.key) for e in view.cohort.endpoints()):
    view, served = rows_view(view), False  # delayed entry: on the rows, as the other pages
cohort, data, full = view.cohort, view.data, view.cohort.data
st.title("Kaplan-Meier")
reconstruction_notice(cohort)

endpoints = {e.key: e for e in cohort.endpoints()}
if not endpoints:
    st.warning(
        "The cohort has no complete endpoint (OS or PFS time and event columns). "
        "Map them on the data page."
    )
    st.stop()

# Page choices, restored from the URL on first visit (endpoint=os|pfs, by=<column>).
ep_options = [*endpoints, "both"] if len(endpoints) > 1 else [*endpoints]
url_choice(
    "km_endpoint", parse_endpoint(st.query_params, list(endpoints)), ep_options, ep_options[0]
)
candidates = stratify_candidates(
    full, skip_columns=tuple(c for e in endpoints.values() for c in (e.time, e.event))
)
by_options = ["(none)", *candidates]
by_url, by_warn = parse_by(st.query_params, full)
url_choice("km_by", (by_url if by_url in candidates else None, by_warn), by_options, "(none)")

c1, c2, c3 = st.columns([1, 2, 2])
endpoint = c1.radio(
    "Endpoint",
    ep_options,
    key="km_endpoint",
    # Bound dict lookups, not lambdas: a lambda keeps this page's globals (the cohort) alive in
    # Streamlit's widget metadata after the session has closed.
    format_func={k: "both" if k == "both" else k.upper() for k in ep_options}.__getitem__,
    horizontal=True,
)
labels = {c: f"{cohort.label(c)} ({c})" for c in candidates if cohort.label(c) != c}
labels |= {f.column: f"{f.label} ({f.column})" for f in cohort.factors()}
by_text = {c: labels.get(c, c) for c in by_options}
by = c2.selectbox("Stratify by", by_options, key="km_by", format_func=by_text.__getitem__)
column = None if by == "(none)" else by
cut = None
# A numeric column with two distinct values (0/1) is binary: its two values are the groups.
if (
    column is not None
    and pd.api.types.is_numeric_dtype(full[column])
    and full[column].dropna().nunique() > 2
):
    values = None if served else pd.to_numeric(data[column], errors="coerce").dropna()
    few = full[column].dropna().nunique() <= 8
    mode = c3.radio(
        "Numeric column",
        ["cut at a value", "each value a group"] if few else ["cut at a value"],
        key=f"km_mode_{column}",
        horizontal=True,
    )
    if mode == "cut at a value":
        cut_key = f"km_cut_{column}"
        if cut_key not in st.session_state:
            url_cut, cut_warnings = parse_cut(st.query_params)
            for message in cut_warnings:
                st.warning(esc_md(message))
            if served:
                default = served_km.default_cut(view, column)
            else:
                default = float(values.median()) if not values.empty else 0.0
            st.session_state[cut_key] = url_cut if url_cut is not None else default
        cut = c3.number_input(
            f"Cut {esc_md(column)} at (≤ cut vs > cut; default the median)", key=cut_key
        )
if endpoint == "both":
    st.query_params.pop("endpoint", None)
else:
    st.query_params["endpoint"] = endpoint
if column is None:
    st.query_params.pop("by", None)
else:
    st.query_params["by"] = column
if cut is None:
    st.query_params.pop("cut", None)
else:
    st.query_params["cut"] = f"{cut:g}"

with st.expander("Test and table options"):
    o1, o2, o3, o4 = st.columns(4)
    conf_type = o1.selectbox("CI transform", ["log-log", "log", "plain"], key="km_conf")
    unit = o2.radio("Time unit", list(TIME_DIVISOR), key="km_unit", horizontal=True)
    landmark_text = o3.text_input(
        f"Landmark times ({unit})",
        value="12, 24, 36" if unit == "months" else "1, 2, 3",
        key=f"km_landmarks_{unit}",
    )
    rmst_text = o3.text_input(
        f"RMST up to ({unit})",
        value="",
        placeholder="shortest group follow-up",
        key=f"km_rmst_{unit}",
        help="Restricted mean survival time: the mean time lived up to this horizon. Blank: "
        "the shortest of the groups' follow-ups, so every curve is observed up to it.",
    )
    method = o4.selectbox("Test", list(TESTS), format_func=TESTS.get, key="km_test")
    p = q = 0.0
    if method == "fleming-harrington":
        p = o4.number_input("p", min_value=0.0, value=1.0, step=0.5, key="km_fh_p")
        q = o4.number_input("q", min_value=0.0, value=0.0, step=0.5, key="km_fh_q")
    trend = o4.toggle("Trend test (ordered levels)", value=False, key="km_trend")
    adjust = o4.selectbox(
        "Pairwise adjustment", list(ADJUST), format_func=ADJUST.get, key="km_adjust"
    )

landmarks, landmark_warning = parse_times(landmark_text, TIME_DIVISOR[unit])
if landmark_warning:
    st.warning(esc_md(landmark_warning))
rmst_tau, rmst_warning = parse_horizon(rmst_text, TIME_DIVISOR[unit])
if rmst_warning:
    st.warning(esc_md(rmst_warning))
opts = KMOptions(
    conf_type=conf_type,
    time_unit=unit,
    landmarks=landmarks,
    rmst_tau=rmst_tau,
    method=method,
    p=p,
    q=q,
    trend=trend,
    adjust=adjust,
    filters=view.filters_text,
)

for ep_key in list(endpoints) if endpoint == "both" else [endpoint]:
    entry = cohort.entry_column(ep_key)
    if entry is not None:  # the codebook's delayed entry (R survfit(Surv(entry, time, event)))
        st.info(
            esc_md(
                f"{endpoints[ep_key].label} has delayed entry: each patient is at risk only from "
                "entry on (R survfit(Surv(entry, time, event)) and the log-rank test on those "
                "risk sets)."
            ),
            icon=":material/login:",
        )
if not too_few_patients(view.n, minimum=2, what="a Kaplan-Meier analysis"):
    sg = served_km.grouping(view, column, cut) if served else None
    g = sg.g if served else grouping_for(data, full, column, cut=cut, cohort=cohort)
    chosen = list(endpoints) if endpoint == "both" else [endpoint]
    # One options panel for the page's KM figure(s); its choices are in the URL (fig_...).
    # Panel and figures are one fragment: a figure option reruns them alone, not the page.
    panel = {
        "key": f"km_fig_{g.column}",
        "kind": "km",
        "levels": list(g.levels or ()),
        "color_levels": g.color_levels,
        "defaults": {
            "title": endpoints[chosen[0]].label if len(chosen) == 1 else "(the endpoint)",
            "legend_title": g.label,
            "xlabel": f"Time ({unit})",
        },
        "references": list(g.levels or ()),
        "lazy": True,  # the popover's widgets are built only while it is open
    }
    figures, tables = {}, {}
    report_tables = []
    entries = {key: cohort.entry_column(key) for key in chosen}
    if served:
        served_km.km_figures(panel, view, sg, [endpoints[key] for key in chosen], opts, figures)
    else:
        km_figures(panel, g, [endpoints[key] for key in chosen], opts, entries, figures)
    cols = st.columns(len(chosen))
    for col, key in zip(cols, chosen, strict=True):
        with col:
            if served:
                tables |= served_km.km_tables(
                    view, sg, endpoints[key], opts, f"km_{key}", report_tables
                )
                continue
            tables |= render_km_tables(
                g, endpoints[key], opts, key=f"km_{key}", report=report_tables,
                entry=entries[key],
            )  # fmt: skip
    render_download_all(
        figures,
        tables,
        f"Kaplan-Meier analysis of {cohort.name}; filters: {opts.filters}; "
        f"stratified by {g.label}; {TESTS[method]} test; {conf_type} CIs.",
        "km_all",
        "kaplan_meier",
    )
    report_box(
        ReportSection(
            "km",
            f"Kaplan-Meier analysis by {g.label}",
            opts.filters,
            f"Kaplan-Meier estimates with {conf_type} 95% CIs (R survfit); {TESTS[method]} "
            "test (R survdiff); median survival and survival at landmark times.",
            tuple(report_tables),
            tuple(
                ReportFigure(n, f, figure_legend(f, n, f"By {g.label}. {KM_LEGEND}"))
                for n, f in figures.items()
            ),
        ),
        cohort,
        "km_report",
    )
    if served:
        st.caption("Delayed entry and weights need every row: not offered on a served cohort.")
    else:
        render_km_extras(cohort, data, endpoints)

"""Univariate page: the seed's Table 1 for every factor and both endpoints; a row opens curves."""

import pandas as pd
import streamlit as st

from hccdash.report.labels import label_lookup
from hccdash.report.report import KM_LEGEND, ReportFigure, ReportSection, figure_legend
from hccdash.report.survival_tables import univariate_model
from hccdash.ui import cache
from hccdash.ui.common import esc_md, guarded, reconstruction_notice, too_few_patients
from hccdash.ui.km_view import KMOptions, grouping_for, render_download_all, render_km
from hccdash.ui.report_view import report_box
from hccdash.ui.sidebar import filtered_view
from hccdash.ui.table_view import p_style, render_table_model

view = filtered_view()
cohort, data, full = view.cohort, view.data, view.cohort.data
st.title("Univariate analysis")
reconstruction_notice(cohort)

factors = cohort.factors()
endpoints = cohort.endpoints()
labels = [f.label for f in factors]
if not endpoints or not factors:
    st.warning(
        "The cohort needs an endpoint (time and event columns) and at least one factor column "
        "for a univariate table. Map them on the data page."
    )
    st.stop()

st.caption(
    "Per factor level: patients, events and median survival (95% CI, log-log) for each "
    "endpoint; p from the log-rank test. Choose a factor below the table to see its curves."
)
entries = tuple(cohort.entry_column(e.key) for e in endpoints)
delayed = [e.label for e, entry in zip(endpoints, entries, strict=True) if entry]
if delayed:  # the codebook's delayed entry (R survfit(Surv(entry, time, event) ~ factor))
    st.info(
        esc_md(
            f"{', '.join(delayed)}: delayed entry is used; each patient is at risk only from "
            "entry on (medians from R survfit(Surv(entry, time, event)), p from the log-rank "
            "test on those risk sets)."
        ),
        icon=":material/login:",
    )
figures, tables = {}, {}
report_tables = []
if not too_few_patients(view.n, minimum=2, what="a univariate table"):
    with guarded("The univariate table"):
        # one validated survival object per endpoint of this view (keyed by its identity)
        surv = tuple(cache.surv_data(data, e.time, e.event, e.key) for e in endpoints)
        table = cache.univariate_table(
            data, tuple(factors), tuple(endpoints), surv, entries if delayed else None
        )
        frame = table.to_frame()
        tables["univariate_table"] = frame
        model = univariate_model(table, endpoints, label_lookup(cohort), p_style=p_style())
        render_table_model(model, "uni_table")
        report_tables.append(model)

    choice = st.selectbox("Show curves for", labels, key="uni_factor")
    factor = factors[labels.index(choice)]
    g = grouping_for(data, full, None, factor=factor)
    curves_by = g.label
    opts = KMOptions(landmarks=(), filters=view.filters_text)
    cols = st.columns(len(endpoints))
    for col, endpoint in zip(cols, endpoints, strict=True):
        with col:
            out = render_km(
                g, endpoint, opts, key=f"uni_{endpoint.key}", report=report_tables,
                entry=cohort.entry_column(endpoint.key),
            )  # fmt: skip
        for name, obj in out.items():
            (tables if isinstance(obj, pd.DataFrame) else figures)[f"{name}_{factor.column}"] = obj

render_download_all(
    figures,
    tables,
    f"Univariate analysis of {cohort.name}; filters: {view.filters_text}; Kaplan-Meier "
    "medians with 95% CIs (log-log) and log-rank p per factor and endpoint.",
    "uni_all",
    "univariate",
)
report_box(
    ReportSection(
        "univariate",
        "Univariate analysis",
        view.filters_text,
        "Kaplan-Meier medians with 95% CIs (log-log transform) per factor level; log-rank "
        "test per factor and endpoint.",
        tuple(report_tables),
        tuple(
            ReportFigure(name, fig, figure_legend(fig, name, f"By {curves_by}. {KM_LEGEND}"))
            for name, fig in figures.items()
        ),
    ),
    cohort,
    "uni_report",
)

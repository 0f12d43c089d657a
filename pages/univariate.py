"""Univariate page: the seed's Table 1 for every factor and both endpoints; a row opens curves."""

import pandas as pd
import streamlit as st

from hccdash.io import neutralise_formulas
from hccdash.ui import cache
from hccdash.ui.common import guarded, reconstruction_notice, too_few_patients
from hccdash.ui.downloads import table_downloads
from hccdash.ui.km_view import KMOptions, grouping_for, render_download_all, render_km
from hccdash.ui.sidebar import filtered_view

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
    "endpoint; p from the log-rank test. Select a row to see that factor's curves."
)
figures, tables = {}, {}
if not too_few_patients(view.n, minimum=2, what="a univariate table"):
    with guarded("The univariate table"):
        table = cache.univariate_table(data, tuple(factors), tuple(endpoints))
        frame = table.to_frame()
        tables["univariate_table"] = frame
        fmt = {
            c: st.column_config.NumberColumn(format="%.4f" if c.endswith("_p") else "%.1f")
            for c in frame.columns
            if c.endswith(("_p", "_median", "_lower", "_upper"))
        }
        event = st.dataframe(
            neutralise_formulas(frame),
            hide_index=True,
            column_config=fmt,
            on_select="rerun",
            selection_mode="single-row",
            key="uni_table",
        )
        rows = list(event.selection.rows) if event is not None else []
        # A newly selected row chooses the factor below; the selectbox stays free otherwise.
        if rows != st.session_state.get("uni_last_rows", []):
            st.session_state["uni_last_rows"] = rows
            if rows and "factor" in frame.columns:
                label = str(frame.iloc[rows[0]]["factor"])
                if label in labels:
                    st.session_state["uni_factor"] = label
        table_downloads(frame, "univariate_table", "uni_table_dl")

    choice = st.selectbox("Show curves for", labels, key="uni_factor")
    factor = factors[labels.index(choice)]
    g = grouping_for(data, full, None, factor=factor)
    opts = KMOptions(landmarks=(), filters=view.filters_text)
    cols = st.columns(len(endpoints))
    for col, endpoint in zip(cols, endpoints, strict=True):
        with col:
            out = render_km(g, endpoint, opts, key=f"uni_{endpoint.key}")
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

"""Cohort page (default): what is loaded, baseline characteristics by arm, completeness."""

import streamlit as st

from hccdash.baseline import completeness
from hccdash.filters import events_per_endpoint
from hccdash.nonparametric import median_followup
from hccdash.schema import TREATMENT
from hccdash.ui import cache
from hccdash.ui.common import esc_md, guarded, reconstruction_notice, too_few_patients
from hccdash.ui.km_view import render_table, table_height
from hccdash.ui.sidebar import filtered_view

view = filtered_view()
cohort = view.cohort
st.title("Cohort")
reconstruction_notice(cohort)

c1, c2, c3 = st.columns(3)
c1.metric("Patients loaded", view.n_total)
c2.metric("Patients after filters", view.n)
c3.metric("Columns", cohort.data.shape[1])
st.markdown(f"**{esc_md(cohort.name)}**")
st.caption(f"Source: {esc_md(cohort.source)} · Filters: {esc_md(view.filters_text)}")

endpoints = cohort.endpoints()
if view.n and endpoints:
    ev_cols = st.columns(len(endpoints) + 1)
    events = events_per_endpoint(view.data, endpoints)
    for col, endpoint in zip(ev_cols, endpoints, strict=False):
        col.metric(f"{endpoint.key.upper()} events", events.get(endpoint.key, 0))
    first = endpoints[0]
    with ev_cols[-1], guarded("Median follow-up"):
        fu = median_followup(view.data[first.time], view.data[first.event])
        st.metric(
            f"Median follow-up ({first.key.upper()}, reverse KM)",
            "not reached" if fu.median is None else f"{fu.median:.1f} {first.unit}",
            help="Median potential follow-up: Kaplan-Meier of the censoring times, "
            "R survfit(Surv(time, 1 - event) ~ 1).",
        )

st.subheader("Baseline characteristics")
columns = [c for c in cohort.data.columns if cohort.data[c].dropna().nunique() <= 20]
options = ["(overall only)", *columns]
default = options.index(TREATMENT) if TREATMENT in options else 0
by = st.selectbox("Compare groups of", options, index=default, key="cohort_by")
if not too_few_patients(view.n, minimum=1, what="a baseline table"):
    with guarded("The baseline table"):
        table = cache.baseline_table(view.data, None if by == "(overall only)" else by)
        frame = table.to_frame()
        labels = {str(c): cohort.label(str(c)) for c in cohort.data.columns}
        labels |= {f.column: f.label for f in cohort.factors()}
        frame.insert(0, "characteristic", frame["variable"].map(lambda v: labels.get(v, v)))
        render_table(
            frame.drop(columns="variable"),
            "baseline_characteristics",
            "cohort_baseline",
            height=table_height(len(frame)),
        )
        if table.tests:
            st.caption(
                "n (%) of patients with a value; numeric: median (Q1–Q3). Tests are two-sided on "
                "complete cases: Fisher's exact test for 2×2 tables, the Fisher-Freeman-Halton "
                "exact test for larger tables (Pearson chi-square above 300 patients), "
                "Mann-Whitney U for 2 groups and Kruskal-Wallis for more (numeric)."
            )

st.subheader("Data completeness")
complete = completeness(view.data).to_frame()
render_table(
    complete, "data_completeness", "cohort_completeness", height=table_height(len(complete))
)

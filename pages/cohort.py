"""Cohort page (default): what is loaded, baseline characteristics by arm, completeness."""

import streamlit as st

from hccdash.baseline import completeness
from hccdash.filters import events_per_endpoint
from hccdash.nonparametric import median_followup
from hccdash.report.labels import label_lookup
from hccdash.report.report import ReportSection
from hccdash.report.summary_tables import baseline_model
from hccdash.schema import TREATMENT
from hccdash.ui import cache
from hccdash.ui.common import esc_md, guarded, reconstruction_notice, too_few_patients
from hccdash.ui.km_view import render_table, table_height
from hccdash.ui.report_view import report_box
from hccdash.ui.served_view import cohort_page_view
from hccdash.ui.sidebar import sidebar_view
from hccdash.ui.table_view import p_style, render_table_model

# a cohort served in place: its rows when the filters keep few enough, else its SQL overview
view = cohort_page_view(sidebar_view())
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
report_tables = []
columns = cache.few_level_columns(cohort.data)  # one scan per cohort
options = ["(overall only)", *columns]
arm = cohort.role(TREATMENT)  # the codebook's treatment role, whatever its column's name
default = options.index(arm) if arm in options else 0
by = st.selectbox("Compare groups of", options, index=default, key="cohort_by")
if not too_few_patients(view.n, minimum=1, what="a baseline table"):
    with guarded("The baseline table"):
        table = cache.baseline_table(view.data, None if by == "(overall only)" else by)
        baseline = baseline_model(
            table,
            label_lookup(cohort),
            by_label=label_lookup(cohort)(by) if table.groups else None,
            p_style=p_style(),
        )
        render_table_model(baseline, "cohort_baseline")
        report_tables.append(baseline)

st.subheader("Data completeness")
complete = completeness(view.data).to_frame()
render_table(
    complete, "data_completeness", "cohort_completeness", height=table_height(len(complete))
)

report_box(
    ReportSection(
        "cohort",
        "Cohort and baseline characteristics",
        view.filters_text,
        "Categorical characteristics as n (%), numeric as median (Q1–Q3); two-sided tests on "
        "complete cases (footnotes name each test).",
        tuple(report_tables),
    ),
    cohort,
    "cohort_report",
)

"""Cohort page (default): what is loaded."""

import streamlit as st

from hccdash.ui.state import active_cohort

cohort = active_cohort()
st.title("hccdash")
st.markdown(
    "Survival analysis for oncology cohorts in the browser: filter the cohort, draw "
    "Kaplan-Meier curves, compare groups and fit Cox models, with numbers that match R's "
    "`survival` package."
)
st.metric("Patients loaded", cohort.n)
st.caption(f"Source: {cohort.source}")

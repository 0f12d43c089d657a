"""Competing risks page: cumulative incidence, Gray's test, Fine-Gray (exact to R's cmprsk)."""

import streamlit as st

from hccdash.ui.common import reconstruction_notice, too_few_patients
from hccdash.ui.competing_view import render
from hccdash.ui.sidebar import filtered_view

view = filtered_view()
st.title("Competing risks")
reconstruction_notice(view.cohort)
st.caption(
    "Cumulative incidence (Aalen-Johansen) with cmprsk's variance, Gray's test and Fine-Gray "
    "regression, exact to R's cmprsk::cuminc and cmprsk::crr."
)
if not too_few_patients(view.n, 2, "a cumulative incidence"):
    render(view.cohort, view.data, view.filters_text)

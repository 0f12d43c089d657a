"""Which cohort is active in this browser session, and its cached loading."""

from __future__ import annotations

import streamlit as st

from hccdash.schema import Cohort, load_bundled_cohort

# st.session_state key holding an uploaded Cohort: per browser session, never on disk.
UPLOADED_KEY = "hccdash_uploaded_cohort"


@st.cache_data(show_spinner=False)
def _bundled() -> Cohort:
    return load_bundled_cohort()


def active_cohort() -> Cohort:
    """The uploaded cohort of this session if any, else the bundled reconstruction."""
    uploaded = st.session_state.get(UPLOADED_KEY)
    return uploaded if uploaded is not None else _bundled()

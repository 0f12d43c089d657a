"""Which cohort is active in this browser session, and its cached loading."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from hccdash.schema import Cohort, load_bundled_cohort

# st.session_state key holding an uploaded Cohort: per browser session, never on disk.
UPLOADED_KEY = "hccdash_uploaded_cohort"


@st.cache_data(show_spinner=False)
def _bundled() -> Cohort:
    return load_bundled_cohort()


def ensure_app_router() -> None:
    """Rerun through app.py when Streamlit started a page in its legacy ``pages/`` mode.

    Streamlit decides per server process whether a ``pages/`` folder means the legacy
    multipage mode; only a ``st.navigation`` call (in app.py) switches that off. A deep link
    (``/km?child_pugh=A``) as the first request of a fresh server would therefore run the page
    file alone, without the router and the shared sidebar. Switching the flag off and
    rerunning sends the same request (same url path, so the same page) through app.py.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def active_cohort() -> Cohort:
    """The uploaded cohort of this session if any, else the bundled reconstruction."""
    ensure_app_router()
    uploaded = st.session_state.get(UPLOADED_KEY)
    return uploaded if uploaded is not None else _bundled()

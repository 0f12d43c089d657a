"""hccdash: the only router. Run with ``streamlit run app.py``."""

import streamlit as st

from hccdash import resources
from hccdash.ui import auth, fragments
from hccdash.ui.sidebar import render_sidebar
from hccdash.ui.state import active_cohort

# A local PNG: a ":material/...:" page icon makes the browser fetch it from fonts.gstatic.com.
st.set_page_config(page_title="hccdash", page_icon=resources.favicon(), layout="wide")

PAGES = [
    # Streamlit serves the default page at "/" only, not at its url_path; the hidden alias
    # below serves the same page at "/cohort", so bookmarks of either form work.
    st.Page("pages/cohort.py", title="Cohort", url_path="home", default=True),
    st.Page("pages/cohort.py", title="Cohort", url_path="cohort", visibility="hidden"),
    st.Page("pages/km.py", title="Kaplan-Meier", url_path="km"),
    st.Page("pages/univariate.py", title="Univariate", url_path="univariate"),
    st.Page("pages/cox.py", title="Cox model", url_path="cox"),
    st.Page("pages/competing.py", title="Competing risks", url_path="competing"),
    st.Page("pages/response.py", title="Response & toxicity", url_path="response"),
    # The bundled cohort's own page: in the menu only while that cohort is loaded (a link to
    # it still opens and says the comparison is for the bundled cohort).
    st.Page(
        "pages/reproduce.py",
        title="Reproduce the paper",
        url_path="reproduce",
        visibility="visible" if active_cohort().reconstructed else "hidden",
    ),
    st.Page("pages/data.py", title="Your data", url_path="data"),
    st.Page("pages/models.py", title="Risk models", url_path="models"),
    st.Page("pages/about.py", title="About", url_path="about"),
]

# Optional sign-in (secrets.toml [auth]); until it passes, no page runs and no data is loaded.
signed_in = auth.gate()
nav = st.navigation(PAGES, position="sidebar" if signed_in else "hidden")
if not signed_in:
    st.stop()
# The shared sidebar (filters synced with the URL) is drawn on every page, before the page runs.
fragments.begin_full_run()
render_sidebar()
nav.run()

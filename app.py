"""hccdash: the only router. Run with ``streamlit run app.py``."""

import streamlit as st

from hccdash.ui.sidebar import render_sidebar

st.set_page_config(page_title="hccdash", page_icon=":material/monitoring:", layout="wide")

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
    st.Page("pages/reproduce.py", title="Reproduce the paper", url_path="reproduce"),
    st.Page("pages/data.py", title="Your data", url_path="data"),
    st.Page("pages/models.py", title="Risk models", url_path="models"),
    st.Page("pages/about.py", title="About", url_path="about"),
]

nav = st.navigation(PAGES)
# The shared sidebar (filters synced with the URL) is drawn on every page, before the page runs.
render_sidebar()
nav.run()

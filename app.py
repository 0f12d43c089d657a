"""hccdash: the only router. Run with ``streamlit run app.py``."""

import streamlit as st

st.set_page_config(page_title="hccdash", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page("pages/cohort.py", title="Cohort", url_path="cohort", default=True),
]

st.navigation(PAGES).run()

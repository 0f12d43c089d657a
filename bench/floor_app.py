"""The baseline page of bench/load_case.py: bare Streamlit on this machine (issue 20).

Not part of the app. A sidebar PVTT radio (the app's label and choices) over the bundled
cohort's CSV and the sidebar's ``n = .. of 21``: what any rerun costs before hccdash does
anything (Streamlit's script run, widget state, protobuf and websocket), measured in the same
run as the app's reruns so the machine's load hits both alike.

    streamlit run bench/floor_app.py
"""

from pathlib import Path

import pandas as pd
import streamlit as st

CSV = Path(__file__).resolve().parent.parent / "data" / "hcc_oligomets_reconstructed.csv"


@st.cache_data
def cohort() -> pd.DataFrame:
    return pd.read_csv(CSV)


data = cohort()
choice = st.sidebar.radio("PVTT", ["any", "yes", "no"], key="f_pvtt", horizontal=True)
shown = data if choice == "any" else data[data["pvtt"].astype(str).str.lower() == choice]
st.sidebar.markdown(f"n = {len(shown)} of {len(data)}")
st.title("Baseline")
st.dataframe(shown.head(5))

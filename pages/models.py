"""Risk models page (being built; its owner replaces this file)."""

import streamlit as st

st.title("Risk models")
st.info("This page is being built.")

"""Cox model page (being built; its owner replaces this file)."""

import streamlit as st

st.title("Cox model")
st.info("This page is being built.")

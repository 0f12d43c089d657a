"""Your data page (being built; its owner replaces this file)."""

import streamlit as st

st.title("Your data")
st.info("This page is being built.")

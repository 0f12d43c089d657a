"""Reproduce the paper page (being built; its owner replaces this file)."""

import streamlit as st

st.title("Reproduce the paper")
st.info("This page is being built.")

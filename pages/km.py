"""Kaplan-Meier page (being built; its owner replaces this file)."""

import streamlit as st

st.title("Kaplan-Meier")
st.info("This page is being built.")

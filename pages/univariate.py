"""Univariate page (being built; its owner replaces this file)."""

import streamlit as st

st.title("Univariate")
st.info("This page is being built.")

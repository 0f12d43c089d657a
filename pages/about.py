"""About page (being built; its owner replaces this file)."""

import streamlit as st

st.title("About")
st.info("This page is being built.")

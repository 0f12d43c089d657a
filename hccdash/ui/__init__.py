"""The Streamlit layer: the only part of hccdash that imports streamlit.

Pages in ``pages/`` read widgets, call the plain functions of ``hccdash`` and render what they
return through the helpers here (caching, sidebar, messages, downloads).
"""

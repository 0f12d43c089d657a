"""hccdash: survival analysis for oncology cohorts, exact against R's survival package.

Everything in this package imports in a plain Python session; only ``hccdash.ui`` imports
streamlit.
"""

__version__ = "0.1.0"

"""Cox and KM page sections for the methods papers need (issue 18): stratified, (start, stop],
weighted and robust Cox models; adjusted curves; subgroup forest; IPW; landmark analysis;
delayed-entry and weighted Kaplan-Meier.

Each section computes only once the user has chosen what it needs (defaults are empty), so
the pages stay as fast as before for those who do not use them.

The shared parts are in :mod:`hccdash.ui.cox_extras_common`, one module per "More models" tab
(``cox_extras_extended``, ``_adjusted``, ``_subgroup``, ``_ipw``, ``_landmark``) and the KM
expander in :mod:`hccdash.ui.km_extras`; the pages import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from hccdash.ui.cox_extras_adjusted import _adjusted_tab
from hccdash.ui.cox_extras_common import entry_labels, terms_frame, tests_frame
from hccdash.ui.cox_extras_extended import _extended_model
from hccdash.ui.cox_extras_ipw import _ipw_tab
from hccdash.ui.cox_extras_landmark import _landmark_tab
from hccdash.ui.cox_extras_subgroup import _subgroup_tab
from hccdash.ui.km_extras import render_km_extras

__all__ = [
    "MORE_MODELS",
    "entry_labels",
    "extras_legend",
    "render_cox_extras",
    "render_km_extras",
    "terms_frame",
    "tests_frame",
]


_LEGENDS = {
    "predicted_": "Survival predicted by the Cox model for the covariate values shown (the "
    "other covariates at typical values) with 95% confidence bands; a stratified model has "
    "one baseline hazard per stratum.",
    "adjusted_": "Directly adjusted survival: the mean of every patient's Cox-predicted curve "
    "with the arm set to each level.",
    "subgroups_": "Treatment hazard ratio within each subgroup with 95% confidence intervals "
    "(log scale); interaction p by likelihood-ratio test of treatment x factor.",
    "ipw_balance_": "Absolute standardised mean differences before and after inverse-"
    "probability weighting; below 0.1 is usually taken as balanced.",
    "ipw_km_": "Inverse-probability-weighted Kaplan-Meier curves with robust confidence intervals.",
}


def extras_legend(name: str) -> str | None:
    """The report legend of a "More models" figure (by its name), None for other figures."""
    return next((text for prefix, text in _LEGENDS.items() if name.startswith(prefix)), None)


# ---- Cox page -----------------------------------------------------------------------------
def render_cox_extras(
    cohort,
    data: pd.DataFrame,
    endpoint,
    covariates: Sequence[str],
    ties: str,
    reference: Mapping[str, str] | None,
    figures: dict,
    tables: dict,
) -> None:
    """The Cox page's "More models" tabs (called once, below the main model)."""
    labels = {f.column: f.label for f in cohort.factors()}
    labels |= entry_labels(cohort, {endpoint.key: endpoint})
    st.subheader("More models")
    # Lazy tabs: a rerun builds the open tab only (its option scans, fits and figures); the
    # hidden tabs' choices are kept (persist_state) and come back when their tab is opened.
    tabs = st.tabs(MORE_MODELS, key="coxx_view", on_change="rerun")
    used = [endpoint.time, endpoint.event, *covariates]
    others = [c for c in data.columns if c not in used]
    open_tab = next((i for i, t in enumerate(tabs) if t.open), 0)
    with tabs[open_tab]:
        if open_tab == 0:
            _extended_model(data, endpoint, covariates, ties, reference, others, labels,
                            figures, tables, entry=cohort.entry_column(endpoint.key))  # fmt: skip
        elif open_tab == 1:
            _adjusted_tab(data, endpoint, covariates, ties, reference, labels, figures, tables)
        elif open_tab == 2:
            _subgroup_tab(data, endpoint, labels, figures, tables)
        elif open_tab == 3:
            _ipw_tab(data, endpoint, labels, figures, tables)
        else:
            _landmark_tab(data, endpoint, labels, tables)


MORE_MODELS = ["Strata, time-varying, weights", "Adjusted curves", "Subgroup forest",
               "Weighting (IPW)", "Landmark"]  # fmt: skip

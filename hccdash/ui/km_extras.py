"""The KM page's "Delayed entry and weights" expander: Kaplan-Meier with a start (entry)
column and/or case weights (R survfit(Surv(start, stop, event))) and its log-rank test.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from hccdash.figures import km_figure
from hccdash.ui.common import esc_md, fmt_p, guarded
from hccdash.ui.cox_extras_common import (
    KEEP,
    _default_entry,
    _km_counting,
    _logrank_counting,
    _numeric_columns,
    _pick,
    entry_labels,
)
from hccdash.ui.cox_view import covariate_candidates
from hccdash.ui.km_view import render_figure, render_table


def render_km_extras(cohort, data: pd.DataFrame, endpoints: Mapping[str, object]) -> None:
    """KM page expander: curves with delayed entry (left truncation) and/or case weights."""
    labels = {f.column: f.label for f in cohort.factors()} | entry_labels(cohort, endpoints)
    declared = any(cohort.entry_column(k) for k in endpoints)
    # Lazy: its option scans and curves run only while it is open (a rerun of a closed
    # expander builds nothing in it); its choices are kept while it is closed.
    box = st.expander(
        "Delayed entry and weights", expanded=declared, key="kmx_open", on_change="rerun"
    )
    if not box.open:
        return
    with box:
        st.caption(
            "With a start (entry) column a patient counts as at risk only after entry "
            "(registries with late entry: R survfit(Surv(start, stop, event))); the log-rank "
            "test uses the same risk sets. Weights are case weights; non-integer weights or a "
            "cluster give R's robust (jackknife) CIs."
        )
        c1, c2, c3, c4, c5 = st.columns(5)
        key = c1.selectbox("Endpoint", list(endpoints), key="kmx_endpoint",
                           format_func=str.upper, persist_state=KEEP)  # fmt: skip
        ep = endpoints[key]
        groups = [c for c in covariate_candidates(data) if data[c].dropna().nunique() <= 8]
        group = _pick(c2, "Group", groups, "kmx_group", labels)
        numeric = _numeric_columns(data, [ep.time, ep.event])
        _default_entry("kmx_start", cohort.entry_column(key), numeric, key)
        start = _pick(c3, "Start (entry) column", numeric, "kmx_start", labels)
        weights = _pick(c4, "Weights column", numeric, "kmx_weights", labels)
        cluster = _pick(c5, "Cluster (patient id)", list(data.columns), "kmx_cluster", labels)
        if start is None and weights is None:
            st.info("Choose a start column or a weights column.")
            return
        with guarded("The delayed-entry / weighted curves"):
            km = _km_counting(data, ep.time, ep.event, group, start, weights, cluster, "log-log")
            test = None
            if group is not None and start is not None and weights is None:
                test = _logrank_counting(data, ep.time, ep.event, group, start)
                st.markdown(
                    esc_md(f"Log-rank with delayed entry: chisq {test.chisq:.3f} on {test.df} "
                           f"df, p {fmt_p(test.p_value)}")
                )  # fmt: skip
            fig = km_figure(km, test=test, risk_rows=("at risk",),
                            title=f"{ep.label}: Kaplan-Meier"
                            + (" with delayed entry" if start else "")
                            + (" (weighted)" if weights else ""))  # fmt: skip
            render_figure(fig, f"km_counting_{key}", "kmx_fig")
            render_table(km.to_frame(), f"km_counting_{key}", "kmx_tab")

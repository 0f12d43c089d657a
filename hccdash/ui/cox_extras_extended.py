"""The "Strata, time-varying, weights" tab of the Cox page's "More models": R coxph with
``+ strata(s)``, (start, stop] rows, case weights, a cluster and robust SE; its cox.zph.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from hccdash.ui.common import esc_md, guarded
from hccdash.ui.cox_extras_common import (
    KEEP,
    _cox_ext,
    _default_entry,
    _numeric_columns,
    _pick,
    _terms_table,
    _zph_ext,
    tests_frame,
)
from hccdash.ui.km_view import render_table


def _extended_model(data, endpoint, covariates, ties, reference, others, labels, figures, tables,
                    entry=None):  # fmt: skip
    st.caption(
        "As R's coxph: `+ strata(s)` gives each level its own baseline hazard; a start column "
        "makes rows (start, stop] intervals (time-varying covariates, delayed entry); weights "
        "are case weights; the robust (sandwich) SE sums each patient's rows with a cluster "
        "column and is on by default with a cluster or non-integer weights, as in R."
    )
    c1, c2, c3, c4 = st.columns(4)
    strata = _pick(c1, "Strata", others, "coxx_strata", labels)
    numeric = _numeric_columns(data, [endpoint.time, endpoint.event, *covariates])
    _default_entry("coxx_start", entry, numeric, endpoint.key)
    start = _pick(c2, "Start (entry) time column", numeric, "coxx_start", labels)
    weights = _pick(c3, "Case weights column", numeric, "coxx_weights", labels)
    cluster = _pick(c4, "Cluster (patient id)", others, "coxx_cluster", labels)
    robust = c4.toggle("Robust SE", value=False, key="coxx_robust", persist_state=KEEP)
    if not covariates or not any((strata, start, weights, cluster, robust)):
        st.info("Choose strata, a start column, weights, a cluster or robust SE to fit.")
        return
    with guarded("The extended Cox model"):
        fit = _cox_ext(data, endpoint.time, endpoint.event, tuple(covariates), ties,
                       reference or None, strata, start, weights, cluster,
                       True if robust else None)  # fmt: skip
        for message in fit.warnings:
            st.warning(esc_md(message), icon=":material/warning:")
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Rows used", fit.n, help=f"{fit.dropped} rows with missing values dropped")
        m2.metric("Events", fit.events)
        m3.metric("Clusters" if fit.n_clusters else "Strata", fit.n_clusters or len(fit.strata))
        m4.metric(
            "Concordance (C)",
            "NA" if not np.isfinite(fit.concordance) else f"{fit.concordance:.3f}",
            help=f"SE {fit.concordance_se:.3f} (R coxph: pairs within strata and risk sets, "
            "weighted, SE summed by cluster)",
        )
        _terms_table(fit, labels, f"{endpoint.label}: extended Cox model",
                     "cox_extended_terms", "coxx_terms", tables)  # fmt: skip
        tests = tests_frame(fit)
        render_table(tests, "cox_extended_tests", "coxx_tests")
        tables["cox_extended_tests"] = tests
        with guarded("The proportional-hazards test"):
            ph = _zph_ext(data, endpoint.time, endpoint.event, tuple(covariates), ties,
                          reference or None, strata, start, weights)  # fmt: skip
            st.markdown("**Proportional hazards (R cox.zph of this model)**")
            render_table(ph.to_frame(), "cox_extended_zph", "coxx_zph")
            tables["cox_extended_zph"] = ph.to_frame()

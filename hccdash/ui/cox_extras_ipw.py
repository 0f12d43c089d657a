"""The "Weighting (IPW)" tab of the Cox page's "More models": propensity weights, the balance
table and plot, weighted Kaplan-Meier and weighted Cox.
"""

from __future__ import annotations

import streamlit as st

from hccdash.cox_figures import balance_figure
from hccdash.figures import km_figure
from hccdash.ui.common import esc_md, guarded
from hccdash.ui.cox_extras_common import KEEP, _ipw, _pick, _terms_table, _two_level
from hccdash.ui.cox_view import covariate_candidates
from hccdash.ui.km_view import render_figure, render_table


def _ipw_tab(data, endpoint, labels, figures, tables):
    st.caption(
        "Inverse-probability weighting: a logistic propensity model of the arm on baseline "
        "covariates; weights make the arms comparable on those covariates (check the balance "
        "table, |SMD| < 0.1); weighted KM with robust CIs and weighted Cox with robust SE."
    )
    arms = _two_level(data, [endpoint.time, endpoint.event])
    c1, c2, c3 = st.columns([1, 2, 1])
    trt = _pick(c1, "Treated vs control (two levels)", arms, "coxx_ipw_trt", labels)
    cands = [c for c in covariate_candidates(data) if c != trt]
    covs = c2.multiselect("Propensity covariates", cands, key="coxx_ipw_covs",
                          format_func=lambda c: labels.get(c, c), persist_state=KEEP)  # fmt: skip
    estimand = c3.radio(
        "Estimand", ["ATE", "ATT"], key="coxx_ipw_est", horizontal=True, persist_state=KEEP
    )
    stab = c3.toggle("Stabilised", value=False, key="coxx_ipw_stab", persist_state=KEEP)
    trim = c3.toggle(
        "Truncate at 1st/99th percentile", value=False, key="coxx_ipw_trim", persist_state=KEEP
    )
    if trt is None or not covs:
        st.info("Choose the treatment and the baseline covariates of the propensity model.")
        return
    with guarded("The weighted analysis"):
        res = _ipw(data, endpoint.time, endpoint.event, trt, tuple(covs), estimand, stab,
                   (0.01, 0.99) if trim else None)  # fmt: skip
        (st.warning if "poor" in res.overlap_note else st.info)(esc_md(res.overlap_note))
        render_table(res.balance, f"ipw_balance_{trt}", "coxx_ipw_bal")
        tables[f"ipw_balance_{trt}"] = res.balance
        fig = balance_figure(res.balance, title="Covariate balance")
        render_figure(fig, f"ipw_balance_{trt}", "coxx_ipw_love")
        figures[f"ipw_balance_{trt}"] = fig
        km = km_figure(res.km, title=f"{endpoint.label}: IPW-weighted Kaplan-Meier ({estimand})",
                       risk_rows=("at risk",))  # fmt: skip
        render_figure(km, f"ipw_km_{trt}", "coxx_ipw_km")
        figures[f"ipw_km_{trt}"] = km
        _terms_table(res.cox, labels, f"{endpoint.label}: IPW-weighted Cox model ({estimand})",
                     f"ipw_cox_{trt}", "coxx_ipw_cox", tables)  # fmt: skip

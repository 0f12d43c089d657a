"""The "Subgroup forest" tab of the Cox page's "More models": the treatment hazard ratio
within each subgroup and the interaction test.
"""

from __future__ import annotations

import streamlit as st

from hccdash.cox_figures import subgroup_forest_figure
from hccdash.report.cox_tables import subgroup_model
from hccdash.ui.common import guarded
from hccdash.ui.cox_extras_common import KEEP, _pick, _slide_figure, _subgroups, _two_level
from hccdash.ui.cox_view import covariate_candidates
from hccdash.ui.table_view import p_style, render_table_model


def _subgroup_tab(data, endpoint, labels, figures, tables):
    st.caption(
        "The treatment hazard ratio within each level of each factor, and the likelihood-ratio "
        "test of treatment × factor interaction: a subgroup differs only if that p is small."
    )
    arms = _two_level(data, [endpoint.time, endpoint.event])
    c1, c2 = st.columns([1, 2])
    trt = _pick(c1, "Treatment (two arms)", arms, "coxx_sub_trt", labels)
    cands = [c for c in covariate_candidates(data) if c != trt and data[c].dropna().nunique() <= 8]
    factors = c2.multiselect(
        "Subgroups", cands, key="coxx_sub_factors", format_func=lambda c: labels.get(c, c),
        persist_state=KEEP,
    )  # fmt: skip
    if trt is None or not factors:
        st.info("Choose the treatment and at least one factor.")
        return
    with guarded("The subgroup forest"):
        res = _subgroups(data, endpoint.time, endpoint.event, trt, tuple(factors), None)
        title = f"{endpoint.label}: {labels.get(trt, trt)} by subgroup"
        _slide_figure(
            lambda style: subgroup_forest_figure(res, labels=labels, title=title, style=style),
            f"subgroups_{trt}", "coxx_sub_fig", figures,
        )  # fmt: skip
        table = subgroup_model(res, labels=labels, p_style=p_style())
        render_table_model(table, "coxx_sub_tab", title=False)
        tables[f"subgroups_{trt}"] = res.to_frame()

"""The "Adjusted curves" tab of the Cox page's "More models": curves predicted for chosen
covariate values (R survfit(coxph, newdata)) and directly adjusted curves per arm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from hccdash.cox_figures import adjusted_curves_figure
from hccdash.coxext import profiles
from hccdash.ui.common import esc_md, guarded
from hccdash.ui.cox_extras_common import (
    _cox_ext,
    _direct,
    _pick,
    _predicted,
    _slide_figure,
    _two_level,
)
from hccdash.ui.cox_view import covariate_candidates
from hccdash.ui.km_view import render_table


def _adjusted_tab(data, endpoint, covariates, ties, reference, labels, figures, tables):
    _predicted_section(data, endpoint, covariates, ties, reference, labels, figures, tables)
    st.markdown("**Direct adjustment (cohort-average curve per arm)**")
    st.caption(
        "Direct adjustment: the Cox model of arm + covariates predicts every patient's curve "
        "with the arm set to each level; the average per arm compares the arms as if the whole "
        "cohort had received each (R: survfit(coxph, newdata) averaged)."
    )
    arms = _two_level(data, [endpoint.time, endpoint.event])
    arms += [c for c in data.columns if 2 < data[c].dropna().nunique() <= 6 and c not in arms]
    arm = _pick(st, "Arm (the comparison)", arms, "coxx_adj_arm", labels)
    adj = [c for c in covariates if c != arm]
    if arm is None or not adj:
        st.info("Choose the arm; the covariates are those of the model above.")
        return
    with guarded("The adjusted curves"):
        res = _direct(data, endpoint.time, endpoint.event, arm, tuple(adj), ties)
        title = (f"{endpoint.label} by {labels.get(arm, arm)}, adjusted for "
                 f"{', '.join(labels.get(c, c) for c in adj)}")  # fmt: skip
        _slide_figure(
            lambda style: adjusted_curves_figure(res, title=title, style=style),
            f"adjusted_{arm}", "coxx_adj_fig", figures,
        )  # fmt: skip
        at = [t for t in (12.0, 24.0, 36.0) if t <= res.time.max()]
        rows = []
        for t in at:
            i = int(np.searchsorted(res.time, t, side="right")) - 1
            rows.append({"time": t, **{lev: float(res.surv[max(i, 0), j]) if i >= 0 else 1.0
                                       for j, lev in enumerate(res.levels)}})  # fmt: skip
        table = pd.DataFrame(rows)
        render_table(table, f"adjusted_{arm}", "coxx_adj_tab")
        tables[f"adjusted_{arm}"] = res.to_frame()


def _predicted_section(data, endpoint, covariates, ties, reference, labels, figures, tables):
    st.markdown("**Curves for chosen covariate values**")
    st.caption(
        "Survival predicted by the Cox model above for each value of one covariate (its "
        "quartiles when continuous), the others held at their median (continuous) or most "
        "common value, with 95% CIs (R: survfit(coxph_fit, newdata)). With strata, each "
        "stratum has its own baseline hazard and its own curves (R: + strata(s))."
    )
    c1, c2 = st.columns(2)
    vary = _pick(c1, "Curves for", list(covariates), "coxx_pred_vary", labels)
    scands = [c for c in covariate_candidates(data)
              if c not in covariates and 2 <= data[c].dropna().nunique() <= 6]  # fmt: skip
    strata = _pick(c2, "Stratify by (one baseline per stratum)", scands, "coxx_pred_strata",
                   labels)  # fmt: skip
    if vary is None:
        st.info("Choose the covariate whose values the curves show.")
        return
    with guarded("The predicted curves"):
        if strata is not None:  # the stratified model's own warnings (the main one's are above)
            sfit = _cox_ext(data, endpoint.time, endpoint.event, tuple(covariates), ties,
                            reference or None, strata, None, None, None, None)  # fmt: skip
            for message in sfit.warnings:
                st.warning(esc_md(message), icon=":material/warning:")
        newdata, names = profiles.covariate_profiles(data, covariates, vary, labels=labels)
        res = _predicted(data, endpoint.time, endpoint.event, tuple(covariates), newdata,
                         names, ties, reference or None, strata)  # fmt: skip
        title = f"{endpoint.label}: predicted by {labels.get(vary, vary)}" + (
            f", stratified by {labels.get(strata, strata)}" if strata else ""
        )
        table = res.to_frame()
        if table["std_err"].isna().any():
            st.warning(
                "Part of the confidence bands cannot be computed: the model's variance is not "
                "positive definite there (too few events for the covariates, or separation; "
                "see the model's warnings). Use fewer covariates.",
                icon=":material/warning:",
            )
        name = f"predicted_{vary}" + (f"_by_{strata}" if strata else "")
        _slide_figure(
            lambda style: adjusted_curves_figure(res, labels=labels, title=title, style=style),
            name, "coxx_pred_fig", figures,
        )  # fmt: skip
        shown = newdata.assign(curve=list(names))
        shown = shown[["curve", *covariates]].rename(columns=labels)
        render_table(shown, f"{name}_profiles", "coxx_pred_prof")
        render_table(table, name, "coxx_pred_tab")
        tables[name] = table

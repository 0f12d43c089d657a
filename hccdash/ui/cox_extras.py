"""Cox and KM page sections for the methods papers need (issue 18): stratified, (start, stop],
weighted and robust Cox models; adjusted curves; subgroup forest; IPW; landmark analysis;
delayed-entry and weighted Kaplan-Meier.

Each section computes only once the user has chosen what it needs (defaults are empty), so
the pages stay as fast as before for those who do not use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from hccdash import cox
from hccdash.cox_figures import adjusted_curves_figure, balance_figure, subgroup_forest_figure
from hccdash.coxext import adjusted, counting, landmark, profiles, subgroup, weighting
from hccdash.export import PresetFigure, modebar_config
from hccdash.figures import km_figure
from hccdash.report.cox_tables import cox_model_table, subgroup_model
from hccdash.ui.cache import CACHE, cohort_cache
from hccdash.ui.common import esc_md, fmt_p, guarded
from hccdash.ui.cox_view import covariate_candidates
from hccdash.ui.downloads import figure_downloads, figure_size
from hccdash.ui.fragments import session_fragment
from hccdash.ui.km_view import render_figure, render_table
from hccdash.ui.table_view import p_style, render_table_model

NONE = "(none)"
# The sections below are built only while their tab (Cox) or expander (KM) is open (issue 20:
# a rerun builds no hidden content); their choices are kept while they are hidden.
KEEP = "page"


# ---- cached computations --------------------------------------------------------------------
@cohort_cache(**CACHE)
def _cox_ext(data, time, event, covariates, ties, reference, strata, start, weights, cluster,
             robust):  # fmt: skip
    return cox.cox_fit(
        data, time, event, list(covariates), ties=ties, reference=dict(reference or {}) or None,
        strata=strata, start=start, weights=weights, cluster=cluster, robust=robust,
    )  # fmt: skip


@cohort_cache(**CACHE)
def _zph_ext(data, time, event, covariates, ties, reference, strata, start, weights):
    return cox.cox_zph(
        data, time, event, list(covariates), ties=ties, reference=dict(reference or {}) or None,
        strata=strata, start=start, weights=weights,
    )  # fmt: skip


@cohort_cache(**CACHE)
def _direct(data, time, event, arm, covariates, ties):
    return adjusted.direct_adjusted(data, time, event, arm, list(covariates), ties=ties)


@cohort_cache(**CACHE)
def _predicted(data, time, event, covariates, newdata, labels, ties, reference, strata):
    kw = {"ties": ties, "reference": dict(reference or {}) or None, "labels": list(labels)}
    if strata is None:
        return adjusted.cox_survfit(data, time, event, list(covariates), newdata, **kw)
    return adjusted.cox_survfit_strata(
        data, time, event, list(covariates), newdata, strata=strata, **kw
    )


@cohort_cache(**CACHE)
def _subgroups(data, time, event, treatment, factors, reference):
    return subgroup.subgroup_hr(data, time, event, treatment, list(factors), reference=reference)


@cohort_cache(**CACHE)
def _ipw(data, time, event, treatment, covariates, estimand, stabilized, trim):
    return weighting.ipw_analysis(
        data, time, event, treatment, list(covariates), estimand=estimand,
        stabilized=stabilized, trim=trim,
    )  # fmt: skip


@cohort_cache(**CACHE)
def _landmark(data, time, event, factor, at):
    return landmark.landmark_analysis(data, time, event, factor, at)


@cohort_cache(**CACHE)
def _km_counting(data, time, event, group, start, weights, cluster, conf_type):
    return counting.km_counting(
        data, time, event, group, start=start, weights=weights, cluster=cluster,
        conf_type=conf_type,
    )  # fmt: skip


@cohort_cache(**CACHE)
def _logrank_counting(data, time, event, group, start):
    return counting.logrank_counting(data, time, event, group, start=start)


# ---- helpers ------------------------------------------------------------------------------
SLIDE_PRESET = "slide-1920"


@session_fragment(slot="key")
def _show_for_slides(screen: go.Figure, slide: go.Figure, name: str, key: str) -> None:
    """The screen figure on the page; its downloads are the same figure drawn in the slide
    style (text and lines sized for 16:9 slides), at the size chosen."""
    w, h, scale = figure_size(key)
    st.plotly_chart(screen, width="stretch", theme=None, key=f"{key}_chart",
                    config=modebar_config(name, w, h, scale))  # fmt: skip
    st.caption("The downloads are drawn in the slide style (larger text and lines).")
    figure_downloads(slide, name, key)


def _slide_figure(build, name: str, key: str, figures: dict) -> None:
    """Draw ``build(style)`` on the page; the exports and the ZIP take the slide style."""
    slide = build("slide")
    _show_for_slides(build("screen"), slide, name, key)
    figures[name] = PresetFigure(slide, SLIDE_PRESET)


def entry_labels(cohort, endpoints: Mapping[str, object]) -> dict[str, str]:
    """Entry column -> "<endpoint label>: entry time" for the codebook's delayed entries."""
    out = {}
    for k, ep in endpoints.items():
        entry = cohort.entry_column(k)
        if entry is not None:
            out[entry] = f"{ep.label}: entry time"
    return out


def _default_entry(key: str, entry: str | None, options: Sequence[str], marker=None) -> None:
    """Preselect the codebook's entry column once per endpoint (the user may change it)."""
    seen = f"{key}_entry_for"
    if st.session_state.get(seen) == (marker, entry):
        return
    st.session_state[seen] = (marker, entry)
    if entry is not None and entry in options:
        st.session_state[key] = entry


def _pick(container, label: str, options: Sequence[str], key: str, labels: Mapping[str, str]):
    value = container.selectbox(
        label, [NONE, *options], key=key, format_func=lambda c: labels.get(c, c),
        persist_state=KEEP,
    )  # fmt: skip
    return None if value == NONE else value


def _numeric_columns(data: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    return [
        c
        for c in data.columns
        if c not in exclude
        and pd.api.types.is_numeric_dtype(data[c])
        and not pd.api.types.is_bool_dtype(data[c])
    ]


def _two_level(data: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    return [c for c in data.columns if c not in exclude and data[c].dropna().nunique() == 2]


def terms_frame(fit: cox.CoxResult) -> pd.DataFrame:
    """The term table with the robust SE column when computed (R's summary layout)."""
    df = fit.to_frame()
    df.insert(
        1,
        "HR (95% CI)",
        [
            "NA" if not np.isfinite(h) else f"{h:.2f} ({lo:.2f}–{up:.2f})"
            for h, lo, up in zip(df.hr, df.lower, df.upper, strict=True)
        ],
    )
    df.insert(2, "p", [fmt_p(v) for v in df.p_value])
    return df


def _terms_table(fit, labels, title: str, name: str, key: str, tables: dict) -> None:
    """One model's journal table (raw numbers in its details and in the ZIP's CSV)."""
    model = cox_model_table(fit, labels=labels, title=title, key=name, p_style=p_style())
    render_table_model(model, key)
    tables[name] = terms_frame(fit)


def tests_frame(fit: cox.CoxResult) -> pd.DataFrame:
    """Global tests; the Wald test is the robust one for a robust fit, as R prints it."""
    rows = [
        ("Likelihood ratio", fit.likelihood_ratio),
        ("Robust Wald" if fit.robust else "Wald", fit.wald),
        ("Score (log-rank)", fit.score),
    ]
    if fit.robust_score is not None:
        rows.append(("Robust score", fit.robust_score))
    return pd.DataFrame(
        [{"test": n, "chisq": t.chisq, "df": t.df, "p": fmt_p(t.p_value)} for n, t in rows]
    )


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


def _landmark_tab(data, endpoint, labels, tables):
    st.info(landmark.LANDMARK_WHY, icon=":material/info:")
    c1, c2 = st.columns(2)
    cands = [c for c in covariate_candidates(data) if data[c].dropna().nunique() <= 8]
    factor = _pick(c1, "Factor known after baseline", cands, "coxx_lm_factor", labels)
    at = c2.number_input(
        "Landmark time (months)", min_value=0.0, value=3.0, key="coxx_lm_at", persist_state=KEEP
    )
    if factor is None:
        st.info("Choose the factor (e.g. response at the landmark).")
        return
    with guarded("The landmark analysis"):
        res = _landmark(data, endpoint.time, endpoint.event, factor, float(at))
        st.markdown(
            esc_md(
                f"{res.n_kept} patients followed beyond {at:g} months are compared from then on; "
                f"{res.events_before} with the event and {res.censored_before} censored before "
                "the landmark are left out."
            )
        )
        for message in res.messages:
            st.warning(esc_md(message), icon=":material/warning:")
        if res.km is not None:
            fig = km_figure(res.km, test=res.logrank, risk_rows=("at risk",),
                            title=f"{endpoint.label} from the {at:g}-month landmark by "
                            f"{labels.get(factor, factor)}")  # fmt: skip
            render_figure(fig, f"landmark_{factor}", "coxx_lm_fig")
        if res.cox is not None:
            _terms_table(res.cox, labels, f"{endpoint.label}: Cox model from the {at:g}-month "
                         "landmark", f"landmark_cox_{factor}", "coxx_lm_cox", tables)  # fmt: skip


# ---- KM page ------------------------------------------------------------------------------
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

"""Cox model page: covariates, reference levels, ties; HRs, forest plot, global tests, PH check."""

import pandas as pd
import streamlit as st

from hccdash.errors import HccdashError
from hccdash.figures import forest_figure, schoenfeld_figure
from hccdash.filters import parse_endpoint
from hccdash.report.labels import label_lookup
from hccdash.report.report import ReportFigure, ReportSection, figure_legend
from hccdash.report.survival_tables import cox_merge_model
from hccdash.ui import cache
from hccdash.ui.common import (
    esc_label,
    esc_md,
    fmt_p,
    guarded,
    reconstruction_notice,
    too_few_patients,
    url_choice,
)
from hccdash.ui.cox_extras import extras_legend, render_cox_extras
from hccdash.ui.cox_view import (
    covariate_candidates,
    grouped_cohort,
    grouping_names,
    model_surv,
    reference_options,
)
from hccdash.ui.figure_fragment import spec_figure
from hccdash.ui.km_view import render_download_all, render_table
from hccdash.ui.report_view import report_box
from hccdash.ui.sidebar import filtered_view
from hccdash.ui.table_view import p_style, render_table_model

view = filtered_view()
cohort, data, full = view.cohort, view.data, view.cohort.data
st.title("Cox proportional hazards model")
reconstruction_notice(cohort)

endpoints = {e.key: e for e in cohort.endpoints()}
if not endpoints:
    st.warning("The cohort has no endpoint (time and event columns). Map them on the data page.")
    st.stop()
url_choice(
    "cox_endpoint",
    parse_endpoint(st.query_params, list(endpoints)),
    list(endpoints),
    next(iter(endpoints)),
)

c1, c2 = st.columns([1, 3])
key = c1.radio(
    "Endpoint", list(endpoints), key="cox_endpoint", format_func=str.upper, horizontal=True
)
st.query_params["endpoint"] = key
endpoint = endpoints[key]
ties = c1.radio("Ties", ["efron", "breslow"], key="cox_ties", horizontal=True)
penalized = c1.toggle("Firth penalised fit", value=False, key="cox_firth")
candidates = covariate_candidates(full, cohort=cohort)
default = [c for c in cohort.default_model() if c in candidates]
covariates = c2.multiselect(
    "Covariates (default: the codebook's model)" if default else "Covariates",
    candidates,
    default=default,
    key="cox_covariates",
    format_func=cohort.label,
)
groupings = grouping_names(cohort, candidates)
use_paper_cuts = bool(groupings) and c2.toggle(
    esc_label(f"Group numeric covariates at the codebook's cut points ({'; '.join(groupings)})"),
    value=True,
    key="cox_paper_cuts",
)
# The codebook's delayed entry of this endpoint: every model below is Surv(entry, time, event).
entry = cohort.entry_column(key)
if entry is not None:
    st.info(
        esc_md(
            f"{endpoint.label} has delayed entry: each patient is at risk only from entry on "
            "(rows (entry, time], R coxph(Surv(entry, time, event) ~ ...)) in every model below."
        ),
        icon=":material/login:",
    )
full_data = grouped_cohort(cohort, covariates, use_paper_cuts)

reference = {}
refs = reference_options(full_data, covariates, cohort)
if refs:
    with st.expander("Reference levels"):
        ref_cols = st.columns(min(4, len(refs)))
        for i, (column, levels) in enumerate(refs.items()):
            reference[column] = ref_cols[i % len(ref_cols)].selectbox(
                esc_label(cohort.label(column)), levels, key=f"cox_ref_{column}"
            )

figures, tables = {}, {}
report_tables = []
model_args = (endpoint, tuple(covariates), ties, reference, penalized, entry)  # figure identity
if not covariates:
    st.info("Choose at least one covariate.")
elif not too_few_patients(view.n, minimum=2, what="a Cox model"):
    model_data = data  # the "More models" tabs' frame (grouped below when it can be built)
    with guarded("The Cox model"):
        # One validated survival object of this view and endpoint (covariates grouped at the
        # codebook's cut points when asked): every model and test below takes it.
        surv = model_surv(cohort, data, endpoint, covariates, use_paper_cuts)
        model_data = surv.frame
        fit = cache.cox_fit(
            surv,
            endpoint.time,
            endpoint.event,
            tuple(covariates),
            ties,
            reference or None,
            None,
            penalized,
            entry,
        )
        # Warnings (few events per variable, separation) come before any number.
        for message in fit.warnings:
            st.warning(esc_md(message), icon=":material/warning:")
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Patients used", fit.n, help=f"{fit.dropped} rows with missing values dropped")
        m2.metric("Events", fit.events)
        m3.metric("Events per variable", f"{fit.events_per_variable:.1f}")
        m4.metric("Concordance (C)", f"{fit.concordance:.3f}", help=f"SE {fit.concordance_se:.3f}")

        st.subheader("Hazard ratios")
        hr = fit.to_frame()
        univariable = {}
        for cov in covariates:  # one model per covariate, same patients' data and options
            ref = {cov: reference[cov]} if cov in reference else None
            try:
                univariable[cov] = cache.cox_fit(
                    surv, endpoint.time, endpoint.event, (cov,), ties, ref, None, penalized, entry
                )
            except HccdashError:
                univariable[cov] = None
        merged = cox_merge_model(
            univariable, fit, label_lookup(cohort), endpoint=endpoint, p_style=p_style(),
            key=f"cox_{key}",
        )  # fmt: skip
        render_table_model(merged, f"cox_{key}_terms", title=False)
        report_tables.append(merged)
        tables[f"cox_{key}"] = hr
        with guarded("The forest plot"):
            labels = {c: cohort.label(c) for c in covariates}
            labels |= {f.column: f.label for f in cohort.factors()}
            forest_title = f"{endpoint.label}: Cox model ({ties} ties)"
            forest_caption = (
                f"Cox proportional hazards model ({ties} ties), n = {fit.n}, {fit.events} "
                f"events; likelihood-ratio test p = {fit.likelihood_ratio.p_value:.3g}."
            )
            # options and figure: one fragment (an option change redraws this figure only)
            spec_figure(
                {"key": "cox_forest", "kind": "forest", "prefix": "forest",
                 "defaults": {"title": forest_title}, "lazy": True},
                lambda s, w: forest_figure(
                    fit, s, labels=labels, caption=forest_caption, default_title=forest_title,
                    width=w,
                ),
                f"forest_{key}",
                f"cox_{key}_forest",
                figures,
                ident=(cache.frame_key(model_data), model_args, labels, forest_caption),
                page="cox",
                what="The forest plot",
            )  # fmt: skip

        st.subheader("Global tests")
        tests = pd.DataFrame(
            [
                {"test": name, "chisq": t.chisq, "df": t.df, "p": fmt_p(t.p_value)}
                for name, t in (
                    ("Likelihood ratio", fit.likelihood_ratio),
                    ("Wald", fit.wald),
                    ("Score (log-rank)", fit.score),
                )
            ]
        )
        render_table(tests, f"cox_{key}_global", f"cox_{key}_global")
        tables[f"cox_{key}_global_tests"] = tests

        st.subheader("Proportional hazards (scaled Schoenfeld residuals)")
        with guarded("The proportional-hazards test"):
            ph = cache.cox_zph(
                surv,
                endpoint.time,
                endpoint.event,
                tuple(covariates),
                ties,
                reference or None,
                entry,
            )
            for message in ph.warnings:
                st.warning(esc_md(message), icon=":material/warning:")
            render_table(ph.to_frame(), f"cox_zph_{key}", f"cox_{key}_zph")
            tables[f"cox_zph_{key}"] = ph.to_frame()
            term = st.selectbox("Residual plot for", list(ph.terms), key=f"cox_zph_term_{key}")

            zph_title = f"Scaled Schoenfeld residuals: {labels.get(term, term)}"
            spec_figure(
                {"key": "cox_zph", "kind": "schoenfeld", "prefix": "zph",
                 "defaults": {"title": zph_title}, "lazy": True},
                lambda s, w: schoenfeld_figure(
                    ph, term, s, cox=fit, default_title=zph_title,
                    term_label=labels.get(term), width=w,
                ),
                f"schoenfeld_{key}_{term}",
                f"cox_{key}_schoenfeld",
                figures,
                ident=(cache.frame_key(model_data), model_args, labels, term),
                page="cox",
                what="The residual plot",
            )  # fmt: skip
            st.caption(
                "A flat smooth means the hazard ratio is constant over time; p < 0.05 in the "
                "table suggests it is not (R cox.zph, KM time transform)."
            )
    render_cox_extras(cohort, model_data, endpoint, covariates, ties, reference, figures, tables)

render_download_all(
    figures,
    tables,
    f"Cox proportional hazards model of {endpoint.label} in {cohort.name}; filters: "
    f"{view.filters_text}; covariates: {', '.join(covariates)}; {ties} ties"
    + ("; Firth penalised likelihood" if penalized else "")
    + "; Wald 95% CIs; proportional hazards by R cox.zph (KM transform).",
    "cox_all",
    f"cox_{key}",
)
report_box(
    ReportSection(
        "cox",
        f"Cox model: {endpoint.label}",
        view.filters_text,
        f"Cox proportional hazards models (R coxph), {ties} ties"
        + (", Firth penalised likelihood" if penalized else "")
        + "; Wald 95% CIs and p values; univariable models one covariate at a time, the "
        "multivariable model with all; proportional hazards by scaled Schoenfeld residuals "
        "(R cox.zph, KM transform).",
        tuple(report_tables),
        tuple(
            ReportFigure(
                n,
                f,
                figure_legend(
                    f,
                    n,
                    extras_legend(n)
                    or (
                        "Hazard ratios with 95% Wald confidence intervals (log scale)."
                        if n.startswith("forest")
                        else "Scaled Schoenfeld residuals against Kaplan-Meier-transformed "
                        "time with a lowess smooth; a flat smooth means a constant hazard ratio."
                    ),
                ),
            )
            for n, f in figures.items()
        ),
    ),
    cohort,
    "cox_report",
)

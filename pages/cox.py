"""Cox model page: covariates, reference levels, ties; HRs, forest plot, global tests, PH check."""

import pandas as pd
import streamlit as st

from hccdash.figures import forest_figure, schoenfeld_figure
from hccdash.filters import describe, parse_endpoint
from hccdash.schema import PAPER_COX_FACTORS
from hccdash.ui import cache
from hccdash.ui.common import (
    esc_md,
    fmt_p,
    guarded,
    reconstruction_notice,
    too_few_patients,
    url_choice,
)
from hccdash.ui.cox_extras import render_cox_extras
from hccdash.ui.cox_view import covariate_candidates, paper_grouped, reference_options
from hccdash.ui.km_view import render_download_all, render_figure, render_table
from hccdash.ui.sidebar import filtered_view

view = filtered_view()
cohort, data, full = view.cohort, view.data, view.cohort.data
st.title("Cox proportional hazards model")
reconstruction_notice(cohort)

endpoints = {e.key: e for e in cohort.endpoints()}
if not endpoints:
    st.warning("The cohort has no endpoint (time and event columns). Map them on the data page.")
    st.stop()
url_choice("cox_endpoint", parse_endpoint(st.query_params), list(endpoints), next(iter(endpoints)))

c1, c2 = st.columns([1, 3])
key = c1.radio(
    "Endpoint", list(endpoints), key="cox_endpoint", format_func=str.upper, horizontal=True
)
st.query_params["endpoint"] = key
endpoint = endpoints[key]
ties = c1.radio("Ties", ["efron", "breslow"], key="cox_ties", horizontal=True)
penalized = c1.toggle("Firth penalised fit", value=False, key="cox_firth")
candidates = covariate_candidates(full)
default = [c for c in PAPER_COX_FACTORS if c in candidates]
covariates = c2.multiselect(
    "Covariates (default: the paper's multivariable model)",
    candidates,
    default=default,
    key="cox_covariates",
)
use_paper_cuts = c2.toggle(
    "Group numeric covariates at the paper's cut points (KPS >70 vs 60–70, dose ≤52 vs >52 Gy)",
    value=True,
    key="cox_paper_cuts",
)
model_data = paper_grouped(data, covariates) if use_paper_cuts else data
full_data = paper_grouped(full, covariates) if use_paper_cuts else full

reference = {}
refs = reference_options(full_data, covariates)
if refs:
    with st.expander("Reference levels"):
        ref_cols = st.columns(min(4, len(refs)))
        for i, (column, levels) in enumerate(refs.items()):
            reference[column] = ref_cols[i % len(ref_cols)].selectbox(
                esc_md(column), levels, key=f"cox_ref_{column}"
            )

figures, tables = {}, {}
if not covariates:
    st.info("Choose at least one covariate.")
elif not too_few_patients(view.n, minimum=2, what="a Cox model"):
    with guarded("The Cox model"):
        fit = cache.cox_fit(
            model_data,
            endpoint.time,
            endpoint.event,
            tuple(covariates),
            ties,
            reference or None,
            None,
            penalized,
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
        hr.insert(
            1,
            "HR (95% CI)",
            [
                f"{h:.2f} ({lo:.2f}–{up:.2f})"
                for h, lo, up in zip(hr.hr, hr.lower, hr.upper, strict=True)
            ],
        )
        hr.insert(2, "p", [fmt_p(v) for v in hr.p_value])
        render_table(hr, f"cox_{key}", f"cox_{key}_terms")
        tables[f"cox_{key}"] = hr
        with guarded("The forest plot"):
            labels = {f.column: f.label for f in cohort.factors()}
            fig = forest_figure(
                fit, labels=labels, title=f"{endpoint.label}: Cox model ({ties} ties)"
            )
            render_figure(fig, f"forest_{key}", f"cox_{key}_forest")
            figures[f"forest_{key}"] = fig

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
                model_data,
                endpoint.time,
                endpoint.event,
                tuple(covariates),
                ties,
                reference or None,
            )
            for message in ph.warnings:
                st.warning(esc_md(message), icon=":material/warning:")
            render_table(ph.to_frame(), f"cox_zph_{key}", f"cox_{key}_zph")
            tables[f"cox_zph_{key}"] = ph.to_frame()
            term = st.selectbox("Residual plot for", list(ph.terms), key=f"cox_zph_term_{key}")

            fig = schoenfeld_figure(ph, term, cox=fit, title=f"Scaled Schoenfeld residuals: {term}")
            render_figure(fig, f"schoenfeld_{key}_{term}", f"cox_{key}_schoenfeld")
            figures[f"schoenfeld_{key}_{term}"] = fig
            st.caption(
                "A flat smooth means the hazard ratio is constant over time; p < 0.05 in the "
                "table suggests it is not (R cox.zph, KM time transform)."
            )
    render_cox_extras(cohort, model_data, endpoint, covariates, ties, reference, figures, tables)

render_download_all(
    figures,
    tables,
    f"Cox proportional hazards model of {endpoint.label} in {cohort.name}; filters: "
    f"{describe(view.spec)}; covariates: {', '.join(covariates)}; {ties} ties"
    + ("; Firth penalised likelihood" if penalized else "")
    + "; Wald 95% CIs; proportional hazards by R cox.zph (KM transform).",
    "cox_all",
    f"cox_{key}",
)

"""Cox model page: covariates, reference levels, ties; HRs, forest plot, global tests, PH check."""

import streamlit as st

from hccdash.errors import HccdashError
from hccdash.figures import schoenfeld_figure
from hccdash.report.report import ReportFigure, ReportSection, figure_legend
from hccdash.ui import cache, served_cox
from hccdash.ui.common import (
    esc_md,
    guarded,
    reconstruction_notice,
    too_few_patients,
)
from hccdash.ui.cox_controls import cox_controls
from hccdash.ui.cox_extras import extras_legend, render_cox_extras
from hccdash.ui.cox_results import FOREST_LEGEND, show_fit
from hccdash.ui.cox_view import model_surv
from hccdash.ui.figure_fragment import spec_figure
from hccdash.ui.km_view import render_download_all, render_table
from hccdash.ui.report_view import report_box
from hccdash.ui.sidebar import filtered_view, sidebar_view

view = sidebar_view()
if served_cox.on_engine(view):  # served in place above the row limit: the fit on the engine
    served_cox.render_page(view)
    st.stop()
view = filtered_view()
cohort, data, full = view.cohort, view.data, view.cohort.data
st.title("Cox proportional hazards model")
reconstruction_notice(cohort)

endpoints = {e.key: e for e in cohort.endpoints()}
if not endpoints:
    st.warning("The cohort has no endpoint (time and event columns). Map them on the data page.")
    st.stop()
controls = cox_controls(cohort, full, endpoints)
key, endpoint, ties, penalized = controls.key, controls.endpoint, controls.ties, controls.penalized
covariates, use_paper_cuts = list(controls.covariates), controls.use_paper_cuts
entry, reference = controls.entry, controls.reference

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

        univariable = {}
        for cov in covariates:  # one model per covariate, same patients' data and options
            ref = {cov: reference[cov]} if cov in reference else None
            try:
                univariable[cov] = cache.cox_fit(
                    surv, endpoint.time, endpoint.event, (cov,), ties, ref, None, penalized, entry
                )
            except HccdashError:
                univariable[cov] = None
        labels = show_fit(
            cohort, endpoint, fit, univariable, ident=(cache.frame_key(model_data), model_args),
            figures=figures, tables=tables, report_tables=report_tables,
        )  # fmt: skip

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
                        FOREST_LEGEND
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

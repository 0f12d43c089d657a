"""The Cox page on a cohort served in place above ``HCCDASH_IN_MEMORY_ROWS``: the model
fitted on the engine (:func:`hccdash.served_cox.fit`), no row of the cohort in memory.

The widgets are the in-memory page's (:func:`hccdash.ui.cox_controls.cox_controls`, read from
the option frame: the same candidates, the codebook's default model, reference levels and
cut points), the results its table, forest plot and global tests
(:func:`hccdash.ui.cox_results.show_fit`). Firth's fit, the proportional-hazards check, the
concordance and the "More models" tabs need every row and are named as not offered.
"""

from __future__ import annotations

import streamlit as st

from hccdash import served_cox as sc
from hccdash import served_pages as sp
from hccdash.engine.cox import NO_CONCORDANCE
from hccdash.errors import HccdashError
from hccdash.report.report import ReportFigure, ReportSection, figure_legend
from hccdash.ui.common import esc_md, guarded, reconstruction_notice, too_few_patients
from hccdash.ui.cox_controls import cox_controls
from hccdash.ui.cox_results import FOREST_LEGEND, show_fit
from hccdash.ui.cox_view import grouped_factors
from hccdash.ui.km_view import render_download_all
from hccdash.ui.report_view import report_box
from hccdash.ui.served_view import is_served

__all__ = ["on_engine", "render_page"]


def on_engine(view) -> bool:
    """Whether the Cox page fits ``view`` on the engine: a served cohort whose filters keep
    more patients than the in-memory limit, with no delayed-entry endpoint (that model needs
    the rows: the page then says so, as every page that needs them)."""
    if not is_served(view.cohort) or view.n <= sp.in_memory_rows():
        return False
    return not any(view.cohort.entry_column(e.key) for e in view.cohort.endpoints())


def render_page(view) -> None:
    """The Cox page of ``view`` (see :func:`on_engine`) from the engine's fit."""
    shell = view.cohort
    st.title("Cox proportional hazards model")
    reconstruction_notice(shell)
    endpoints = {e.key: e for e in shell.endpoints()}
    if not endpoints:
        st.warning("The cohort has no endpoint (time and event columns); its codebook names none.")
        return
    st.caption(esc_md(sc.not_offered(view.n, sp.in_memory_rows())))
    c = cox_controls(shell, shell.data, endpoints, firth=False)
    endpoint, covariates, ties = c.endpoint, list(c.covariates), c.ties
    factors = grouped_factors(shell) if c.use_paper_cuts else {}
    figures, tables, report_tables = {}, {}, []
    if not covariates:
        st.info("Choose at least one covariate.")
    elif not too_few_patients(view.n, minimum=2, what="a Cox model"):
        with guarded("The Cox model"):
            with st.spinner(f"Fitting the Cox model on the engine ({view.n:,} patients) ..."):
                fit = sc.fit(shell, view.spec, endpoint.key, covariates, ties, c.reference,
                             factors)  # fmt: skip
                univariable = {}
                for cov in covariates:  # one model per covariate, same patients and options
                    ref = {cov: c.reference[cov]} if cov in c.reference else None
                    try:
                        univariable[cov] = sc.fit(shell, view.spec, endpoint.key, [cov], ties,
                                                  ref, factors)  # fmt: skip
                    except HccdashError:
                        univariable[cov] = None
            for message in fit.warnings:  # few events per variable, separation, no convergence
                if message != NO_CONCORDANCE:  # said once, in the caption above
                    st.warning(esc_md(message), icon=":material/warning:")
            m1, m2, m3 = st.columns(3)
            m1.metric(
                "Patients used", f"{fit.n:,}",
                help=f"{fit.dropped:,} rows with missing values dropped",
            )  # fmt: skip
            m2.metric("Events", f"{fit.events:,}")
            m3.metric("Events per variable", f"{fit.events_per_variable:.1f}")
            ident = (f"{shell.identity}|filters={view.spec!r}", endpoint.key,
                     tuple(covariates), ties, tuple(sorted(c.reference.items())),
                     tuple(sorted(factors)))  # fmt: skip
            show_fit(
                shell, endpoint, fit, univariable, ident=ident, figures=figures, tables=tables,
                report_tables=report_tables,
            )  # fmt: skip
    render_download_all(
        figures,
        tables,
        f"Cox proportional hazards model of {endpoint.label} in {shell.name}, fitted on the "
        f"engine; filters: {view.filters_text}; covariates: {', '.join(covariates)}; {ties} "
        "ties; Wald 95% CIs.",
        "cox_all",
        f"cox_{endpoint.key}",
    )
    report_box(
        ReportSection(
            "cox",
            f"Cox model: {endpoint.label}",
            view.filters_text,
            f"Cox proportional hazards models (R coxph), {ties} ties, fitted on the engine on "
            "every patient the filters keep; Wald 95% CIs and p values; univariable models one "
            "covariate at a time, the multivariable model with all.",
            tuple(report_tables),
            tuple(
                ReportFigure(n, f, figure_legend(f, n, FOREST_LEGEND)) for n, f in figures.items()
            ),
        ),
        shell,
        "cox_report",
    )

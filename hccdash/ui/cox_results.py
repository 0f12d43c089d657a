"""The Cox page's results of one fit: the journal HR table (univariable and multivariable
side by side), the forest plot and the global tests (one home for the in-memory and the
served page)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import pandas as pd
import streamlit as st

from hccdash import figures as figure_builders  # looked up per call (tests count the builds)
from hccdash.cox import CoxResult
from hccdash.report.labels import label_lookup
from hccdash.report.survival_tables import cox_merge_model
from hccdash.schema import Cohort, Endpoint
from hccdash.ui.common import fmt_p, guarded
from hccdash.ui.figure_fragment import spec_figure
from hccdash.ui.km_view import render_table
from hccdash.ui.table_view import p_style, render_table_model

__all__ = ["FOREST_LEGEND", "global_tests", "show_fit"]

FOREST_LEGEND = "Hazard ratios with 95% Wald confidence intervals (log scale)."


def global_tests(fit: CoxResult) -> pd.DataFrame:
    """The likelihood-ratio, Wald and score tests of ``fit`` as the page's table."""
    return pd.DataFrame(
        [
            {"test": name, "chisq": t.chisq, "df": t.df, "p": fmt_p(t.p_value)}
            for name, t in (
                ("Likelihood ratio", fit.likelihood_ratio),
                ("Wald", fit.wald),
                ("Score (log-rank)", fit.score),
            )
        ]
    )


def show_fit(
    cohort: Cohort,
    endpoint: Endpoint,
    fit: CoxResult,
    univariable: Mapping[str, CoxResult | None],
    *,
    ident: tuple,
    figures: MutableMapping[str, object],
    tables: MutableMapping[str, pd.DataFrame],
    report_tables: list,
) -> dict[str, str]:
    """Draw the HR table, the forest plot and the global tests of ``fit``.

    ``univariable`` holds one single-covariate model per covariate (None where it could not
    be fitted); ``ident`` identifies the fit's data and options, its first item the view's
    identity (the forest figure is built once per ident,
    :func:`hccdash.ui.figure_panel.show_spec_figure`). The tables and figures drawn are
    added to ``tables``, ``figures`` and ``report_tables`` (the page's downloads and
    report). Returns the covariates' labels.
    """
    key, ties = endpoint.key, fit.ties
    covariates = list(univariable)
    st.subheader("Hazard ratios")
    merged = cox_merge_model(
        univariable, fit, label_lookup(cohort), endpoint=endpoint, p_style=p_style(),
        key=f"cox_{key}",
    )  # fmt: skip
    render_table_model(merged, f"cox_{key}_terms", title=False)
    report_tables.append(merged)
    tables[f"cox_{key}"] = fit.to_frame()
    labels = {c: cohort.label(c) for c in covariates}
    labels |= {f.column: f.label for f in cohort.factors()}
    with guarded("The forest plot"):
        forest_title = f"{endpoint.label}: Cox model ({ties} ties)"
        forest_caption = (
            f"Cox proportional hazards model ({ties} ties), n = {fit.n}, {fit.events} "
            f"events; likelihood-ratio test p = {fit.likelihood_ratio.p_value:.3g}."
        )
        # options and figure: one fragment (an option change redraws this figure only)
        spec_figure(
            {"key": "cox_forest", "kind": "forest", "prefix": "forest",
             "defaults": {"title": forest_title}, "lazy": True},
            lambda s, w: figure_builders.forest_figure(
                fit, s, labels=labels, caption=forest_caption, default_title=forest_title,
                width=w,
            ),
            f"forest_{key}",
            f"cox_{key}_forest",
            figures,
            ident=(*ident, labels, forest_caption),
            page="cox",
            what="The forest plot",
        )  # fmt: skip
    st.subheader("Global tests")
    tests = global_tests(fit)
    render_table(tests, f"cox_{key}_global", f"cox_{key}_global")
    tables[f"cox_{key}_global_tests"] = tests
    return labels

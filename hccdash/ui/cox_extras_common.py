"""The shared parts of the "More models" sections (Cox page tabs and the KM page expander):
cached computations, column pickers and the model's term and test tables.

The sections themselves are in ``cox_extras_*.py`` and ``km_extras.py``; the pages import
them from :mod:`hccdash.ui.cox_extras`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from hccdash import cox
from hccdash.coxext import adjusted, counting, landmark, subgroup, weighting
from hccdash.export import PresetFigure, modebar_config
from hccdash.report.cox_tables import cox_model_table
from hccdash.ui.cache import CACHE, cohort_cache
from hccdash.ui.common import fmt_p
from hccdash.ui.downloads import figure_downloads, figure_size
from hccdash.ui.fragments import session_fragment
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

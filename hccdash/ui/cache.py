"""Cached wrappers around hccdash computations (``st.cache_data``).

Keys are the argument values: the (filtered) DataFrame content, the column names and the
options, so a filter or widget change recomputes and going back to a previous view is
instant. The hccdash functions are imported inside each wrapper so a page still loads when one
analysis module is missing from a build (see ``hccdash.ui.common.guarded``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from hccdash.schema import Endpoint, Factor

_TTL = 3600
_MAX = 256


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def kaplan_meier(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str | None = None,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    levels: tuple[str, ...] | None = None,
):
    """Cached ``hccdash.nonparametric.kaplan_meier``."""
    from hccdash.nonparametric import kaplan_meier as km

    return km(data, time, event, group, conf_type=conf_type, conf_level=conf_level, levels=levels)


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def survdiff(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str,
    method: str = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    levels: tuple[str, ...] | None = None,
):
    """Cached ``hccdash.compare.survdiff``."""
    from hccdash.compare import survdiff as sd

    return sd(data, time, event, group, method=method, p=p, q=q, levels=levels)


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def trend_test(
    data: pd.DataFrame, time: str, event: str, group: str, levels: tuple[str, ...] | None = None
):
    """Cached ``hccdash.compare.trend_test``."""
    from hccdash.compare import trend_test as tt

    return tt(data, time, event, group, levels=levels)


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def pairwise_survdiff(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str,
    method: str = "logrank",
    adjust: str = "holm",
    p: float = 0.0,
    q: float = 0.0,
    levels: tuple[str, ...] | None = None,
):
    """Cached ``hccdash.compare.pairwise_survdiff``."""
    from hccdash.compare import pairwise_survdiff as pw

    return pw(data, time, event, group, method=method, adjust=adjust, p=p, q=q, levels=levels)


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def cox_fit(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: tuple[str, ...],
    ties: str = "efron",
    reference: Mapping[str, str] | None = None,
    categorical: tuple[str, ...] | None = None,
    penalized: bool = False,
):
    """Cached ``hccdash.cox.cox_fit``."""
    from hccdash.cox import cox_fit as fit

    return fit(
        data,
        time,
        event,
        list(covariates),
        ties=ties,
        reference=dict(reference) if reference else None,
        categorical=list(categorical) if categorical is not None else None,
        penalized=penalized,
    )


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def cox_zph(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: tuple[str, ...],
    ties: str = "efron",
    reference: Mapping[str, str] | None = None,
):
    """Cached ``hccdash.cox.cox_zph``."""
    from hccdash.cox import cox_zph as zph

    return zph(
        data,
        time,
        event,
        list(covariates),
        ties=ties,
        reference=dict(reference) if reference else None,
    )


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def univariate_table(
    data: pd.DataFrame, factors: tuple[Factor, ...], endpoints: tuple[Endpoint, ...]
):
    """Cached ``hccdash.tables.univariate_table``."""
    from hccdash.tables import univariate_table as ut

    return ut(data, list(factors), list(endpoints))


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def baseline_table(data: pd.DataFrame, by: str | None):
    """Cached ``hccdash.baseline.baseline_table``."""
    from hccdash.baseline import baseline_table as bt

    return bt(data, by=by)


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def response_rates(data: pd.DataFrame, columns: Sequence[str], by: str | None):
    """Cached ``hccdash.response.response_rates``."""
    from hccdash.response import response_rates as rr

    return rr(data, tuple(columns), by=by)

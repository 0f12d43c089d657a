"""Cached wrappers around hccdash computations (``st.cache_data``).

Keys are the argument values: the (filtered) DataFrame content, the column names and the
options, so a filter or widget change recomputes and going back to a previous view is
instant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from hccdash import baseline, compare, cox, nonparametric, response, tables
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
    return nonparametric.kaplan_meier(
        data, time, event, group, conf_type=conf_type, conf_level=conf_level, levels=levels
    )


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
    return compare.survdiff(data, time, event, group, method=method, p=p, q=q, levels=levels)


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def trend_test(
    data: pd.DataFrame, time: str, event: str, group: str, levels: tuple[str, ...] | None = None
):
    """Cached ``hccdash.compare.trend_test``."""
    return compare.trend_test(data, time, event, group, levels=levels)


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
    return compare.pairwise_survdiff(
        data, time, event, group, method=method, adjust=adjust, p=p, q=q, levels=levels
    )


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
    return cox.cox_fit(
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
    return cox.cox_zph(
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
    return tables.univariate_table(data, list(factors), list(endpoints))


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def baseline_table(data: pd.DataFrame, by: str | None):
    """Cached ``hccdash.baseline.baseline_table``."""
    return baseline.baseline_table(data, by=by)


@st.cache_data(show_spinner=False, ttl=_TTL, max_entries=_MAX)
def response_rates(data: pd.DataFrame, columns: Sequence[str], by: str | None):
    """Cached ``hccdash.response.response_rates``."""
    return response.response_rates(data, tuple(columns), by=by)

"""Cached wrappers around hccdash computations (``st.cache_data``).

Keys are the argument values: the (filtered) DataFrame content, the column names and the
options, so a filter or widget change recomputes and going back to a previous view is
instant.

DataFrames are keyed by :func:`frame_fingerprint`, not by Streamlit's default hash: for frames
of 50,000 rows or more Streamlit hashes a 10,000-row sample, so two cohorts differing in a few
rows (a re-mapped event code, one patient's time) could share a cached result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from hccdash import baseline, compare, cox, nonparametric, response, tables
from hccdash.schema import Endpoint, Factor

_TTL = 3600
_MAX = 256
# Below this Streamlit's own DataFrame hash is exact; we hash the whole frame the same way.
_EXACT_ROWS = 50_000
_TEXT_SAMPLE = 10_000


def frame_fingerprint(data: pd.DataFrame) -> str:
    """A cache key for a DataFrame that sees every row of every number.

    Frames under 50,000 rows are hashed whole (``pandas.util.hash_pandas_object``). Larger
    frames hash their shape, column names and dtypes, the whole index (which rows a filter
    kept), the raw bytes of every numeric column (times, events, scores: about 10 ms per
    1e6-row column) and an evenly spaced sample of each text column, whose whole hash would cost
    about 50 ms per 1e6 rows. Text levels that change only outside that sample, with the same
    rows and the same numbers, would still share a key; derived group labels (cut points,
    exclusions) change in every row, so they do not.
    """
    h = hashlib.blake2b(digest_size=20)
    h.update(
        repr((data.shape, [str(c) for c in data.columns], [str(t) for t in data.dtypes])).encode()
    )
    if len(data) < _EXACT_ROWS:
        h.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        return h.hexdigest()
    step = max(1, len(data) // _TEXT_SAMPLE)
    for values in (data.index, *(data[c] for c in data.columns)):
        arr = values.to_numpy() if not isinstance(values.dtype, pd.CategoricalDtype) else None
        if arr is not None and arr.dtype.kind in "biufcmM":
            h.update(np.ascontiguousarray(arr).tobytes())
        else:
            part = values[::step] if isinstance(values, pd.Index) else values.iloc[::step]
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    return h.hexdigest()


# Every cached analysis: keyed by frame_fingerprint for DataFrames.
CACHE = {
    "show_spinner": False,
    "ttl": _TTL,
    "max_entries": _MAX,
    "hash_funcs": {pd.DataFrame: frame_fingerprint},
}


@st.cache_data(**CACHE)
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


@st.cache_data(**CACHE)
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


@st.cache_data(**CACHE)
def trend_test(
    data: pd.DataFrame, time: str, event: str, group: str, levels: tuple[str, ...] | None = None
):
    """Cached ``hccdash.compare.trend_test``."""
    return compare.trend_test(data, time, event, group, levels=levels)


@st.cache_data(**CACHE)
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


@st.cache_data(**CACHE)
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


@st.cache_data(**CACHE)
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


@st.cache_data(**CACHE)
def univariate_table(
    data: pd.DataFrame, factors: tuple[Factor, ...], endpoints: tuple[Endpoint, ...]
):
    """Cached ``hccdash.tables.univariate_table``."""
    return tables.univariate_table(data, list(factors), list(endpoints))


@st.cache_data(**CACHE)
def baseline_table(data: pd.DataFrame, by: str | None):
    """Cached ``hccdash.baseline.baseline_table``."""
    return baseline.baseline_table(data, by=by)


@st.cache_data(**CACHE)
def response_rates(data: pd.DataFrame, columns: Sequence[str], by: str | None):
    """Cached ``hccdash.response.response_rates``."""
    return response.response_rates(data, tuple(columns), by=by)

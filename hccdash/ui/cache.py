"""Cached wrappers around hccdash computations (``st.cache_data``), private per session.

Patient data stay in their session: while this session's active cohort came from the user (an
upload, see :data:`PRIVATE_KEYS`), every cached analysis goes to a **session-scoped** cache
(``st.cache_data(scope="session")``), which Streamlit empties when the session disconnects
and :func:`release_session_caches` empties on demand ("Forget this data"). The bundled and
server-side cohorts use caches shared by every session. :func:`cohort_cache` is the decorator
that makes that choice; every cache of a cohort-derived value in ``hccdash.ui`` uses it.

Keys are the argument values: the (filtered) DataFrame's identity (the cohort's content
digest + codebook and the filter spec, see :mod:`hccdash.identity`; a content hash for a frame
nobody registered), the column names and the options, so a filter or widget change recomputes,
going back to a previous view is instant, and a display-only rerun hashes no frame.

DataFrames are keyed by :func:`frame_fingerprint`, not by Streamlit's default hash: for frames
of 50,000 rows or more Streamlit hashes a 10,000-row sample, so two cohorts differing in a few
rows (a re-mapped event code, one patient's time) could share a cached result.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from hccdash import baseline, compare, cox, nonparametric, response, tables
from hccdash.identity import key_of, register
from hccdash.schema import Endpoint, Factor
from hccdash.survdata import SurvData, survival_data
from hccdash.ui import state
from hccdash.ui.state import UPLOADED_KEY

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

    A frame registered with :func:`hccdash.identity.register` (the sidebar's filtered view:
    cohort identity + filter spec; a grouping derived from it) is not hashed: its key is
    returned as it is. The cohort identity hashes every cell, text included.
    """
    known = key_of(data)
    if known is not None:  # a registered view: its identity, no hashing
        return known
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


def surv_fingerprint(surv: SurvData) -> str:
    """Cache key of validated survival data: its frame's identity and its columns."""
    key = surv.key if surv.key is not None else frame_fingerprint(surv.frame)
    codes = f"|codes={surv.codes!r}" if surv.codes is not None else ""  # competing event types
    return f"{key}|surv={surv.time_col!r},{surv.event_col!r}{codes}"


# Every cached analysis: keyed by frame_fingerprint for DataFrames.
CACHE = {
    "show_spinner": False,
    "ttl": _TTL,
    "max_entries": _MAX,
    "hash_funcs": {pd.DataFrame: frame_fingerprint, SurvData: surv_fingerprint},
}

# Per-cohort scans (sidebar filter candidates, stratification columns): keyed the same way.
SCAN = {"show_spinner": False, "max_entries": 16, "hash_funcs": CACHE["hash_funcs"]}

_MEMO_KEY = "hccdash_view_memo"  # session_state: {name: {key: value}}
_MEMO_MAX = 4


def session_memo(name: str, key: tuple, build: Callable[[], Any], keep: int = _MEMO_MAX) -> Any:
    """``build()`` once per key in this session (the last few keys per ``name``).

    For objects derived from a view that are cheap to keep and dear to rebuild on every rerun
    (validated survival data, a grouping's derived frame): held in this session's state, not
    pickled (st.cache_data copies its values), dropped with the session and by "Forget this
    data". Keys start with the view's identity; entries of another cohort are dropped. ``keep``:
    how many keys of ``name`` are held (the oldest go first).
    """
    memo = st.session_state.get(_MEMO_KEY)
    if not isinstance(memo, dict):
        memo = {}
        st.session_state[_MEMO_KEY] = memo
    held = memo.setdefault(name, {})
    if key in held:
        return held[key]
    value = build()
    cohort = str(key[0]).split("|", 1)[0]
    for old in [k for k in held if str(k[0]).split("|", 1)[0] != cohort]:
        del held[old]  # another cohort's views: not kept alive
    held[key] = value
    while len(held) > keep:
        held.pop(next(iter(held)))
    return value


def frame_key(data: pd.DataFrame) -> str:
    """The frame's registered identity; an unregistered frame is fingerprinted once and
    registered, so later cache lookups of this object in the run do not hash it again."""
    known = key_of(data)
    if known is None:
        known = frame_fingerprint(data)
        register(data, known)
    return known


def surv_data(data: pd.DataFrame, time: str, event: str, endpoint: str | None = None) -> SurvData:
    """The validated survival data of a view and endpoint, built once per session and key.

    Keyed by the frame's identity (:func:`frame_key`) and the columns (:func:`session_memo`),
    so a rerun with the same view (a display-only toggle) validates nothing and factorises no
    group again (``SurvData.group_codes`` memoises).
    """
    key = (frame_key(data), time, event, endpoint)
    return session_memo(
        "surv", key, lambda: survival_data(data, time, event, endpoint=endpoint, key=key[0])
    )


# session_state keys whose presence means this session holds the user's own data: the
# uploaded cohort (hccdash.ui.state) and the upload's raw bytes (hccdash.ui.upload).
PRIVATE_KEYS: tuple[str, ...] = (UPLOADED_KEY, "hccdash_upload_raw")
# Suffix of the session-scoped twin's name (visible in Streamlit's /_stcore/metrics).
SESSION_SUFFIX = "[session]"
_SESSION_CACHES: list[Any] = []


def holds_private_data() -> bool:
    """True while this browser session holds a cohort the user brought (an upload)."""
    return any(st.session_state.get(key) is not None for key in PRIVATE_KEYS)


def cohort_cache(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``st.cache_data(**options)``, session-scoped while the session holds private data.

    The decorated function gets two caches: one shared by all sessions (bundled and
    server-side cohorts) and a session-scoped twin (named ``<function>[session]``) used
    whenever :func:`holds_private_data`. ``.clear()`` empties this session's twin and the
    shared cache.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        shared = st.cache_data(**options)(func)

        @functools.wraps(func)
        def twin(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        twin.__qualname__ = func.__qualname__ + SESSION_SUFFIX
        private = st.cache_data(**options, scope="session")(twin)
        _SESSION_CACHES.append(private)

        @functools.wraps(func)
        def cached(*args: Any, **kwargs: Any) -> Any:
            return (private if holds_private_data() else shared)(*args, **kwargs)

        def clear() -> None:
            private.clear()
            shared.clear()

        cached.clear = clear  # type: ignore[attr-defined]
        return cached

    return decorate


def release_session_caches() -> int:
    """Empty every session-scoped cache of this session; return how many caches were emptied.

    Call it when the user forgets their data ("Forget this data"); Streamlit does the same
    when the session disconnects. Shared caches (bundled cohort) are left as they are.
    """
    for private in _SESSION_CACHES:
        private.clear()
    st.session_state.pop(_MEMO_KEY, None)  # survival data and groupings of this session's views
    return len(_SESSION_CACHES)


@cohort_cache(**CACHE)
def kaplan_meier(
    data: pd.DataFrame | SurvData,
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


@cohort_cache(**CACHE)
def survdiff(
    data: pd.DataFrame | SurvData,
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


@cohort_cache(**CACHE)
def trend_test(
    data: pd.DataFrame | SurvData,
    time: str,
    event: str,
    group: str,
    levels: tuple[str, ...] | None = None,
):
    """Cached ``hccdash.compare.trend_test``."""
    return compare.trend_test(data, time, event, group, levels=levels)


@cohort_cache(**CACHE)
def pairwise_survdiff(
    data: pd.DataFrame | SurvData,
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


@cohort_cache(**CACHE)
def cox_fit(
    data: pd.DataFrame | SurvData,
    time: str,
    event: str,
    covariates: tuple[str, ...],
    ties: str = "efron",
    reference: Mapping[str, str] | None = None,
    categorical: tuple[str, ...] | None = None,
    penalized: bool = False,
    start: str | None = None,
):
    """Cached ``hccdash.cox.cox_fit`` (``start``: delayed entry, ``Surv(start, time, event)``)."""
    return cox.cox_fit(
        data,
        time,
        event,
        list(covariates),
        ties=ties,
        reference=dict(reference) if reference else None,
        categorical=list(categorical) if categorical is not None else None,
        penalized=penalized,
        **({"start": start} if start is not None else {}),
    )


@cohort_cache(**CACHE)
def cox_zph(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: tuple[str, ...],
    ties: str = "efron",
    reference: Mapping[str, str] | None = None,
    start: str | None = None,
):
    """Cached ``hccdash.cox.cox_zph`` (``start``: delayed entry)."""
    return cox.cox_zph(
        data,
        time,
        event,
        list(covariates),
        ties=ties,
        reference=dict(reference) if reference else None,
        **({"start": start} if start is not None else {}),
    )


@cohort_cache(**CACHE)
def univariate_table(
    data: pd.DataFrame,
    factors: tuple[Factor, ...],
    endpoints: tuple[Endpoint, ...],
    surv: tuple[SurvData, ...] | None = None,
    entries: tuple[str | None, ...] | None = None,
):
    """Cached ``hccdash.tables.univariate_table`` (``surv``: the view's validated survival
    data per endpoint, :func:`surv_data`; keyed by their identity, never re-validated;
    ``entries``: each endpoint's delayed-entry column or None)."""
    return tables.univariate_table(data, list(factors), list(endpoints), surv=surv, entries=entries)


@cohort_cache(**CACHE)
def baseline_table(data: pd.DataFrame, by: str | None):
    """Cached ``hccdash.baseline.baseline_table``."""
    return baseline.baseline_table(data, by=by)


@cohort_cache(**CACHE)
def response_rates(data: pd.DataFrame, columns: Sequence[str], by: str | None):
    """Cached ``hccdash.response.response_rates``."""
    return response.response_rates(data, tuple(columns), by=by)


@cohort_cache(**SCAN)
def few_level_columns(data: pd.DataFrame, max_levels: int = 20) -> list[str]:
    """Columns with at most ``max_levels`` distinct values (the cohort page's "Compare groups
    of" choices): scanned once per cohort, not on every rerun."""
    return [c for c in data.columns if data[c].dropna().nunique() <= max_levels]


# "Forget this data" (hccdash.ui.state.forget_upload) also empties this session's caches.
state.register_release_hook(release_session_caches)

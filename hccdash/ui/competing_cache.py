"""The competing-risks page's data and analyses, cached by identity (as the KM page's).

One validated :class:`~hccdash.survdata.SurvData` (with event types) per view, endpoint,
codes and grouping, built once per session (:func:`hccdash.ui.cache.session_memo`, keyed by
the frame's registered identity: no frame is hashed on a rerun); every analysis of the page
takes that object and is cached by it (``st.cache_data`` keyed by
:func:`hccdash.ui.cache.surv_fingerprint`: identity, columns, codes) and its options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from hccdash import competing
from hccdash.competing.counts import cause_counts
from hccdash.competing.data import EventCodes, cause_specific, competing_data
from hccdash.competing.finegray import crr
from hccdash.competing.views import group_columns
from hccdash.identity import register
from hccdash.schema import Factor
from hccdash.survdata import SurvData
from hccdash.ui import cache

__all__ = [
    "cached_counts",
    "cached_crr",
    "cached_cuminc",
    "cached_pairwise_gray",
    "cause_surv",
    "competing_surv",
    "derived_frame",
]


def derived_frame(
    data: pd.DataFrame, name: str, build: Callable[[], pd.DataFrame], *parts: object
) -> pd.DataFrame:
    """``build()`` (a frame derived from ``data`` row for row) once per session and view,
    registered as ``<data's identity>|<name>=<parts>`` so caches key on it without hashing."""
    parent = cache.frame_key(data)
    key = (parent, name, repr(parts))
    return cache.session_memo(
        "cr_frame", key, lambda: register(build(), f"{parent}|{name}={parts!r}")
    )


def grouped(data: pd.DataFrame, factors: Mapping[str, Factor], *columns: str | None):
    """``data`` with each grouping column as a Categorical of its factor's levels
    (:func:`hccdash.competing.views.group_columns`), derived once per view and registered."""
    cols = tuple(c for c in columns if c)
    if not cols:
        return data
    return derived_frame(
        data, "cr_groups", lambda: group_columns(data, factors, *cols),
        *((c, repr(factors[c])) for c in cols),
    )  # fmt: skip


def competing_surv(
    data: pd.DataFrame, time: str, status: str, codes: EventCodes, endpoint: str | None = None
) -> SurvData:
    """The validated endpoint with event types of a view: validated once per session and key."""
    key = (cache.frame_key(data), time, status, repr(codes), endpoint)
    return cache.session_memo(
        "cr_surv",
        key,
        lambda: competing_data(data, time, status, codes, endpoint=endpoint, key=key[0]),
    )


def cause_surv(surv: SurvData, cause: object) -> SurvData:
    """The cause-specific event (competing events censored) of ``surv``, once per key."""
    key = (surv.key, surv.time_col, surv.event_col, repr(surv.codes), repr(cause))
    return cache.session_memo("cr_cause", key, lambda: cause_specific(surv, cause))


@cache.cohort_cache(**cache.CACHE)
def cached_cuminc(
    surv: SurvData, group: str | None, strata: str | None, conf_type: str
) -> competing.CumIncResult:
    """Cached ``hccdash.competing.cuminc`` of the validated data."""
    return competing.cuminc(surv, group=group, strata=strata, conf_type=conf_type)


@cache.cohort_cache(**cache.CACHE)
def cached_pairwise_gray(
    surv: SurvData, group: str, cause: object, strata: str | None, adjust: str
) -> competing.PairwiseGray:
    """Cached ``hccdash.competing.pairwise_gray``."""
    return competing.pairwise_gray(surv, group=group, cause=cause, strata=strata, adjust=adjust)


@cache.cohort_cache(**cache.CACHE)
def cached_crr(
    surv: SurvData, covariates: tuple[str, ...], reference: tuple[tuple[str, str], ...] = ()
):
    """Cached ``hccdash.competing.finegray.crr`` (``reference``: level per covariate)."""
    return crr(surv, covariates=list(covariates), reference=dict(reference) or None)


@cache.cohort_cache(**cache.CACHE)
def cached_counts(
    surv: SurvData,
    group: str | None,
    times: tuple[float, ...],
    causes: tuple[object, ...],
    names: tuple[str, ...],
):
    """Numbers at risk and cumulative events per cause (:func:`cause_counts`) at ``times``."""
    prepared = competing.prepare(surv, group=group, need_cause=False)
    return cause_counts(prepared, times, causes, names)

"""Helpers of the Cox page: which columns can be covariates, reference levels, codebook cuts."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hccdash.identity import key_of, register
from hccdash.schema import PATIENT_ID, Cohort, Endpoint
from hccdash.survdata import SurvData


def covariate_candidates(
    data: pd.DataFrame, max_levels: int = 20, cohort: Cohort | None = None
) -> list[str]:
    """Columns usable as covariates: numbers, or categories with 2..max_levels levels.

    Scanned once per (view, cohort, max_levels) in this session (issue 20: the scan ran on
    every rerun of the Cox and KM pages and in each "More models" tab).
    """
    from hccdash.ui import cache

    key = (cache.frame_key(data), cohort.identity if cohort is not None else None, max_levels)
    found = cache.session_memo(
        "covariate_candidates", key, lambda: _covariate_candidates(data, max_levels, cohort),
        keep=8,
    )  # fmt: skip
    return list(found)


def _covariate_candidates(data: pd.DataFrame, max_levels: int, cohort: Cohort | None) -> list:
    endpoints = cohort.endpoints() if cohort is not None else ()
    skip = {PATIENT_ID} | {c for e in endpoints for c in (e.time, e.event)}
    if cohort is not None and cohort.codebook is not None:  # entry and event-type columns
        skip |= cohort.codebook.endpoint_columns()
    if cohort is None:
        from hccdash.schema import ENDPOINTS

        skip |= {c for e in ENDPOINTS for c in (e.time, e.event)}
    out = []
    for c in data.columns:
        if c in skip:
            continue
        n = data[c].dropna().nunique()
        if n >= 2 and (pd.api.types.is_numeric_dtype(data[c]) or n <= max_levels):
            out.append(c)
    return out


def grouped_factors(cohort: Cohort) -> dict[str, object]:
    """Column -> Factor for the codebook's cut points and excluded levels."""
    return {f.column: f for f in cohort.factors() if f.cut is not None or f.exclude}


def codebook_grouped(cohort: Cohort, data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Replace covariates by the codebook's grouping: its cut points and excluded levels
    (e.g. a failure mode "None" left out of the comparison)."""
    cuts = grouped_factors(cohort)
    changes = {c: cuts[c].values(data) for c in covariates if c in cuts and c in data.columns}
    if not changes:
        return data
    grouped = data.assign(**changes)
    parent = key_of(data)
    if parent is not None:  # a registered view: the grouped frame is identified, not hashed
        register(grouped, f"{parent}|codebook_groups={sorted(changes)!r}")
    return grouped


def grouping_names(cohort: Cohort, covariates: Sequence[str]) -> list[str]:
    """Names of the codebook's groupings among ``covariates`` (for the toggle's label)."""
    return [g.name for c in covariates for g in cohort.groupings(c)[:1]]


def reference_options(
    data: pd.DataFrame, covariates: Sequence[str], cohort: Cohort | None = None
) -> dict[str, list[str]]:
    """Levels per categorical covariate, reference first (the codebook's order when it
    describes the column, else R's: sorted, the first is the reference).

    ``data`` may already hold grouped columns (see :func:`codebook_grouped`).
    """
    known = {f.column: f for f in cohort.factors()} if cohort is not None else {}
    out: dict[str, list[str]] = {}
    for c in covariates:
        if c not in data.columns or pd.api.types.is_numeric_dtype(data[c]):
            continue
        present = {str(v) for v in data[c].dropna().unique()}
        order: tuple[str, ...] = ()
        if c in known:
            f = known[c]
            order = f.levels or f.cut_labels or ()
            if f.reference is not None:
                order = (f.reference, *(v for v in order if v != f.reference))
        levels = [v for v in order if v in present]
        out[c] = levels + sorted(present - set(levels))
    return out


def model_surv(
    cohort: Cohort,
    data: pd.DataFrame,
    endpoint: Endpoint,
    covariates: Sequence[str],
    grouped: bool,
) -> SurvData:
    """The Cox page's survival object: the view's validated survival data of ``endpoint``
    (built once per view, :func:`hccdash.ui.cache.surv_data`), over a frame whose covariates
    carry the codebook's groupings when ``grouped``. The grouped frame is derived once per
    session, view and set of grouped covariates, and identified by them (no frame hashing).
    """
    from hccdash.ui import cache  # late: cache imports streamlit's runtime

    sd = cache.surv_data(data, endpoint.time, endpoint.event, endpoint.key)
    cuts = grouped_factors(cohort)
    changed = tuple(c for c in covariates if grouped and c in cuts and c in data.columns)
    if not changed:
        return sd
    key = f"{cache.frame_key(data)}|cox_grouped={changed!r}"

    def build() -> SurvData:
        frame = register(codebook_grouped(cohort, data, changed), key)
        return sd.with_frame(frame, key=key)

    return cache.session_memo("cox_grouped", (key, endpoint.time, endpoint.event), build)


def grouped_cohort(cohort: Cohort, covariates: Sequence[str], grouped: bool) -> pd.DataFrame:
    """The whole cohort with the codebook's groupings of ``covariates`` (reference levels
    are offered from it), derived once per session, cohort and grouped covariates."""
    from hccdash.ui import cache

    cuts = grouped_factors(cohort)
    changed = tuple(c for c in covariates if grouped and c in cuts and c in cohort.data.columns)
    if not changed:
        return cohort.data
    key = f"{cohort.identity}|cox_grouped={changed!r}"
    return cache.session_memo(
        "cox_grouped_full",
        (key,),
        lambda: register(codebook_grouped(cohort, cohort.data, changed), key),
    )

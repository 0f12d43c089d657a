"""Helpers of the Cox page: which columns can be covariates, reference levels, paper cuts."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hccdash.schema import ENDPOINTS, PAPER_FACTORS, PATIENT_ID


def covariate_candidates(data: pd.DataFrame, max_levels: int = 20) -> list[str]:
    """Columns usable as covariates: numbers, or categories with 2..max_levels levels."""
    skip = {PATIENT_ID} | {c for e in ENDPOINTS for c in (e.time, e.event)}
    out = []
    for c in data.columns:
        if c in skip:
            continue
        n = data[c].dropna().nunique()
        if n >= 2 and (pd.api.types.is_numeric_dtype(data[c]) or n <= max_levels):
            out.append(c)
    return out


def paper_grouped(data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Replace covariates by the paper's grouping: cut points (KPS, dose, age) and excluded
    levels (failure mode "None": the paper's model compares the patients who failed)."""
    cuts = {f.column: f for f in PAPER_FACTORS if f.cut is not None or f.exclude}
    changes = {c: cuts[c].values(data) for c in covariates if c in cuts and c in data.columns}
    return data.assign(**changes) if changes else data


def reference_options(data: pd.DataFrame, covariates: Sequence[str]) -> dict[str, list[str]]:
    """Levels per categorical covariate, reference first (the paper's order when known).

    ``data`` may already hold paper-grouped columns (see :func:`paper_grouped`).
    """
    known = {f.column: f for f in PAPER_FACTORS}
    out: dict[str, list[str]] = {}
    for c in covariates:
        if c not in data.columns or pd.api.types.is_numeric_dtype(data[c]):
            continue
        present = {str(v) for v in data[c].dropna().unique()}
        order: tuple[str, ...] = ()
        if c in known:
            f = known[c]
            order = f.levels or f.cut_labels or ()
        levels = [v for v in order if v in present]
        out[c] = levels + sorted(present - set(levels))
    return out

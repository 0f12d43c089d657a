"""What every published-vs-computed table of :mod:`hccdash.reproduce` shares: the fidelity
thresholds of the reconstruction (issue 4), the paper's factor levels and grouping, the
median and the row of one figure.
"""

from __future__ import annotations

import math

import pandas as pd

from hccdash.nonparametric import kaplan_meier, median_survival
from hccdash.schema import OS, PFS, Endpoint, Factor

# Fidelity thresholds of the reconstruction (issue 4).
SUBGROUP_MEDIAN_TOL = 2.0  # months
OVERALL_MEDIAN_TOL = 0.5  # months
RATE_TOL = 0.03  # absolute survival probability
MEDIANS_REQUIRED = 44  # of the 48 published (non-missing) subgroup medians
LOG10_P_TOL = 0.1  # median |log10 p - log10 p_published| over the 22 tests
ALPHA = 0.05

_ENDPOINT_KEY = {"pfs": PFS, "os": OS}


def factor_levels(factor: Factor) -> tuple[str, ...]:
    """The factor's levels in the paper's (Table 1) order."""
    if factor.levels:
        return factor.levels
    if factor.cut is not None:
        return factor.cut_labels or (f"≤ {factor.cut:g}", f"> {factor.cut:g}")
    return ()


def _grouped(data: pd.DataFrame, factor: Factor) -> pd.DataFrame:
    """Rows with a (non-excluded) level, with the level in column ``_level``."""
    values = factor.values(data)
    keep = values.notna().to_numpy()
    out = data.loc[keep].copy()
    out["_level"] = values[keep].astype(str).to_numpy()
    return out


def _median(data: pd.DataFrame, endpoint: Endpoint) -> float:
    km = kaplan_meier(data, endpoint.time, endpoint.event)
    m = median_survival(km.curves[0]).median
    return math.nan if m is None else float(m)


def _opt(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _row(figure, published, computed, tolerance, note=""):
    delta = computed - published
    return {
        "figure": figure,
        "published": float(published),
        "computed": float(computed),
        "delta": float(delta),
        "tolerance": float(tolerance),
        "within": bool(abs(delta) <= tolerance + 1e-12),
        "note": note,
    }

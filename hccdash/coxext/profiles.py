"""Covariate profiles for predicted Cox curves: one covariate varies, the rest are typical.

The ``newdata`` of R's ``survfit(coxph_fit, newdata)`` as papers draw it: curves for the
levels of one covariate (its quartiles when it is continuous), every other covariate held at
a typical value (the median of a continuous one, the most common value otherwise), so the
curves differ only in the covariate shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hccdash.cox.design import _level_str, _sort_levels
from hccdash.errors import InputError

__all__ = ["CONTINUOUS_MIN_VALUES", "covariate_profiles"]

CONTINUOUS_MIN_VALUES = 7  # a numeric covariate with this many distinct values is continuous


def _continuous(col: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(col)
        and not pd.api.types.is_bool_dtype(col)
        and col.dropna().nunique() >= CONTINUOUS_MIN_VALUES
    )


def _typical(col: pd.Series) -> object:
    if _continuous(col):
        return float(col.median())
    counts = col.dropna().value_counts(sort=False)
    order = _sort_levels(col)  # ties broken in R's level order
    key = {lev: i for i, lev in enumerate(order)}
    best = max(counts.index, key=lambda v: (counts[v], -key[_level_str(v)]))
    return best.item() if isinstance(best, np.generic) else best


def covariate_profiles(
    data: pd.DataFrame,
    covariates: Sequence[str],
    vary: str,
    *,
    labels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``newdata`` rows for curves that differ only in ``vary``, and a label per row.

    Parameters
    ----------
    data : pandas.DataFrame
        The model's rows (complete cases are taken over ``covariates``).
    covariates : sequence of str
        The model's covariates; ``vary`` must be one of them.
    vary : str
        The covariate whose values make the curves: each level (R's level order) or, with
        7 or more distinct numbers, its quartiles.
    labels : mapping, optional
        Display name per column, for the curve labels.

    Returns
    -------
    (pandas.DataFrame, tuple of str)

    Examples
    --------
    >>> d = pd.DataFrame({"arm": list("baabbab"), "age": [50, 60, 70, 80, 55, 65, 75],
    ...                   "pvtt": [0, 1, 1, 1, 0, 1, 0]})
    >>> nd, labs = covariate_profiles(d, ["arm", "age", "pvtt"], "arm")
    >>> nd.to_dict("records")
    [{'arm': 'a', 'age': 65.0, 'pvtt': 1}, {'arm': 'b', 'age': 65.0, 'pvtt': 1}]
    >>> labs
    ('arm = a', 'arm = b')
    """
    covs = list(covariates)
    if vary not in covs:
        raise InputError(f"{vary!r} is not a covariate of the model {covs!r}; choose one of them.")
    frame = data[covs].dropna()
    if len(frame) == 0:
        raise InputError(f"No rows with every covariate of {covs!r} filled in.")
    labels = dict(labels or {})
    col = frame[vary]
    if _continuous(col):
        values = [float(v) for v in np.quantile(col.to_numpy(dtype=float), [0.25, 0.5, 0.75])]
        names = [f"{labels.get(vary, vary)} = {v:g} ({q})" for v, q in zip(
            values, ("25th percentile", "median", "75th percentile"), strict=True)]  # fmt: skip
    else:
        order = _sort_levels(col)
        by_str = {_level_str(v): v for v in col.unique()}
        values = [by_str[lev] for lev in order]
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        names = [f"{labels.get(vary, vary)} = {lev}" for lev in order]
    held = {c: _typical(frame[c]) for c in covs if c != vary}
    rows = [{c: (v if c == vary else held[c]) for c in covs} for v in values]
    return pd.DataFrame(rows, columns=covs), tuple(names)

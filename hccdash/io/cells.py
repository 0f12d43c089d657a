"""Cells of a read table: a function mapped once per distinct value, and formulas defused.

Spreadsheet formulas in user text (CSV/XLSX injection) are shown and exported as text; the rule
is :func:`hccdash.textsafe.defuse_cell`. Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.textsafe import defuse_cell, is_formula


def map_unique(values: pd.Series, fn) -> pd.Series:  # fn: Callable[[object], object]
    """``values.map(fn)`` computed once per distinct value (missing included as ``None``).

    Cohort columns repeat few values (codes, levels, dates), so this is what keeps checking a
    few hundred thousand rows interactive.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        results[i] = fn(u)
    results[-1] = fn(None)
    return pd.Series(results[codes], index=values.index, dtype=object)


def map_levels(values: pd.Series, fn) -> pd.Series:  # fn: Callable[[object], object]
    """:func:`map_unique` that keeps a Categorical categorical.

    ``fn`` is computed once per level (and once for a missing cell, as ``None``); when every
    result is text or missing (``None``/``pd.NA``) the result is a Categorical (missing: NaN,
    levels in R's order, :func:`hccdash.io.distinct.categorical`), so the mapping step keeps
    a text column's one byte per row instead of a pointer. Other inputs and results are
    :func:`map_unique`'s object Series.

    Examples
    --------
    >>> s = pd.Series(pd.Categorical(["yes", "no", None, "yes"]))
    >>> out = map_levels(s, lambda v: None if v is None else v.title())
    >>> list(out.cat.categories), out.isna().tolist()
    (['No', 'Yes'], [False, False, True, False])
    """
    from hccdash.io.distinct import categorical

    if not isinstance(values.dtype, pd.CategoricalDtype):
        return map_unique(values, fn)
    results = [fn(v) for v in values.cat.categories] + [fn(None)]
    if not all(r is None or r is pd.NA or isinstance(r, str) for r in results):
        return map_unique(values, fn)
    text = np.array([None if r is pd.NA else r for r in results], dtype=object)
    codes = values.cat.codes.to_numpy()
    codes = np.where(codes < 0, len(text) - 1, codes)
    return pd.Series(categorical(text, codes), index=values.index)


def neutralise_formulas(data: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells that a spreadsheet would run as formulas start with ``'``.

    Use before showing or exporting user data (CSV/XLSX injection): ``=cmd|' /C calc'!A0``
    becomes ``'=cmd|' /C calc'!A0``, shown and saved as text, never evaluated. The rule is
    :func:`hccdash.textsafe.defuse_cell` (the column names are defused too); a Categorical's
    levels are defused in place.
    """
    out = data.copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = [defuse_cell(v) for v in s.cat.categories]
            unique = len(set(cats)) == len(cats)
            out[c] = s.cat.rename_categories(cats) if unique else map_unique(s, defuse_cell)
        elif s.dtype == object:
            out[c] = map_unique(s, defuse_cell)
    out.columns = [defuse_cell(c) for c in out.columns]
    return out


def formula_cells(data: pd.DataFrame) -> dict[str, list[int]]:
    """Row positions, per column, of text cells that look like spreadsheet formulas (object
    and Categorical columns)."""
    found: dict[str, list[int]] = {}
    for c in data.columns:
        s = data[c]
        if isinstance(s.dtype, pd.CategoricalDtype):  # text read per distinct value
            per_level = np.array([is_formula(v) for v in s.cat.categories] + [False])
            flagged = per_level[s.cat.codes.to_numpy()]  # code -1 (missing): the last
        elif s.dtype == object:
            flagged = map_unique(s, is_formula).to_numpy(dtype=bool)
        else:
            continue
        pos = np.flatnonzero(flagged).tolist()
        if pos:
            found[str(c)] = pos
    return found

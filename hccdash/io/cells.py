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

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
    :func:`hccdash.textsafe.defuse_cell` (the column names are defused too).
    """
    out = data.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = map_unique(out[c], defuse_cell)
    out.columns = [defuse_cell(c) for c in out.columns]
    return out


def formula_cells(data: pd.DataFrame) -> dict[str, list[int]]:
    """Row positions, per column, of text cells that look like spreadsheet formulas."""
    found: dict[str, list[int]] = {}
    for c in data.columns:
        if data[c].dtype != object:
            continue
        flagged = map_unique(data[c], is_formula).to_numpy(dtype=bool)
        pos = np.flatnonzero(flagged).tolist()
        if pos:
            found[str(c)] = pos
    return found

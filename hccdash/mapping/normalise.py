"""Role columns' cells as the canonical cohort holds them (yes/no, class, numbers, months)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hccdash.codebook import DAYS_PER_MONTH
from hccdash.io import map_levels, map_unique
from hccdash.mapping.coding import norm_code
from hccdash.vocab import NO_VALUES, YES_VALUES  # the one yes/no vocabulary


# -- role normalisation -------------------------------------------------------------------
def normalise_yes_no(values: pd.Series) -> pd.Series:
    """ "Yes"/"No" from yes/no, y/n, 1/0, true/false, present/absent, 是/否, 有/无; else NA."""

    def one(v: object) -> object:
        key = norm_code(v)
        if key is None:
            return pd.NA
        if key in YES_VALUES:
            return "Yes"
        if key in NO_VALUES:
            return "No"
        return pd.NA

    return map_levels(values, one)


def normalise_child_pugh(values: pd.Series) -> pd.Series:
    """ "A"/"B"/"C" from class letters ("B", "b", "A5", "class B" with the score's name as a
    prefix) or scores (5-6 A, 7-9 B, 10-15 C); else NA."""

    def one(v: object) -> object:
        key = norm_code(v)
        if key is None:
            return pd.NA
        m = re.fullmatch(r"(?:child[\s\-]*pugh|cp|child)?[\s\-:]*([abc])\s*\d{0,2}(级)?", key)
        if m:
            return m.group(1).upper()
        try:
            score = float(key)
        except ValueError:
            return pd.NA
        if 5 <= score <= 6:
            return "A"
        if 7 <= score <= 9:
            return "B"
        if 10 <= score <= 15:
            return "C"
        return pd.NA

    return map_levels(values, one)


def to_number(values: pd.Series) -> pd.Series:
    """Numbers from numeric cells or text like ``"80"``, ``"80%"``, ``"12,5"``; else NaN."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)

    def one(v: object) -> float:
        if isinstance(v, bool | np.bool_) or norm_code(v) is None:
            return np.nan
        if isinstance(v, int | float | np.integer | np.floating):
            return float(v)
        text = str(v).strip().rstrip("%").strip()
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            text = text.replace(",", ".")
        try:
            return float(text)
        except ValueError:
            return np.nan

    return map_unique(values, one).astype(float)


def to_months(values: pd.Series, unit: str) -> pd.Series:
    """Durations in ``unit`` as months (days / 30.4375, weeks x 7 / 30.4375, years x 12)."""
    if unit == "days":
        return values / DAYS_PER_MONTH
    if unit == "weeks":
        return values * 7 / DAYS_PER_MONTH
    if unit == "years":
        return values * 12.0
    return values * 1.0


def cut_column_name(column: str, cut: float) -> str:
    """Name of the two-level column a cut point adds."""
    return f"{column} ≤{cut:g} / >{cut:g}"

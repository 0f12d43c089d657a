"""Comparing survival curves between groups (R's ``survival::survdiff`` family)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class ChisqTest:
    """A chi-square test: statistic, degrees of freedom and p-value (R's names)."""

    chisq: float
    df: int
    p_value: float

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with columns ``chisq``, ``df``, ``p_value``."""
        return pd.DataFrame([{"chisq": self.chisq, "df": self.df, "p_value": self.p_value}])

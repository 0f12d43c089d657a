"""The results of the curve comparisons (frozen, R's names) and the one test-name registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# The one registry of the tests: key -> display name (pages, tables, figures and the CLI all
# read it; ``SurvdiffResult.label`` adds Fleming-Harrington's exponents).
METHOD_NAMES: dict[str, str] = {
    "logrank": "Log-rank",
    "wilcoxon": "Gehan-Breslow (generalized Wilcoxon)",
    "tarone-ware": "Tarone-Ware",
    "peto": "Peto-Peto",
    "fleming-harrington": "Fleming-Harrington",
}
METHODS = tuple(METHOD_NAMES)
ADJUST = ("holm", "BH", "none")


@dataclass(frozen=True)
class ChisqTest:
    """A chi-square test: statistic, degrees of freedom and p-value (R's names)."""

    chisq: float
    df: int
    p_value: float

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with columns ``chisq``, ``df``, ``p_value``."""
        import pandas as pd

        return pd.DataFrame([{"chisq": self.chisq, "df": self.df, "p_value": self.p_value}])


@dataclass(frozen=True)
class SurvdiffResult:
    """A (weighted) log-rank test across groups, as R ``survdiff``.

    ``n``, ``events``, ``observed`` and ``expected`` are per group (in ``groups`` order);
    ``observed``/``expected`` are weighted for weighted methods, as R reports them; ``var``
    is the variance matrix of observed - expected.
    """

    method: str
    groups: tuple[str, ...]
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    chisq: float
    df: int
    p_value: float
    events: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    var: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    p: float = 0.0
    q: float = 0.0
    strata: str | None = None

    @property
    def test(self) -> ChisqTest:
        """The chi-square test alone."""
        return ChisqTest(self.chisq, self.df, self.p_value)

    @property
    def label(self) -> str:
        """Readable name, e.g. ``"Log-rank"``, ``"Fleming-Harrington(1, 0)"`` or
        ``"Log-rank, stratified by site"``."""
        name = METHOD_NAMES[self.method]
        if self.method == "fleming-harrington":
            name = f"{name}({self.p:g}, {self.q:g})"
        return f"{name}, stratified by {self.strata}" if self.strata else name

    def to_frame(self) -> pd.DataFrame:
        """One row per group: group, n, events, observed, expected, (O-E)^2/E, (O-E)^2/V."""
        import pandas as pd

        oe = self.observed - self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame(
                {
                    "group": list(self.groups),
                    "n": self.n,
                    "events": self.events,
                    "observed": self.observed,
                    "expected": self.expected,
                    "(O-E)^2/E": oe**2 / self.expected,
                    "(O-E)^2/V": oe**2 / np.diag(self.var),
                }
            )


@dataclass(frozen=True)
class TrendResult:
    """Log-rank test for trend across ordered levels: (s'(O-E))^2 / (s' V s), 1 df."""

    chisq: float
    df: int
    p_value: float
    scores: tuple[float, ...]
    groups: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame: chisq, df, p_value, scores."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "chisq": self.chisq,
                    "df": self.df,
                    "p_value": self.p_value,
                    "scores": ", ".join(f"{s:g}" for s in self.scores),
                }
            ]
        )


@dataclass(frozen=True)
class PairwiseRow:
    """One pairwise comparison."""

    group_a: str
    group_b: str
    chisq: float
    p_value: float
    p_adjusted: float


@dataclass(frozen=True)
class PairwiseResult:
    """Pairwise tests between all pairs of levels, p-values adjusted (survminer style)."""

    rows: tuple[PairwiseRow, ...]
    adjust: str
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per pair: group_a, group_b, chisq, p_value, p_adjusted, adjust, method."""
        import pandas as pd

        return pd.DataFrame(
            [{**r.__dict__, "adjust": self.adjust, "method": self.method} for r in self.rows],
            columns=["group_a", "group_b", "chisq", "p_value", "p_adjusted", "adjust", "method"],
        )

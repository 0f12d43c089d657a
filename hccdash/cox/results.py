"""Result types of the Cox engine: :class:`CoxTerm`, :class:`CoxResult` (R's
``summary(coxph)``), :class:`PHRow` and :class:`PHTest` (R's ``cox.zph``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.compare import ChisqTest

__all__ = ["ChisqTest", "CoxResult", "CoxTerm", "PHRow", "PHTest"]


@dataclass(frozen=True)
class CoxTerm:
    """One model coefficient.

    Attributes
    ----------
    term : str
        Readable name: the column name for numeric covariates, ``"child_pugh: B vs A"`` for a
        level of a categorical covariate.
    covariate : str
        The data column.
    level, reference : str or None
        The level compared and the reference level (None for numeric covariates).
    coef, se, hr, lower, upper, z, p_value : float
        Log hazard ratio, its standard error, hazard ratio ``exp(coef)`` with its Wald
        confidence interval, Wald z and two-sided p (R's ``summary(coxph)`` columns). With a
        robust variance, z, p and the interval use ``robust_se`` as R's summary does.
    robust_se : float or None
        Sandwich (robust) standard error, R's ``robust se`` column; None when not computed.
    """

    term: str
    covariate: str
    level: str | None
    reference: str | None
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    z: float
    p_value: float
    robust_se: float | None = None


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model (R's ``summary(coxph(...))`` in one object).

    Attributes
    ----------
    ties : str
        ``"efron"`` or ``"breslow"``.
    n, events, dropped : int
        Rows used, events among them, rows dropped as incomplete.
    terms : tuple of CoxTerm
        One per coefficient, in model order.
    loglik_null, loglik : float
        Partial log-likelihood at beta = 0 and at the estimate (penalised fits: the penalised
        log-likelihood).
    likelihood_ratio, wald, score : ChisqTest
        The three global tests R prints (score test at beta = 0, "logrank").
    concordance, concordance_se : float
        Harrell's C and its standard error as R's ``summary(coxph)`` prints them.
    converged : bool
        Whether Newton-Raphson met R's criterion ``|1 - loglik_old / loglik| <= 1e-12``.
    iterations : int
        Newton-Raphson iterations used.
    separation : bool
        Monotone likelihood: at least one coefficient diverges (estimate not finite in truth).
    separated_terms : tuple of str
        Terms affected by separation.
    penalized : bool
        True for Firth's penalised-likelihood refit (estimates shrunk towards 0).
    events_per_variable : float
        Events divided by the number of coefficients.
    warnings : tuple of str
        Plain-language messages to show above the results.
    conf_level : float
        Level of the hazard-ratio intervals.
    robust : bool
        Whether a sandwich variance was computed (then ``wald`` is the robust Wald test).
    robust_score : ChisqTest or None
        R's robust score test (``fit$rscore``) when robust.
    n_clusters : int or None
        Clusters in the robust variance (rows when no cluster column).
    strata : tuple of str
        Stratum labels of ``+ strata(...)`` (empty when unstratified).
    weighted : bool
        Fitted with case weights.
    start : str or None
        The entry-time column of (start, stop] data.
    """

    ties: str
    n: int
    events: int
    dropped: int
    terms: tuple[CoxTerm, ...]
    loglik_null: float
    loglik: float
    likelihood_ratio: ChisqTest
    wald: ChisqTest
    score: ChisqTest
    concordance: float
    concordance_se: float
    converged: bool
    iterations: int
    separation: bool
    separated_terms: tuple[str, ...]
    penalized: bool
    events_per_variable: float
    warnings: tuple[str, ...]
    conf_level: float = 0.95
    robust: bool = False
    robust_score: ChisqTest | None = None
    n_clusters: int | None = None
    strata: tuple[str, ...] = ()
    weighted: bool = False
    start: str | None = None

    def term(self, name: str) -> CoxTerm:
        """The term called ``name``."""
        for t in self.terms:
            if t.term == name:
                return t
        raise KeyError(f"No term {name!r}; terms are {[t.term for t in self.terms]}.")

    def to_frame(self) -> pd.DataFrame:
        """One row per term: term, covariate, level, reference, coef, se, hr, lower, upper, z,
        p_value (plus ``robust_se`` when computed, and ``separated``)."""
        rows = [
            {
                "term": t.term,
                "covariate": t.covariate,
                "level": t.level,
                "reference": t.reference,
                "coef": t.coef,
                "se": t.se,
                "hr": t.hr,
                "lower": t.lower,
                "upper": t.upper,
                "z": t.z,
                "p_value": t.p_value,
                "robust_se": t.robust_se,
                "separated": t.term in self.separated_terms,
            }
            for t in self.terms
        ]
        frame = pd.DataFrame(rows)
        if all(t.robust_se is None for t in self.terms):
            frame = frame.drop(columns=["robust_se"])
        return frame


@dataclass(frozen=True)
class PHRow:
    """One line of the proportional-hazards test table (a covariate or ``"GLOBAL"``)."""

    term: str
    chisq: float
    df: int
    p_value: float


@dataclass(frozen=True)
class PHTest:
    """R >= 3.0 ``cox.zph``: score tests of proportional hazards and scaled Schoenfeld residuals.

    Attributes
    ----------
    rows : tuple of PHRow
        One per covariate (a categorical covariate is one multi-df row, as R's default
        ``terms = TRUE``), then ``"GLOBAL"``.
    time : numpy.ndarray
        Transformed event times (``transform``), one per event, ascending.
    event_time : numpy.ndarray
        The untransformed event times.
    residuals : numpy.ndarray
        Scaled Schoenfeld residuals plus the coefficient (R's ``zph$y``), n_events x n_terms.
    terms : tuple of str
        Column names of ``residuals`` (covariate names).
    transform : str
        The time transform (``"km"``).
    warnings : tuple of str
        Plain-language caveats (a separated or non-converged model makes the test
        meaningless).
    """

    rows: tuple[PHRow, ...]
    time: np.ndarray
    event_time: np.ndarray
    residuals: np.ndarray
    terms: tuple[str, ...]
    transform: str = "km"
    warnings: tuple[str, ...] = ()

    def row(self, term: str) -> PHRow:
        """The row for ``term`` (a covariate or ``"GLOBAL"``)."""
        for r in self.rows:
            if r.term == term:
                return r
        raise KeyError(f"No row {term!r}; rows are {[r.term for r in self.rows]}.")

    def to_frame(self) -> pd.DataFrame:
        """The test table: term, chisq, df, p_value."""
        return pd.DataFrame(
            [
                {"term": r.term, "chisq": r.chisq, "df": r.df, "p_value": r.p_value}
                for r in self.rows
            ]
        )


def _global_tests(loglik0: float, loglik: float, wald: float, score: float, p: int) -> dict:
    """The :class:`CoxResult` fields of R's three global tests on ``p`` df (likelihood ratio
    ``2 (loglik - loglik0)``, Wald, score) with the two log-likelihoods."""

    def test(stat: float) -> ChisqTest:
        return ChisqTest(float(stat), p, float(stats.chi2.sf(stat, p)))

    return {
        "loglik_null": float(loglik0),
        "loglik": float(loglik),
        "likelihood_ratio": test(2 * (loglik - loglik0)),
        "wald": test(wald),
        "score": test(score),
    }

"""Comparing survival curves between groups (R's ``survival::survdiff`` family).

Weighted log-rank tests share one statistic: at each distinct event time t (pooled over
groups, within strata) with n at risk and d events, U_k = sum_t w(t) (d_k - d n_k / n) and
V_kj = sum_t w(t)^2 d (n - d) / (n - 1) (n_k / n) (delta_kj - n_j / n); the chi-square is
U' V^- U on the groups with expected > 0, df = groups - 1 (R ``survdiff``). The weights:

============================  =====================  =========================================
``method``                    w(t)                   R / SPSS name
============================  =====================  =========================================
``"logrank"``                 1                      survdiff(rho=0); SPSS "Log Rank (Mantel-Cox)"
``"wilcoxon"``                n(t)                   Gehan-Breslow; SPSS "Breslow (Generalized
                                                     Wilcoxon)"
``"tarone-ware"``             sqrt(n(t))             SPSS "Tarone-Ware"
``"peto"``                    S(t-)                  survdiff(rho=1), Peto-Peto / Harrington-
                                                     Fleming (pooled KM just before t)
``"fleming-harrington"``      S(t-)^p (1-S(t-))^q    Fleming-Harrington(p, q); p=rho, q=0 is
                                                     survdiff(rho=p)
============================  =====================  =========================================

As in R, ``observed`` and ``expected`` are weighted sums for the weighted tests (for the
log-rank test they are event counts); ``events`` holds the unweighted event counts.
One job per module: :mod:`~hccdash.compare.results` (the frozen results and the one registry
of test names, ``METHOD_NAMES``), :mod:`~hccdash.compare.kernel` (the one counting kernel
``_counts_at_event_times``, the weights and the chi-square), :mod:`~hccdash.compare.logrank`
(``survdiff``, stratified, ``trend_test``) and :mod:`~hccdash.compare.pairwise`
(``pairwise_survdiff``, ``p_adjust``). Import the public names from here.
"""

from __future__ import annotations

# The kernel's private names stay importable from here (tests and the README cite them).
from hccdash.compare.kernel import (  # noqa: F401
    _chisq,
    _counts_at_event_times,
    _event_table,
    _stat,
    _weights,
    weighted_stat,
)
from hccdash.compare.logrank import survdiff, trend_test
from hccdash.compare.pairwise import p_adjust, pairwise_survdiff
from hccdash.compare.results import (
    ADJUST,
    METHOD_NAMES,
    METHODS,
    ChisqTest,
    PairwiseResult,
    PairwiseRow,
    SurvdiffResult,
    TrendResult,
)

__all__ = [
    "ADJUST",
    "METHODS",
    "METHOD_NAMES",
    "ChisqTest",
    "PairwiseResult",
    "PairwiseRow",
    "SurvdiffResult",
    "TrendResult",
    "p_adjust",
    "pairwise_survdiff",
    "survdiff",
    "trend_test",
    "weighted_stat",
]

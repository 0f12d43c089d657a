"""R's near-tie rule ``aeqSurv`` (``timefix = TRUE`` in ``survfit``, ``survdiff`` and
``coxph``): the one home of the rule for every estimator of the package."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["TOL", "aeq_times", "near_tie_merge"]

TOL = math.sqrt(np.finfo(float).eps)  # R's all.equal tolerance: aeqSurv and survmean


def near_tie_merge(unique_sorted: np.ndarray) -> np.ndarray | None:
    """R's ``aeqSurv`` (survfit/survdiff ``timefix=TRUE``) on sorted distinct times.

    Distinct times closer than sqrt(machine eps), absolutely or relative to the mean distinct
    time, are one time (the first of each chain), so floating-point noise such as
    ``1.1 + 2.2`` vs ``3.3`` does not split a tie. Returns a boolean mask, True where a
    distinct time merges into the one before it, or None when nothing merges.

    Examples
    --------
    >>> near_tie_merge(np.array([1.0, 1.0 + 1e-12, 2.0])).tolist()
    [False, True, False]
    >>> near_tie_merge(np.array([1.0, 2.0])) is None
    True

    References
    ----------
    R: ``survival:::aeqSurv(Surv(c(1, 1 + 1e-12, 2), c(1, 1, 1)))`` gives times 1, 1, 2.
    """
    y = unique_sorted
    if y.size < 2:
        return None
    dy = np.diff(y)
    mean = float(np.mean(y))  # times are >= 0, so this is R's mean(abs(y))
    # screen with one comparison, then apply R's exact test to the few candidates
    cand = np.flatnonzero(dy <= TOL * max(1.0, mean) * (1 + 1e-9))
    if cand.size == 0:
        return None
    d = dy[cand]
    cand = cand[(d <= TOL) | (d / mean <= TOL)]
    if cand.size == 0:
        return None
    merged = np.zeros(y.size, dtype=bool)
    merged[cand + 1] = True
    return merged


def aeq_times(time: np.ndarray) -> np.ndarray:
    """R's ``aeqSurv`` on an array of times: near-tied times (:func:`near_tie_merge`) are
    replaced by the first time of their chain; exact otherwise (a copy only when needed).

    Examples
    --------
    >>> aeq_times(np.array([1.1 + 2.2, 3.3, 5.0])).tolist()
    [3.3, 3.3, 5.0]

    References
    ----------
    R: ``survival:::aeqSurv(Surv(c(1.1 + 2.2, 3.3, 5), c(1, 1, 1)))[, 1] == 3.3`` is
    ``TRUE TRUE FALSE``.
    """
    y, inv = np.unique(time, return_inverse=True)
    merged = near_tie_merge(y)
    if merged is None:
        return time
    first = ~merged
    return y[first][np.cumsum(first)[inv.ravel()] - 1]

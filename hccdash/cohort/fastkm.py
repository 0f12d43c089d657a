"""Fast, exact Kaplan-Meier medians, landmark survival and log-rank tests for small cohorts.

The generator's inner loop evaluates ~70 statistics per candidate cohort hundreds of thousands
of times, so it cannot afford building DataFrames. Times are integers (tenths of a month), so
ties are exact; every factor level is a 0/1 indicator column and all levels of all factors are
processed by one matrix product per endpoint. Results equal R's ``survfit`` median rule and
``survdiff`` log-rank statistic (checked against lifelines and hccdash.compare in the tests).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erfc

# R's survival:::minmin tolerance for "the curve is exactly 0.5".
_TOL = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class Layout:
    """Which indicator columns form which factor.

    Attributes
    ----------
    binary : numpy.ndarray
        (n_binary, 2) column indices of the two-level factors.
    multi : tuple of numpy.ndarray
        Column indices of each factor with more than two levels.
    """

    binary: np.ndarray
    multi: tuple[np.ndarray, ...]


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of the chi-square distribution, closed forms for df 1 and even df."""
    if x <= 0:
        return 1.0
    if df == 1:
        return math.erfc(math.sqrt(x / 2.0))
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= x / (2.0 * k)
            total += term
        return math.exp(-x / 2.0) * total
    from scipy.stats import chi2  # odd df > 1: rare here, exact via scipy

    return float(chi2.sf(x, df))


def risk_tables(time: np.ndarray, event: np.ndarray, ind: np.ndarray):
    """At-risk and event counts per distinct event time and indicator column.

    Parameters
    ----------
    time : numpy.ndarray of int
        Observed times (integer units, so ties are exact).
    event : numpy.ndarray of bool
        True for an event.
    ind : numpy.ndarray of float
        (n, K) 0/1 membership of each patient in each column (group).

    Returns
    -------
    u, at_risk, events : numpy.ndarray
        Distinct event times (m,), at-risk counts (m, K) and event counts (m, K).
    """
    u = np.unique(time[event])
    at = (time[None, :] >= u[:, None]).astype(float)
    ev = ((time[None, :] == u[:, None]) & event[None, :]).astype(float)
    return u, at @ ind, ev @ ind


def km_surv(at_risk: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Kaplan-Meier survival just after each distinct event time, per column."""
    frac = np.divide(events, at_risk, out=np.zeros_like(events), where=at_risk > 0)
    return np.cumprod(1.0 - frac, axis=0)


def km_medians(u: np.ndarray, surv: np.ndarray) -> np.ndarray:
    """Median per column by R's rule (``survival:::minmin``); NaN when not reached.

    The median is the first time the curve is <= 0.5; when the curve sits exactly at 0.5,
    it is the midpoint between that time and the next time the curve drops.
    """
    m, k = surv.shape
    out = np.full(k, np.nan)
    if m == 0:
        return out
    keep = surv < 0.5 + _TOL
    has = keep.any(axis=0)
    first = np.argmax(keep, axis=0)
    cols = np.arange(k)
    y1 = surv[first, cols]
    out[has] = u[first[has]]
    exact = has & (np.abs(y1 - 0.5) < _TOL)
    if exact.any():
        # Curves are non-increasing, so the first row below y1 is the next drop.
        lower = surv < y1[None, :]
        nxt = np.argmax(lower, axis=0)
        mid = exact & lower.any(axis=0)
        out[mid] = (u[first[mid]] + u[nxt[mid]]) / 2.0
    return out


def surv_at(u: np.ndarray, surv_col: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Survival at each requested time (right-continuous step function)."""
    idx = np.searchsorted(u, times, side="right") - 1
    return np.where(idx >= 0, surv_col[np.maximum(idx, 0)], 1.0)


def logrank(at_risk: np.ndarray, events: np.ndarray, layout: Layout) -> tuple[np.ndarray, ...]:
    """Log-rank chi-square and p per factor: binary factors first, then the multi-level ones.

    Identical to R's ``survdiff(rho = 0)`` when every level has patients at risk: the
    hypergeometric variance, chi-square on the first k-1 levels, df = k - 1.
    """
    a = layout.binary[:, 0]
    b = layout.binary[:, 1]
    na, nb = at_risk[:, a], at_risk[:, b]
    n = na + nb
    d = events[:, a] + events[:, b]
    safe_n = np.where(n > 0, n, 1.0)
    e_a = d * na / safe_n
    w = np.where(n > 1, d * (n - d) / (safe_n * safe_n * np.where(n > 1, n - 1, 1.0)), 0.0)
    var = (w * na * nb).sum(axis=0)
    oe = events[:, a].sum(axis=0) - e_a.sum(axis=0)
    chisq_bin = np.divide(oe * oe, var, out=np.zeros_like(var), where=var > 0)
    p_bin = erfc(np.sqrt(chisq_bin / 2.0))  # chi-square upper tail, 1 df
    chis, ps = [], []
    for cols in layout.multi:
        nk = at_risk[:, cols]
        dk = events[:, cols]
        n = nk.sum(axis=1)
        d = dk.sum(axis=1)
        safe_n = np.where(n > 0, n, 1.0)
        e = (d / safe_n)[:, None] * nk
        oe = dk.sum(axis=0) - e.sum(axis=0)
        w = np.where(n > 1, d * (n - d) / (safe_n * safe_n * np.where(n > 1, n - 1, 1.0)), 0.0)
        # V_gh = sum_t w_t (n_t n_g delta_gh - n_g n_h)
        v = np.diag((w * n) @ nk) - (nk * w[:, None]).T @ nk
        # As R: levels with no expected events leave the test, then the first level is
        # dropped (the statistic does not depend on which one).
        has_e = e.sum(axis=0) > 0
        k = int(has_e.sum()) - 1
        if k < 1:
            chis.append(0.0)
            ps.append(1.0)
            continue
        if k == len(cols) - 1:
            x = float(oe[1:] @ np.linalg.solve(v[1:, 1:], oe[1:]))
        else:
            sub = np.flatnonzero(has_e)[1:]
            x = float(oe[sub] @ np.linalg.solve(v[np.ix_(sub, sub)], oe[sub]))
        chis.append(x)
        ps.append(chi2_sf(x, k))
    return (
        np.concatenate([chisq_bin, np.array(chis)]),
        np.concatenate([p_bin, np.array(ps)]),
    )

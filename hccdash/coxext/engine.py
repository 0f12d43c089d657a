"""Counting-process risk sets with strata and case weights (R's ``agreg.fit`` / ``agfit4``).

One sorted pass serves every risk-set sum. Each row is an interval ``(start, stop]`` in a
stratum; times are replaced by dense integer ranks of all start and stop times, offset by
stratum, so "row i is at risk at event time t of stratum s" is ``kstart_i < K <= kstop_i``
for the integer key ``K`` of (s, t): a sum over a risk set is a difference of two cumulative
sums read at binary-searched positions, over all strata at once. Right-censored data are the
case ``start = -inf``.

With ties, Efron's approximation follows R's C code ``agfit4`` exactly: a tied set of ``nd``
events contributes ``nd`` terms with fractions ``k / nd`` of the deaths' risk removed, each
weighted by the mean case weight of the deaths (``meanwt``); Breslow is fraction 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["AgRiskSets"]


class AgRiskSets:
    """Risk sets of (start, stop] data with strata and case weights.

    Parameters
    ----------
    start, stop : numpy.ndarray
        Interval ends (``start`` may be ``-inf`` for right-censored data); already merged by
        R's timefix.
    event : numpy.ndarray
        1 = event at ``stop``.
    x : numpy.ndarray
        n x p covariates (centred here, as R does; results do not depend on it).
    weight : numpy.ndarray
        Case weights (> 0).
    strata : numpy.ndarray
        Integer stratum codes 0..S-1.
    ties : {"efron", "breslow"}
    """

    def __init__(self, start, stop, event, x, weight, strata, ties: str) -> None:
        n = stop.size
        self.n = n
        self.event = event.astype(np.float64)
        self.w = weight.astype(np.float64)
        wsum = self.w.sum()
        self.center = (self.w @ x) / wsum if x.shape[1] else np.zeros(0)
        self.x = x - self.center
        self.raw_x = x
        alltimes = np.unique(np.concatenate([start[np.isfinite(start)], stop]))
        span = alltimes.size + 2
        s = strata.astype(np.int64)
        # ranks 1..U for stop; 0 for start = -inf
        self.kstop = s * span + np.searchsorted(alltimes, stop) + 1
        kst = np.searchsorted(alltimes, start) + 1
        kst[~np.isfinite(start)] = 0
        self.kstart = s * span + kst
        self.strata = s
        self.stop = stop
        # sort orders for the two cumulative sums
        self.ord_stop = np.argsort(self.kstop, kind="stable")
        self.ord_start = np.argsort(self.kstart, kind="stable")
        self.sorted_kstop = self.kstop[self.ord_stop]
        self.sorted_kstart = self.kstart[self.ord_start]
        # event sets: distinct keys among the deaths
        dead = np.flatnonzero(self.event > 0)
        dkeys, dinv = np.unique(self.kstop[dead], return_inverse=True)
        self.dead = dead
        self.dinv = dinv.ravel()  # event set of each death
        self.dkeys = dkeys
        nsets = dkeys.size
        self.nsets = nsets
        nd = np.bincount(self.dinv, minlength=nsets).astype(np.int64)
        self.nd = nd
        self.meanwt = np.bincount(self.dinv, weights=self.w[dead], minlength=nsets) / nd
        self.term_set = np.repeat(np.arange(nsets), nd)
        first = np.repeat(np.cumsum(nd) - nd, nd)
        k = np.arange(self.term_set.size) - first
        self.frac = k / np.repeat(nd, nd) if ties == "efron" else np.zeros(k.size)
        self.term_wt = self.meanwt[self.term_set]
        # positions of each event key in the two sorted key arrays, and the end of its stratum
        skey = dkeys // span
        self.set_stratum = skey
        end = (skey + 1) * span
        self._a_lo = np.searchsorted(self.sorted_kstop, dkeys, side="left")
        self._a_hi = np.searchsorted(self.sorted_kstop, end, side="left")
        self._b_lo = np.searchsorted(self.sorted_kstart, dkeys, side="left")
        self._b_hi = np.searchsorted(self.sorted_kstart, end, side="left")
        # per row: event sets up to its stop and up to its start (for sums over its risk sets)
        self._row_hi = np.searchsorted(dkeys, self.kstop, side="right")
        self._row_lo = np.searchsorted(dkeys, self.kstart, side="right")
        self.row_set = np.full(n, -1)
        self.row_set[dead] = self.dinv
        self.x1 = np.column_stack([np.ones(n), self.x])

    # ---- sums -------------------------------------------------------------------------
    def risk_sums(self, v: np.ndarray) -> np.ndarray:
        """Per event set: sum of v over the rows at risk (n x m -> nsets x m)."""
        ca = np.zeros((self.n + 1, v.shape[1]))
        np.cumsum(v[self.ord_stop], axis=0, out=ca[1:])
        cb = np.zeros((self.n + 1, v.shape[1]))
        np.cumsum(v[self.ord_start], axis=0, out=cb[1:])
        return (ca[self._a_hi] - ca[self._a_lo]) - (cb[self._b_hi] - cb[self._b_lo])

    def dead_sums(self, v: np.ndarray) -> np.ndarray:
        """Per event set: sum of v over its deaths."""
        vd = v[self.dead]
        return np.column_stack(
            [
                np.bincount(self.dinv, weights=vd[:, j], minlength=self.nsets)
                for j in range(v.shape[1])
            ]
        ).reshape(self.nsets, v.shape[1])

    def row_cumulate(self, per_term: np.ndarray) -> np.ndarray:
        """Per row: sum of ``per_term`` over the terms of the event sets it is at risk in,
        minus ``frac`` times the terms of its own event set if it died there (Efron)."""
        per_term = per_term.reshape(per_term.shape[0], -1)
        m = per_term.shape[1]
        ts, ns = self.term_set, self.nsets
        tot = np.column_stack(
            [np.bincount(ts, weights=per_term[:, j], minlength=ns) for j in range(m)]
        ).reshape(ns, m)
        fp = self.frac[:, None] * per_term
        own = np.column_stack(
            [np.bincount(ts, weights=fp[:, j], minlength=ns) for j in range(m)]
        ).reshape(ns, m)
        cum = np.zeros((self.nsets + 1, m))
        np.cumsum(tot, axis=0, out=cum[1:])
        out = cum[self._row_hi] - cum[self._row_lo]
        died = self.row_set >= 0
        out[died] -= own[self.row_set[died]]
        return out

    # ---- partial likelihood ---------------------------------------------------------------
    def terms(self, beta: np.ndarray):
        """Per term: S0, weighted mean m (terms x p); also r = exp(eta - shift), shift."""
        eta = self.x @ beta
        shift = float(eta.max()) if eta.size else 0.0
        r = np.exp(eta - shift)
        wr = (self.w * r)[:, None] * self.x1
        risk = self.risk_sums(wr)[self.term_set]
        dead = self.dead_sums(wr)[self.term_set]
        s = risk - self.frac[:, None] * dead
        s0 = s[:, 0]
        return s0, s[:, 1:] / s0[:, None], r, eta, shift

    def derivs(self, beta: np.ndarray, info: bool = True):
        """Weighted partial log-likelihood, score and information at ``beta``."""
        s0, mean, r, eta, shift = self.terms(beta)
        tw = self.term_wt
        loglik = float((self.w * self.event) @ eta - tw @ (np.log(s0) + shift))
        u = (self.w * self.event) @ self.x - tw @ mean
        if not info:
            return loglik, u, None
        c = tw / s0
        wrow = self.w * r * self.row_cumulate(c)[:, 0]
        imat = (self.x * wrow[:, None]).T @ self.x - (mean * tw[:, None]).T @ mean
        return loglik, u, (imat + imat.T) / 2

    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """Per row, unweighted score residuals (R ``residuals(fit, "score")``, Efron-exact):
        ``d_i (x_i - mean over its tied terms of m) - r_i sum_terms c (x_i - m)``."""
        s0, mean, r, _eta, _shift = self.terms(beta)
        c = self.term_wt / s0
        acc = self.row_cumulate(np.column_stack([c, c[:, None] * mean]))
        a, b = acc[:, 0], acc[:, 1:]
        resid = -(r[:, None] * (self.x * a[:, None] - b))
        msum = np.zeros((self.nsets, self.x.shape[1]))
        np.add.at(msum, self.term_set, mean)
        mbar = msum / self.nd[:, None]
        died = self.row_set >= 0
        resid[died] += self.x[died] - mbar[self.row_set[died]]
        return resid

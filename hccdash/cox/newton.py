"""Risk sets and R's Newton-Raphson (C routine ``coxfit6``) for the Efron and Breslow partial
likelihoods, with the checks that read the fit (no information, separation).

The fit is a vectorised Newton-Raphson over time-sorted data: risk-set sums are reverse
cumulative sums, the Efron correction is applied per tied-event set, and the information
matrix is assembled from a single weighted cross-product, so a 1e6-row fit costs a handful
of O(n p^2) passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from hccdash.cox.design import _Design, _drop_columns, _term_name
from hccdash.errors import AnalysisError

EPS = 1e-12  # R: coxph.control(eps = 1e-12)
MAX_ITER = 100  # R: coxph.control(iter.max = 100)
TOLER_INF = 1e-6  # R: toler.inf = sqrt(eps)


class _RiskSets:
    """Sorted data and the index arrays of the Efron/Breslow event terms."""

    def __init__(self, time: np.ndarray, event: np.ndarray, x: np.ndarray, ties: str) -> None:
        order = np.argsort(time, kind="stable")
        self.order = order
        self.time = time[order]
        self.event = event[order]
        self.x = x[order] - x.mean(axis=0)  # centred like coxfit6, for stability
        n = len(time)
        newgrp = np.empty(n, dtype=bool)
        newgrp[0] = True
        np.not_equal(self.time[1:], self.time[:-1], out=newgrp[1:])
        self.starts = np.flatnonzero(newgrp)
        self.group = np.cumsum(newgrp) - 1  # unique-time index per row
        self.ndead = np.add.reduceat(self.event, self.starts)
        dgroups = np.flatnonzero(self.ndead > 0)
        nd = self.ndead[dgroups].astype(np.int64)
        self.term_group = np.repeat(dgroups, nd)  # one entry per event term
        first = np.repeat(np.cumsum(nd) - nd, nd)
        k = np.arange(self.term_group.size) - first
        if ties == "efron":
            self.frac = k / np.repeat(nd, nd)
        else:
            self.frac = np.zeros(self.term_group.size)
        self.ngroups = self.starts.size
        self.sum_dx = self.event @ self.x
        self.x1 = np.column_stack([np.ones(n), self.x])  # [1, x]: S0 and S1 in one pass
        # event rows and their tied sets, for sums over the deaths only
        self.dead_idx = np.flatnonzero(self.event > 0)
        self.dgroups = dgroups
        self.dstarts = np.cumsum(nd) - nd  # first event row / term of each tied set
        self.term_set = np.repeat(np.arange(dgroups.size), nd)  # tied-set index per term

    def _revcum_at_groups(self, v: np.ndarray) -> np.ndarray:
        """Sum of v over rows with time >= each unique time (the risk set)."""
        gs = np.add.reduceat(v, self.starts, axis=0)
        return np.cumsum(gs[::-1], axis=0)[::-1]

    def _dead_sums(self, v: np.ndarray) -> np.ndarray:
        """Sum of v over the events of each tied set (one row per tied set)."""
        return np.add.reduceat(v[self.dead_idx], self.dstarts, axis=0)

    def terms(self, r: np.ndarray):
        """Per-event-term S0 and S1/S0 (the weighted covariate mean)."""
        m = r[:, None] * self.x1
        risk = self._revcum_at_groups(m)[self.term_group]
        dead = self._dead_sums(m)[self.term_set]
        s = risk - self.frac[:, None] * dead
        s0 = s[:, 0]
        return s0, s[:, 1:] / s0[:, None]

    def cumulate(self, per_term: np.ndarray) -> np.ndarray:
        """Per row: sum of ``per_term`` over event terms at times <= the row's time, minus the
        Efron share (``frac`` times the value) for the row's own tied-event set if it died."""
        shape = (-1,) + (1,) * (per_term.ndim - 1)
        tot = np.zeros((self.ngroups, *per_term.shape[1:]))
        tot[self.dgroups] = np.add.reduceat(per_term, self.dstarts, axis=0)
        own = np.zeros_like(tot)
        own[self.dgroups] = np.add.reduceat(
            self.frac.reshape(shape) * per_term, self.dstarts, axis=0
        )
        cum = np.cumsum(tot, axis=0)[self.group]
        return cum - self.event.reshape(shape) * own[self.group]

    def derivs(self, beta: np.ndarray, info: bool = True):
        """Partial log-likelihood, score and information at ``beta``."""
        eta = self.x @ beta
        shift = eta.max()
        r = np.exp(eta - shift)
        s0, mean = self.terms(r)
        loglik = float(self.event @ eta - np.log(s0).sum() - shift * s0.size)
        u = self.sum_dx - mean.sum(axis=0)
        if not info:
            return loglik, u, None
        w = r * self.cumulate(1.0 / s0)
        imat = (self.x * w[:, None]).T @ self.x - mean.T @ mean
        return loglik, u, (imat + imat.T) / 2


def _solve(imat: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(imat, u)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(imat, u, rcond=None)[0]


def _inverse(imat: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(imat)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(imat)


class _NoInformation(Exception):
    """A coefficient has zero information at beta = 0 (internal; becomes AnalysisError)."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _newton(rs: _RiskSets, p: int, eps: float = EPS, max_iter: int | None = None):
    """R's coxfit6 iteration: Newton-Raphson from 0 with step halving."""
    max_iter = MAX_ITER if max_iter is None else max_iter
    beta = np.zeros(p)
    loglik0, u0, imat0 = rs.derivs(beta)
    # zero information: the covariate never varies within a risk set at an event time
    scale = rs.event.sum() * np.maximum((rs.x**2).mean(axis=0), np.finfo(float).tiny)
    flat = np.flatnonzero(np.diag(imat0) <= 1e-12 * scale)
    if flat.size:
        raise _NoInformation(int(flat[0]))
    score = float(u0 @ _solve(imat0, u0))
    best = loglik0
    newbeta = beta + _solve(imat0, u0)
    halving = 0
    converged = False
    it = 0
    u, imat = u0, imat0
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count is returned
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            newlk, nu, nimat = rs.derivs(newbeta)
        finite = np.isfinite(newlk) and np.all(np.isfinite(nu)) and np.all(np.isfinite(nimat))
        if finite and (newlk == best or abs(1 - best / newlk) <= eps):
            beta, u, imat, best = newbeta, nu, nimat, newlk
            converged = True
            break
        if not finite or newlk < best:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best, beta, u, imat = newlk, newbeta, nu, nimat
            newbeta = beta + _solve(imat, u)
    if not converged:
        best, u, imat = rs.derivs(beta)
    return beta, best, loglik0, score, u, imat, converged, it


def _fit_dropping_flat(des: _Design, ties: str):
    """Fit; a column with no information (never varying in a risk set at an event time) is
    left out and reported as NA, the rest fitted, as R's ``coxph`` does (issue 18, item 8).

    Returns (reduced design, its risk sets, the ``_newton`` tuple, dropped column indices)."""
    return _fit_without_flat(des, lambda d: _RiskSets(d.time, d.event, d.x, ties))


def _fit_without_flat(des: _Design, risk_sets: Callable[[_Design], object], where: str = ""):
    """Newton-Raphson on ``risk_sets(design)``, leaving out one by one the columns with no
    information (as R's ``coxph``: NA for them, the rest fitted); the plain and the extended
    fits (``hccdash.coxext.fit``, ``where`` = " (in the same stratum)") share it.

    Returns (reduced design, its risk sets, the ``_newton`` tuple, dropped column indices)."""
    aliased: list[int] = []
    current = des
    while True:
        rs = risk_sets(current)
        try:
            return current, rs, _newton(rs, current.x.shape[1]), aliased
        except _NoInformation as exc:
            kept = [j for j in range(len(des.columns)) if j not in aliased]
            aliased = sorted([*aliased, kept[exc.index]])
            if len(aliased) == len(des.columns):
                name = _term_name(*des.columns[aliased[0]])
                raise AnalysisError(
                    f"Term {name!r} cannot be estimated: at every event time the patients "
                    f"still at risk{where} share the same value of it, so the data carry no "
                    "information about its hazard ratio. Drop it or merge its levels."
                ) from None
            current = _drop_columns(des, aliased)


def _no_information_message(names: Sequence[str], aliased: Sequence[int]) -> str:
    listed = ", ".join(repr(names[j]) for j in aliased)
    return (
        f"No information for {listed}: at every event time the patients still at risk "
        "share the same value (e.g. a level whose patients all left follow-up before the "
        "first event), so its hazard ratio is not estimable and is shown as NA, as R does; "
        "the other terms are fitted without it. Merge that level or drop the covariate."
    )


def _separated(des: _Design, beta, u, var, converged: bool) -> list[int]:
    """Indices of diverging coefficients.

    Two signals: R's check in ``coxph.fit`` (the Newton step still left at convergence,
    ``|u %*% var|``, is large relative to the coefficient: the log-likelihood flattened while
    the coefficient kept moving), and the exact cause most often seen in small cohorts: an
    indicator term whose level, or whose reference, has no events.
    """
    flagged: set[int] = set()
    step = np.abs(u @ var)
    with np.errstate(invalid="ignore"):
        bad = (step > EPS) & (step > TOLER_INF * np.maximum(np.abs(beta), 1.0))
    if converged:
        flagged.update(np.flatnonzero(bad).tolist())
    for _cov, idx in des.assign:
        for j in idx:
            col = des.x[:, j]
            if des.columns[j][1] is None:
                continue
            ev_in = des.event[col == 1].sum()
            ref_rows = des.x[:, list(idx)].sum(axis=1) == 0
            if ev_in == 0 or des.event[ref_rows].sum() == 0:
                flagged.add(j)
            if ev_in == (col == 1).sum() and des.event[col == 0].sum() == 0:
                flagged.add(j)
    return sorted(flagged)

"""Firth's penalised partial likelihood ``l(b) + 0.5 log det I(b)`` (Heinze and Schemper 2001;
R's ``coxphf(pl = FALSE)``), for fits that separate."""

from __future__ import annotations

import numpy as np

from hccdash.cox.newton import EPS, _inverse, _RiskSets, _solve


def _firth_gradient(rs: _RiskSets, beta: np.ndarray, imat: np.ndarray) -> np.ndarray:
    """d/d beta of 0.5 * log det I(beta): 0.5 * sum over event terms of E_k[q (x - m_k)],
    q = (x - m_k)' I^-1 (x - m_k), with E_k the risk-set average (Efron-weighted)."""
    a_mat = _inverse(imat)
    x = rs.x
    r = np.exp(x @ beta - (x @ beta).max())
    s0, m = rs.terms(r)
    g, f = rs.term_group, rs.frac
    aq = np.einsum("ij,jk,ik->i", x, a_mat, x)  # x' A x per row

    def expect(h: np.ndarray) -> np.ndarray:  # per-term risk-set average of h
        rh = r.reshape((-1,) + (1,) * (h.ndim - 1)) * h
        sg = rs._revcum_at_groups(rh)
        dg = np.add.reduceat(rh * rs.event.reshape((-1,) + (1,) * (h.ndim - 1)), rs.starts, axis=0)
        fx = f.reshape((-1,) + (1,) * (h.ndim - 1))
        return (sg[g] - fx * dg[g]) / s0.reshape((-1,) + (1,) * (h.ndim - 1))

    e_ax = expect(aq[:, None] * x)
    e_a = expect(aq)
    am = m @ a_mat  # rows: A m_k
    mam = np.einsum("ij,ij->i", am, m)
    wv = rs.cumulate(am / s0[:, None])  # per row: sum_k A m_k / S0_k over its risk sets
    xxam = (r * np.einsum("ij,ij->i", x, wv)) @ x  # sum_k E_k[x x'] A m_k
    grad = e_ax.sum(axis=0) - 2 * xxam + 2 * (mam[:, None] * m).sum(axis=0)
    grad -= (e_a[:, None] * m).sum(axis=0)
    return 0.5 * grad


def _penalized_loglik(rs: _RiskSets, beta: np.ndarray):
    loglik, u, imat = rs.derivs(beta)
    _sign, logdet = np.linalg.slogdet(imat)
    return loglik + 0.5 * logdet, u, imat


def _firth(rs: _RiskSets, p: int, max_iter: int = 200):
    """Newton-Raphson on the Firth-penalised partial likelihood (coxphf), with the
    information matrix as the Hessian approximation and step halving."""
    beta = np.zeros(p)
    pl0, u, imat = _penalized_loglik(rs, beta)
    pl = pl0
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        ustar = u + _firth_gradient(rs, beta, imat)
        step = _solve(imat, ustar)
        step = np.clip(step, -5, 5)  # coxphf's maxstep: no wild jumps from flat regions
        for _ in range(30):
            new = beta + step
            npl, nu, nimat = _penalized_loglik(rs, new)
            if np.isfinite(npl) and npl >= pl - 1e-12 * abs(pl):
                break
            step = step / 2
        done = np.max(np.abs(step)) < 1e-9 or abs(1 - pl / npl) <= EPS
        beta, pl, u, imat = new, npl, nu, nimat
        if done:
            converged = True
            break
    return beta, pl, pl0, u, imat, converged, it

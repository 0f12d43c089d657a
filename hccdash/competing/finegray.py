"""Fine-Gray subdistribution-hazard regression, exact to R's ``cmprsk::crr``.

A port of ``crr`` and its Fortran (``crrfsv``, ``crrf``, ``crrvv``), vectorised with cumulative
sums instead of the nested loops:

* **Censoring weights.** ``G_k(t-)`` is the Kaplan-Meier estimate of the censoring
  distribution (censored = "event") within each censoring group ``k`` (``cengroup``, default
  one group), read at ``t * (1 - 100 eps)`` as ``crr`` does with ``approx``. A patient with a
  competing event at ``s`` stays in the risk set of a failure at ``u > s`` with weight
  ``G(u-) / G(s-)``; patients still followed at ``u`` (``t >= u``, ties included) weigh 1.
* **Ties.** Each of the ``d`` failures tied at ``u`` contributes its own ``x`` and
  ``log S0(u)`` (Breslow), as the Fortran does.
* **Newton-Raphson** from ``init = 0`` with ``crr``'s step halving (Armijo, at most 20
  halvings) and stopping rule ``max|U| max(|b|, 1) < max(|loglik|, 1) gtol`` (``gtol = 1e-6``,
  ``maxiter = 10``).
* **Variance** is crr's sandwich ``I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1``, where
  ``psi_i`` is the contribution of the estimated censoring distribution (Fine & Gray 1999).

Categorical covariates become indicator columns against a reference level by the same rule as
:func:`hccdash.cox.cox_fit` (first level in R's order, or the level given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from hccdash.competing.data import EventCodes, code_label, prepare
from hccdash.errors import AnalysisError
from hccdash.survdata import SurvData

__all__ = ["CrrResult", "CrrTerm", "crr", "crr_arrays"]

_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class CrrTerm:
    """One coefficient: R's ``summary(crr)`` row (``exp(coef)`` is the subdistribution HR)."""

    term: str
    covariate: str
    level: str | None
    reference: str | None
    coef: float
    se: float
    shr: float
    lower: float
    upper: float
    z: float
    p_value: float


@dataclass(frozen=True)
class CrrResult:
    """A Fine-Gray fit."""

    cause: object
    cause_name: str
    terms: tuple[CrrTerm, ...]
    n: int
    n_event: int
    n_competing: int
    n_censored: int
    dropped: int
    loglik: float
    loglik_null: float
    converged: bool
    iterations: int
    conf_level: float
    var: np.ndarray

    def term(self, name: str) -> CrrTerm:
        for t in self.terms:
            if t.term == name:
                return t
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "term": t.term,
                    "coef": t.coef,
                    "se": t.se,
                    "sHR": t.shr,
                    "lower": t.lower,
                    "upper": t.upper,
                    "z": t.z,
                    "p_value": t.p_value,
                }
                for t in self.terms
            ]
        )


def _censoring_km(time: np.ndarray, censored: np.ndarray, at: np.ndarray) -> np.ndarray:
    """KM of the censoring times at ``at * (1 - 100 eps)`` (crr's ``approx`` call)."""
    u, start = np.unique(time, return_index=True)
    n_risk = time.size - start
    d = np.add.reduceat(censored.astype(np.float64), start)
    surv = np.cumprod(1 - d / n_risk)
    x = at * (1 - 100 * _EPS)
    idx = np.searchsorted(u, x, side="right") - 1
    out = np.where(idx >= 0, surv[np.clip(idx, 0, None)], 1.0)
    return np.where(x >= u[-1] * (1 + 10 * _EPS), 0.0, out)


class _Model:
    """Sorted data and the pieces of the pseudo-likelihood that do not depend on beta."""

    def __init__(
        self, time: np.ndarray, ftype: np.ndarray, x: np.ndarray, cengroup: np.ndarray
    ) -> None:
        self.t, self.x = time, x
        self.fail, self.comp, self.cens = ftype == 1, ftype == 2, ftype == 0
        self.g = cengroup
        self.ng = int(cengroup.max()) + 1
        self.uft = np.unique(time[self.fail])
        self.d = np.bincount(np.searchsorted(self.uft, time[self.fail]), minlength=self.uft.size)
        # G_k(t_j-) for every subject and G_k(u_m-) at every distinct failure time
        self.G_subj = np.empty(time.size)
        self.G_fail = np.empty((self.ng, self.uft.size))
        for k in range(self.ng):
            m = cengroup == k
            self.G_subj[m] = _censoring_km(time[m], self.cens[m], time[m])
            self.G_fail[k] = _censoring_km(time[m], self.cens[m], self.uft)
        # failure time index m(i) of each failing subject; first index with t >= u_m
        self.m_of = np.searchsorted(self.uft, time)
        self.first_at = np.searchsorted(time, self.uft, side="left")
        # per competing subject: index of the first failure time > t_j (its weights start)
        self.comp_from = np.searchsorted(self.uft, time, side="right")

    def sums(self, beta: np.ndarray, second: bool = True):
        """S0 (D), S1 (D x p) and S2 (D x p x p) of the weighted risk sets."""
        x = self.x
        eb = np.exp(x @ beta)
        p = x.shape[1]

        # at risk (t >= u_m): reverse cumulative sums evaluated at first_at
        def rev(a: np.ndarray) -> np.ndarray:
            c = np.cumsum(a[::-1], axis=0)[::-1]
            c = np.concatenate((c, np.zeros((1, *a.shape[1:]))), axis=0)
            return c[self.first_at]

        s0 = rev(eb)
        s1 = rev(eb[:, None] * x)
        s2 = rev(eb[:, None, None] * x[:, :, None] * x[:, None, :]) if second else None
        D = self.uft.size
        for k in range(self.ng):
            m = self.comp & (self.g == k)
            if not m.any():
                continue
            w = eb[m] / self.G_subj[m]
            start = self.comp_from[m]  # contributes to failure times u_m > t_j
            add0 = np.zeros(D + 1)
            np.add.at(add0, start, w)
            c0 = np.cumsum(add0)[:D]
            add1 = np.zeros((D + 1, p))
            np.add.at(add1, start, w[:, None] * x[m])
            c1 = np.cumsum(add1, axis=0)[:D]
            gk = self.G_fail[k]
            s0 = s0 + gk * c0
            s1 = s1 + gk[:, None] * c1
            if second:
                add2 = np.zeros((D + 1, p, p))
                xm = x[m]
                np.add.at(add2, start, w[:, None, None] * xm[:, :, None] * xm[:, None, :])
                s2 = s2 + gk[:, None, None] * np.cumsum(add2, axis=0)[:D]
        return eb, s0, s1, s2

    def loglik(self, beta: np.ndarray) -> float:
        """crr's objective: minus the log pseudo-likelihood (Fortran ``crrf``)."""
        _, s0, _, _ = self.sums(beta, second=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-(self.x[self.fail] @ beta).sum() + (self.d * np.log(s0)).sum())

    def derivs(self, beta: np.ndarray):
        """Objective, gradient and Hessian (Fortran ``crrfsv``)."""
        _, s0, s1, s2 = self.sums(beta)
        xbar = s1 / s0[:, None]
        lik = float(-(self.x[self.fail] @ beta).sum() + (self.d * np.log(s0)).sum())
        grad = -self.x[self.fail].sum(axis=0) + (self.d[:, None] * xbar).sum(axis=0)
        w = (self.d / s0)[:, None, None]
        hess = (w * s2).sum(axis=0) - (
            self.d[:, None, None] * xbar[:, :, None] * xbar[:, None, :]
        ).sum(axis=0)
        return lik, grad, hess

    def sandwich(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Information and the score-residual cross product (Fortran ``crrvv``)."""
        x, t, D = self.x, self.t, self.uft.size
        eb, s0, s1, s2 = self.sums(beta)
        xbar = s1 / s0[:, None]
        d = self.d.astype(np.float64)
        info = ((d / s0)[:, None, None] * s2).sum(axis=0) - (
            d[:, None, None] * xbar[:, :, None] * xbar[:, None, :]
        ).sum(axis=0)
        # eta: the d Lambda part, sum_m d_m W_im eb_i (x_i - xbar_m) / S0_m
        a = np.concatenate(([0.0], np.cumsum(d / s0)))  # over u_m <= t_i
        b = np.concatenate((np.zeros((1, x.shape[1])), np.cumsum((d / s0)[:, None] * xbar, axis=0)))
        upto = np.searchsorted(self.uft, t, side="right")
        A = a[upto].copy()
        B = b[upto].copy()
        for k in range(self.ng):
            m = self.comp & (self.g == k)
            if not m.any():
                continue
            gk = self.G_fail[k] * d / s0
            ra = np.concatenate((np.cumsum(gk[::-1])[::-1], [0.0]))  # over u_m >= index
            rb = np.concatenate(
                (np.cumsum((gk[:, None] * xbar)[::-1], axis=0)[::-1], np.zeros((1, x.shape[1])))
            )
            A[m] += ra[upto[m]] / self.G_subj[m]
            B[m] += rb[upto[m]] / self.G_subj[m][:, None]
        eta = -eb[:, None] * (x * A[:, None] - B)
        fi = self.fail
        eta[fi] += x[fi] - xbar[self.m_of[fi]]
        # psi: the estimated censoring distribution, per tied block with a censoring
        psi = np.zeros_like(x)
        _, bstart = np.unique(t, return_index=True)
        bend = np.append(bstart[1:], t.size)
        for k in range(self.ng):
            in_k = self.g == k
            comp_k = self.comp & in_k
            w = np.where(comp_k, eb / np.where(in_k, self.G_subj, 1.0), 0.0)
            c0 = np.concatenate(([0.0], np.cumsum(w)))  # strictly before block start
            c1 = np.concatenate((np.zeros((1, x.shape[1])), np.cumsum(w[:, None] * x, axis=0)))
            n_mk = np.bincount(self.m_of[self.fail & in_k], minlength=D).astype(
                np.float64
            )  # failures in group k at u_m
            h = n_mk * self.G_fail[k] / s0
            ra = np.concatenate((np.cumsum(h[::-1])[::-1], [0.0]))
            rb = np.concatenate(
                (np.cumsum((h[:, None] * xbar)[::-1], axis=0)[::-1], np.zeros((1, x.shape[1])))
            )
            risk = np.concatenate((np.cumsum(in_k[::-1])[::-1], [0]))
            ss2 = np.zeros(x.shape[1])
            for lo, hi in zip(bstart, bend, strict=True):
                ncen = int((self.cens[lo:hi] & in_k[lo:hi]).sum())
                if ncen:
                    mi = int(np.searchsorted(self.uft, t[lo], side="left"))
                    qu = c1[lo] * ra[mi] - c0[lo] * rb[mi]
                    r = float(risk[lo])
                    ss2 = ss2 - ncen * qu / r**2
                    blk = np.arange(lo, hi)
                    cen = blk[self.cens[lo:hi] & in_k[lo:hi]]
                    psi[cen] += qu / r
                blk_k = np.arange(lo, hi)[in_k[lo:hi]]
                psi[blk_k] += ss2
        res = eta + psi
        return info, res.T @ res


def crr_arrays(
    time: np.ndarray,
    ftype: np.ndarray,
    x: np.ndarray,
    cengroup: np.ndarray | None = None,
    *,
    gtol: float = 1e-6,
    maxiter: int = 10,
) -> dict[str, object]:
    """The crr fit on sorted arrays (``ftype`` 0 censored, 1 cause, 2 other causes)."""
    if cengroup is None:
        cengroup = np.zeros(time.size, dtype=np.int64)
    model = _Model(time, ftype, x, cengroup)
    p = x.shape[1]
    b = np.zeros(p)
    converged = False
    iterations = 0
    lik = model.loglik(b)
    for ll in range(maxiter + 1):
        lik, grad, hess = model.derivs(b)
        if np.max(np.abs(grad) * np.maximum(np.abs(b), 1)) < max(abs(lik), 1) * gtol:
            converged = True
            break
        if ll == maxiter:
            break
        try:
            sc = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        bn = b + sc
        fbn = model.loglik(bn)
        i = 0
        while not np.isfinite(fbn) or fbn > lik + 1e-4 * float(sc @ grad):
            i += 1
            sc = sc * 0.5
            bn = b + sc
            fbn = model.loglik(bn)
            if i > 20:
                break
        if i > 20:
            break
        b = bn
        iterations = ll + 1
    info, v2 = model.sandwich(b)
    try:
        hinv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        hinv = np.full((p, p), np.nan)
    var = hinv @ v2 @ hinv.T
    return {
        "coef": b,
        "var": var,
        "loglik": -lik,
        "loglik_null": -model.loglik(np.zeros(p)),
        "converged": converged,
        "iterations": iterations,
        "info": info,
    }


def crr(
    data: pd.DataFrame,
    time: str | None = None,
    status: str | None = None,
    covariates: Sequence[str] = (),
    *,
    codes: EventCodes | None = None,
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    cengroup: str | None = None,
    conf_level: float = 0.95,
    gtol: float = 1e-6,
    maxiter: int = 10,
) -> CrrResult:
    """Fine-Gray regression of the cause ``codes.cause`` on ``covariates``, as ``cmprsk::crr``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; complete cases of time, status and covariates.
    time, status : str
        Follow-up time and status code columns.
    covariates : sequence of str
        Numeric columns enter as they are; text, boolean, categorical columns (and those in
        ``categorical`` or ``reference``) as indicators against their reference level.
    codes : EventCodes, optional
        ``codes.cause`` is R's ``failcode``, ``codes.censor`` its ``cencode``.
    reference : mapping, optional
        Reference level per categorical covariate (default: the first in R's order).
    cengroup : str, optional
        Estimate the censoring distribution within each level of this column (R's
        ``cengroup``).
    conf_level, gtol, maxiter
        CI level of the sHR; crr's convergence tolerance and iteration limit.

    Raises
    ------
    hccdash.errors.AnalysisError
        No events of the cause, a covariate constant in the complete rows, collinear
        covariates, fewer rows than coefficients.

    Examples
    --------
    R: ``crr(c(1, 2, 3, 4, 5, 6, 7, 8), c(1, 2, 1, 0, 1, 2, 0, 1), c(0, 1, 0, 1, 1, 0, 1, 0))``

    >>> df = pd.DataFrame({"t": range(1, 9), "s": [1, 2, 1, 0, 1, 2, 0, 1],
    ...                    "x": [0, 1, 0, 1, 1, 0, 1, 0]})
    >>> fit = crr(df, "t", "s", ["x"])
    >>> round(fit.terms[0].coef, 6), round(fit.terms[0].se, 6)
    (-1.038077, 1.003115)
    """
    from hccdash.competing.data import codes_of, columns_of
    from hccdash.cox.design import _design

    codes = codes_of(data, codes)
    time, status = columns_of(data, time, status)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(dict.fromkeys(covariates))
    if not covariates:
        raise AnalysisError("A Fine-Gray model needs at least one covariate; choose one or more.")
    extra = [*covariates, *([cengroup] if cengroup else [])]
    p = prepare(data, *((None, None) if isinstance(data, SurvData) else (time, status)), codes,
                extra=extra)  # fmt: skip
    # the design matrix by the Cox model's rules (levels, reference, constant and collinear
    # checks); its event column only has to be 0/1, so give it "any event"
    frame = p.frame.copy()
    frame[status] = (~p.censored).astype(np.int64)
    des = _design(frame, time, status, covariates, reference, categorical)
    cause = code_label(codes.cause)
    ftype = np.where(p.censored, 0, np.where(p.status == cause, 1, 2)).astype(np.int64)
    cg = None
    if cengroup:
        cg = pd.factorize(frame[cengroup], sort=True)[0].astype(np.int64)
    fit = crr_arrays(p.time, ftype, des.x, cg, gtol=gtol, maxiter=maxiter)
    z = NormalDist().inv_cdf(1 - (1 - conf_level) / 2)
    terms = []
    coef, var = fit["coef"], fit["var"]  # type: ignore[assignment]
    for j, (cov, level, ref) in enumerate(des.columns):
        b = float(coef[j])  # type: ignore[index]
        se = float(np.sqrt(var[j, j]))  # type: ignore[index]
        zz = b / se
        terms.append(
            CrrTerm(
                cov if level is None else f"{cov}: {level} vs {ref}",
                cov,
                level,
                ref,
                b,
                se,
                float(np.exp(b)),
                float(np.exp(b - z * se)),
                float(np.exp(b + z * se)),
                zz,
                float(2 * NormalDist().cdf(-abs(zz))),
            )
        )
    return CrrResult(
        cause,
        codes.name(cause),
        tuple(terms),
        p.n,
        int((ftype == 1).sum()),
        int((ftype == 2).sum()),
        int((ftype == 0).sum()),
        p.dropped,
        float(fit["loglik"]),  # type: ignore[arg-type]
        float(fit["loglik_null"]),  # type: ignore[arg-type]
        bool(fit["converged"]),
        int(fit["iterations"]),  # type: ignore[arg-type]
        float(conf_level),
        var,  # type: ignore[arg-type]
    )

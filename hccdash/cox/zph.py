"""R >= 3.0 ``cox.zph``: score tests of proportional hazards and scaled Schoenfeld residuals
(C routine ``zph1``, the full 2p x 2p information matrix; lifelines implements the older
approximation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.cox.design import _design, _term_name
from hccdash.cox.newton import _fit_dropping_flat, _inverse, _separated, _solve
from hccdash.cox.results import PHRow, PHTest
from hccdash.errors import InputError
from hccdash.survdata import SurvData

__all__ = ["cox_zph"]  # the helpers below are shared with hccdash.coxext.zph


def _km_left(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """1 - S(t-) at each row's time (R's cox.zph transform = "km")."""
    _ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event)
    c = np.bincount(inv)
    at_risk = c[::-1].cumsum()[::-1]
    surv = np.cumprod(1 - d / at_risk)
    left = np.concatenate([[1.0], surv[:-1]])
    return 1 - left[inv]


def _fit_caveats(des, beta, u, imat, converged: bool) -> list[str]:
    """The messages above a proportional-hazards test of a separated or unconverged fit."""
    msgs = []
    separated = _separated(des, beta, u, _inverse(imat), converged)
    if separated:
        listed = ", ".join(repr(_term_name(*des.columns[j])) for j in separated)
        msgs.append(
            f"The model separates ({listed} diverge), so this proportional-hazards test and "
            "the residuals of those terms are not meaningful."
        )
    if not converged:
        msgs.append("The Cox fit did not converge; the test is not reliable.")
    return msgs


def _transformed_times(t: np.ndarray, transform: str, km: Callable[[], np.ndarray]) -> np.ndarray:
    """R's ``cox.zph(transform = )`` of the times; ``km`` computes 1 - KM(t-) when asked."""
    if transform == "km":
        return km()
    if transform == "identity":
        return t.astype(float)
    if transform == "rank":
        return stats.rankdata(t)
    if transform == "log":
        return np.log(t)
    raise InputError(f"transform must be 'km', 'identity', 'rank' or 'log', got {transform!r}.")


def _score_tests(assign, u2: np.ndarray, imat: np.ndarray) -> tuple[PHRow, ...]:
    """R's ``zph1`` score tests, one per term (its columns' time interactions) and GLOBAL,
    from the interactions' score ``u2`` and the full 2p x 2p information ``imat``."""
    p = u2.size
    rows = []
    for cov, idx in assign:
        kk = list(range(p)) + [p + j for j in idx]
        uu = np.concatenate([np.zeros(p), u2[list(idx)]])
        stat = float(uu @ _solve(imat[np.ix_(kk, kk)], uu))
        rows.append(PHRow(cov, stat, len(idx), float(stats.chi2.sf(stat, len(idx)))))
    uu = np.concatenate([np.zeros(p), u2])
    stat = float(uu @ _solve(imat, uu))
    rows.append(PHRow("GLOBAL", stat, p, float(stats.chi2.sf(stat, p))))
    return tuple(rows)


def _term_matrix(assign, beta: np.ndarray) -> np.ndarray:
    """Columns -> terms (R's ``terms = TRUE``): a multi-column term is its linear predictor."""
    tmat = np.zeros((beta.size, len(assign)))
    for i, (_c, idx) in enumerate(assign):
        tmat[list(idx), i] = 1.0 if len(idx) == 1 else beta[list(idx)]
    return tmat


def _add_coefficients(sres: np.ndarray, assign, beta: np.ndarray) -> None:
    """R's ``zph$y``: scaled residuals plus the coefficient (1 for a multi-column term)."""
    for i, (_c, idx) in enumerate(assign):
        sres[:, i] += beta[idx[0]] if len(idx) == 1 else 1.0


def cox_zph(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    covariates: Sequence[str] = (),
    *,
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    transform: str = "km",
    strata: str | Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
) -> PHTest:
    """Test proportional hazards as R >= 3.0 ``cox.zph(coxph(...), transform = "km")``.

    The model is fitted as :func:`cox_fit`; then, for each covariate and globally, a score
    test of adding ``x * g(t)`` (g = 1 - KM(t-), centred over events) uses the full
    2p x 2p information matrix (R's C routine ``zph1``), not the older approximation
    lifelines implements. A categorical covariate is one test with (levels - 1) df.

    Parameters
    ----------
    data, time, event, covariates, ties, reference, categorical
        As :func:`cox_fit`.
    transform : {"km", "identity", "rank", "log"}
        Time transform.
    strata, start, weights : str, optional
        Stratified, (start, stop] and weighted models (:func:`hccdash.coxext.zph.cox_zph_ext`).

    Returns
    -------
    PHTest
        Test rows per covariate and ``"GLOBAL"``; scaled Schoenfeld residuals (R's
        ``zph$y``) with transformed and raw event times for plotting.

    Raises
    ------
    hccdash.errors.InputError, hccdash.errors.AnalysisError
        As :func:`cox_fit`.

    Examples
    --------
    >>> from hccdash.rdata import aml
    >>> ph = cox_zph(aml(), "time", "status", ["x"])
    >>> r = ph.row("x")
    >>> round(r.chisq, 6), r.df, round(r.p_value, 4)
    (0.007875, 1, 0.9293)
    >>> ph.residuals.shape  # one scaled Schoenfeld residual per event
    (18, 1)

    References
    ----------
    R: ``cox.zph(coxph(Surv(time, status) ~ x, aml))$table``: x chisq 0.007875078, df 1,
    p 0.9292872 (GLOBAL the same).
    """
    if strata is not None or start is not None or weights is not None:
        if isinstance(data, SurvData):
            data, time, event = data.frame, data.time_col, data.event_col
        from hccdash.coxext.zph import cox_zph_ext  # late: coxext imports cox

        return cox_zph_ext(
            data,
            time,
            event,
            covariates,
            ties=ties,
            reference=reference,
            categorical=categorical,
            transform=transform,
            strata=strata,
            start=start,
            weights=weights,
        )
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    des, rs, fit, _aliased = _fit_dropping_flat(
        _design(data, time, event, covariates, reference, categorical), ties
    )
    p = des.x.shape[1]
    beta, _ll, _ll0, _sc, u, imat, converged, _it = fit
    msgs = _fit_caveats(des, beta, u, imat, converged)
    t, d = des.time, des.event
    tt = _transformed_times(t, transform, lambda: _km_left(t, d))
    gt = (tt - tt[d > 0].mean())[rs.order]
    x = rs.x
    eta = x @ beta
    r = np.exp(eta - eta.max())
    s0, m = rs.terms(r)
    gk = gt[rs.starts][rs.term_group]  # g(t) per event term
    dead = rs.event > 0
    u2 = (gt * rs.event) @ x - (gk[:, None] * m).sum(axis=0)

    def info(c: np.ndarray) -> np.ndarray:
        w = r * rs.cumulate(c / s0)
        return (x * w[:, None]).T @ x - (m * c[:, None]).T @ m

    i11, i12, i22 = info(np.ones_like(gk)), info(gk), info(gk**2)
    rows = _score_tests(des.assign, u2, np.block([[i11, i12], [i12.T, i22]]))

    # Schoenfeld residuals: x minus the (Efron: mean of the) risk-set means of its time
    tmean = np.zeros((rs.ngroups, p))
    np.add.at(tmean, rs.term_group, m)
    tmean /= np.maximum(rs.ndead, 1)[:, None]
    schoen = (x - tmean[rs.group])[dead]
    nev = schoen.shape[0]
    vmean = i11 / nev
    if any(len(idx) > 1 for _c, idx in des.assign):
        tmat = _term_matrix(des.assign, beta)
        schoen = schoen @ tmat
        vmean = tmat.T @ vmean @ tmat
    sres = schoen @ _inverse(vmean)  # vmean is symmetric
    _add_coefficients(sres, des.assign, beta)
    return PHTest(
        rows=tuple(rows),
        time=tt[rs.order][dead],
        event_time=rs.time[dead],
        residuals=sres,
        terms=tuple(c for c, _ in des.assign),
        transform=transform,
        warnings=tuple(msgs),
    )

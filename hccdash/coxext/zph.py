"""``cox.zph`` for stratified and (start, stop] Cox models (R's C routines zph1 / zph2).

The test is the score test of adding ``x * g(t)`` to the fitted model, ``g`` the time
transform centred over the events, with the full 2p x 2p information matrix computed over the
model's own risk sets (within strata, counting-process intervals). As R, the "km" transform is
``1 - S(t-)`` of the pooled, unweighted Kaplan-Meier curve of the model's response (delayed
entry included), whatever the strata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hccdash.cox.results import PHTest
from hccdash.cox.zph import (
    _add_coefficients,
    _fit_caveats,
    _score_tests,
    _term_matrix,
    _transformed_times,
)
from hccdash.coxext.fit import ext_data, fit_arrays
from hccdash.errors import InputError

__all__ = ["cox_zph_ext"]


def _km_left_counting(start: np.ndarray, stop: np.ndarray, event: np.ndarray) -> np.ndarray:
    """1 - S(t-) at each row's stop time; S the KM of (start, stop] data (R survfitKM)."""
    ut = np.unique(stop[event > 0])
    if ut.size == 0:
        return np.zeros(stop.size)
    d = np.bincount(np.searchsorted(ut, stop[event > 0]), minlength=ut.size)
    s_sorted, e_sorted = np.sort(start), np.sort(stop)
    at_risk = (stop.size - np.searchsorted(e_sorted, ut, side="left")) - (
        stop.size - np.searchsorted(s_sorted, ut, side="left")
    )
    surv = np.cumprod(1 - d / at_risk)
    idx = np.searchsorted(ut, stop, side="left")  # event times strictly before stop
    return 1 - np.concatenate([[1.0], surv])[idx]


def cox_zph_ext(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    *,
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    transform: str = "km",
    strata: str | Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
) -> PHTest:
    """R ``cox.zph(coxph(Surv([start, ]time, event) ~ x + strata(s)), transform)``.

    Parameters as :func:`hccdash.cox.cox_zph` plus ``strata``, ``start`` and ``weights``
    (see :func:`hccdash.coxext.fit.cox_fit_ext`; the "km" transform is unweighted, as R's).

    Returns
    -------
    hccdash.cox.PHTest
        Test rows per covariate and ``"GLOBAL"``; scaled Schoenfeld residuals ordered by
        stratum, then time, as R's ``zph$y``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ...                   "e": [1, 1, 0, 1, 1, 0, 1, 1, 1, 1],
    ...                   "x": [0, 1, 0, 1, 1, 0, 1, 0, 0, 1], "s": [1, 2] * 5})
    >>> round(cox_zph_ext(d, "t", "e", ["x"], strata="s").row("x").chisq, 6)
    0.050586
    """
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    ed = ext_data(
        data,
        time,
        event,
        covariates,
        reference=reference,
        categorical=categorical,
        strata=strata,
        start=start,
        weights=weights,
    )
    des, rs, fit, _aliased = fit_arrays(ed, ties)
    beta, _ll, _ll0, _sc, u, imat0, converged, _it = fit
    p = beta.size
    msgs = _fit_caveats(des, beta, u, imat0, converged)
    t, d = ed.stop, des.event
    tt = _transformed_times(t, transform, lambda: _km_left_counting(ed.start, t, d))
    g = tt - tt[d > 0].mean()
    s0, m, r, _eta, _shift = rs.terms(beta)
    tw = rs.term_wt
    first_dead = np.zeros(rs.nsets, dtype=np.int64)
    first_dead[rs.dinv[::-1]] = rs.dead[::-1]
    gk = g[first_dead][rs.term_set]
    x, w = rs.x, rs.w
    u2 = (w * d * g) @ x - (tw * gk) @ m

    def info(c: np.ndarray) -> np.ndarray:
        wrow = w * r * rs.row_cumulate(tw * c / s0)[:, 0]
        return (x * wrow[:, None]).T @ x - (m * (tw * c)[:, None]).T @ m

    i11, i12, i22 = info(np.ones_like(gk)), info(gk), info(gk**2)
    rows = _score_tests(des.assign, u2, np.block([[i11, i12], [i12.T, i22]]))

    # scaled Schoenfeld residuals, R's rules for strata where a column does not vary
    dead = rs.dead
    msum = np.zeros((rs.nsets, p))
    np.add.at(msum, rs.term_set, m)
    schoen = x[dead] - (msum / rs.nd[:, None])[rs.dinv]
    tiebreak = dead if start is None else -dead
    order = np.lexsort((tiebreak, t[dead], ed.strata[dead]))
    schoen = schoen[order]
    dstrat = ed.strata[dead][order]
    nstrat = int(ed.strata.max()) + 1
    used = np.zeros((nstrat, p))
    for s in range(nstrat):
        rows_s = ed.strata == s
        nev = float(d[rows_s].sum())
        xs = des.x[rows_s]
        if xs.shape[0]:
            used[s] = np.where(np.ptp(xs, axis=0) > 0, nev, 0.0)
    for _c, idx in des.assign:
        if len(idx) > 1:
            used[:, list(idx)] = used[:, list(idx)].max(axis=1, keepdims=True)
    wtmat = sum(np.minimum.outer(used[s], used[s]) for s in range(nstrat))
    vmean = i11 / np.where(wtmat == 0, 1, wtmat)
    tmat = _term_matrix(des.assign, beta)
    if any(len(idx) > 1 for _c, idx in des.assign):
        schoen = schoen @ tmat
        vmean = tmat.T @ vmean @ tmat
        used = used[:, [idx[0] for _c, idx in des.assign]]
    else:
        schoen = schoen @ tmat
    sres = np.full_like(schoen, np.nan)
    for s in range(nstrat):
        k = np.flatnonzero(used[s] > 0)
        j = dstrat == s
        if k.size and j.any():
            sres[np.ix_(j, k)] = np.linalg.solve(vmean[np.ix_(k, k)], schoen[np.ix_(j, k)].T).T
    _add_coefficients(sres, des.assign, beta)
    return PHTest(
        rows=tuple(rows),
        time=tt[dead][order],
        event_time=t[dead][order],
        residuals=sres,
        terms=tuple(c for c, _ in des.assign),
        transform=transform,
        warnings=tuple(msgs),
    )

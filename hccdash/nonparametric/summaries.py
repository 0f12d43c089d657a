"""Summaries of Kaplan-Meier curves as R prints them: medians (``print(survfit)``), survival at
landmark times and risk tables (``summary(fit, times=)``), restricted mean survival
(``print(fit, rmean=)``) and the reverse Kaplan-Meier median follow-up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric.km import km_curve
from hccdash.nonparametric.results import (
    RMST,
    KMResult,
    LandmarkTable,
    MedianSurvival,
    MedianTable,
    RiskTable,
    SurvCurve,
    SurvivalAt,
)
from hccdash.nonparametric.ties import TOL as _TOL
from hccdash.validate import survival_arrays

if TYPE_CHECKING:
    pass

__all__ = [
    "landmark_table",
    "median_followup",
    "median_survival",
    "median_table",
    "risk_table",
    "rmst",
    "survival_at",
]


def _minmin(y: np.ndarray, x: np.ndarray) -> float | None:
    """R ``survmean``'s median rule: first x where y <= 0.5; midpoint on an exact 0.5 step."""
    keep = ~np.isnan(y) & (y < 0.5 + _TOL)
    if not keep.any():
        return None
    xs, ys = x[keep], y[keep]
    if abs(ys[0] - 0.5) < _TOL:
        below = np.flatnonzero(ys < ys[0])
        if below.size:
            return float((xs[0] + xs[below[0]]) / 2)
    return float(xs[0])


def median_survival(curve: SurvCurve) -> MedianSurvival:
    """Median survival and its CI, as R ``print(survfit(...))``.

    The median is the first time where S(t) <= 0.5; where S(t) is exactly 0.5 on a flat step
    it is the midpoint of that step's start and the next time the curve drops. The CI limits
    apply the same rule to the lower and upper bands. None where not reached.

    Parameters
    ----------
    curve : SurvCurve

    Returns
    -------
    MedianSurvival

    Examples
    --------
    >>> from hccdash.nonparametric import kaplan_meier
    >>> from hccdash.rdata import aml
    >>> m = median_survival(kaplan_meier(aml(), "time", "status").curve())
    >>> m.median, m.lower, m.upper
    (27.0, 13.0, 34.0)

    References
    ----------
    R: ``print(survfit(Surv(time, status) ~ 1, aml, conf.type = "log-log"))``: median 27,
    0.95LCL 13, 0.95UCL 34.
    """
    return MedianSurvival(
        group=curve.group,
        n=curve.n,
        events=curve.events,
        median=_minmin(curve.surv, curve.time),
        lower=_minmin(curve.lower, curve.time),
        upper=_minmin(curve.upper, curve.time),
        conf_type=curve.conf_type,
        conf_level=curve.conf_level,
    )


def median_table(km: KMResult) -> MedianTable:
    """Median survival with CI for every curve of ``km`` (R ``print(fit)``).

    Examples
    --------
    >>> from hccdash.nonparametric import kaplan_meier
    >>> from hccdash.rdata import aml
    >>> t = median_table(kaplan_meier(aml(), "time", "status", "x"))
    >>> [(r.group, r.median, r.lower, r.upper) for r in t.rows]
    [('Maintained', 31.0, 13.0, None), ('Nonmaintained', 23.0, 5.0, 33.0)]

    References
    ----------
    R: ``print(survfit(Surv(time, status) ~ x, aml, conf.type = "log-log"))``: medians 31
    (13, NA) and 23 (5, 33).
    """
    return MedianTable(rows=tuple(median_survival(c) for c in km.curves))


def _as_times(times: Sequence[float] | np.ndarray | float) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if arr.size == 0:
        raise InputError("No times were given. Give one or more times >= 0, e.g. 12, 24.")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} requested time(s) are negative or not finite "
            f"({', '.join(repr(float(v)) for v in arr[bad][:5])}). Give times >= 0."
        )
    return arr


def survival_at(curve: SurvCurve, times: Sequence[float] | np.ndarray | float) -> SurvivalAt:
    """Survival with CI at requested times, as R ``summary(fit, times=, extend=TRUE)``.

    Parameters
    ----------
    curve : SurvCurve
    times : array-like of float
        Times >= 0, in ascending order (they are sorted if not).

    Returns
    -------
    SurvivalAt
        ``n_risk`` at each time; ``n_event``/``n_censor`` in the interval since the previous
        requested time; ``std_err`` on the survival scale as R's summary reports it.

    Examples
    --------
    >>> from hccdash.nonparametric import km_curve
    >>> from hccdash.rdata import aml
    >>> d = aml()
    >>> s = survival_at(km_curve(d["time"], d["status"]), [10, 20, 30])
    >>> s.n_risk.tolist(), s.n_event.tolist(), s.surv.round(6).tolist()
    ([18, 13, 9], [5, 3, 4], [0.782609, 0.645963, 0.441684])
    >>> s.lower.round(6).tolist()
    [0.554212, 0.413953, 0.227381]

    References
    ----------
    R: ``summary(survfit(Surv(time, status) ~ 1, aml, conf.type = "log-log"),
    times = c(10, 20, 30), extend = TRUE)``: n.risk 18, 13, 9; n.event 5, 3, 4; survival
    0.782609, 0.645963, 0.441684; lower 0.554212, 0.413953, 0.227381.
    """
    ts = np.sort(_as_times(times))
    idx = np.searchsorted(curve.time, ts, side="right") - 1  # last curve time <= t
    nxt = np.searchsorted(curve.time, ts, side="left")  # first curve time >= t
    before = idx < 0
    j = np.maximum(idx, 0)
    with np.errstate(invalid="ignore"):
        surv = np.where(before, 1.0, curve.surv[j] if curve.surv.size else 1.0)
        se_h = np.where(before, 0.0, curve.std_err[j] if curve.std_err.size else 0.0)
        std_err = np.where(before, 0.0, surv * se_h)
    lower = np.where(before, 1.0, curve.lower[j] if curve.lower.size else 1.0)
    upper = np.where(before, 1.0, curve.upper[j] if curve.upper.size else 1.0)
    n_risk = np.append(curve.n_risk, 0)[nxt]
    cum_ev = np.concatenate(([0], np.cumsum(curve.n_event)))[idx + 1]
    cum_ce = np.concatenate(([0], np.cumsum(curve.n_censor)))[idx + 1]
    return SurvivalAt(
        group=curve.group,
        time=ts,
        n_risk=n_risk.astype(np.int64),
        n_event=np.diff(cum_ev, prepend=0).astype(np.int64),
        n_censor=np.diff(cum_ce, prepend=0).astype(np.int64),
        surv=surv,
        std_err=std_err,
        lower=lower,
        upper=upper,
    )


def landmark_table(km: KMResult, times: Sequence[float] | np.ndarray) -> LandmarkTable:
    """Survival with CI at landmark times for every group (R ``summary(fit, times=)``).

    Examples
    --------
    >>> from hccdash.nonparametric import kaplan_meier
    >>> from hccdash.rdata import aml
    >>> t = landmark_table(kaplan_meier(aml(), "time", "status", "x"), [12, 24]).to_frame()
    >>> t["n_risk"].tolist(), t["surv"].round(6).tolist()
    ([10, 6, 8, 5], [0.909091, 0.613636, 0.583333, 0.486111])

    References
    ----------
    R: ``summary(survfit(Surv(time, status) ~ x, aml, conf.type = "log-log"),
    times = c(12, 24))``: n.risk 10, 6 and 8, 5; survival 0.909091, 0.613636 and 0.583333,
    0.486111.
    """
    return LandmarkTable(
        rows=tuple(survival_at(c, times) for c in km.curves),
        conf_type=km.conf_type,
        conf_level=km.conf_level,
    )


def risk_table(km: KMResult, times: Sequence[float] | np.ndarray) -> RiskTable:
    """Numbers at risk, cumulative events and censored at ``times`` (KMunicate table).

    Equals R's ``summary(fit, times=, extend=TRUE)``: ``n.risk``, ``cumsum(n.event)`` and
    ``cumsum(n.censor)`` per group.

    Examples
    --------
    >>> from hccdash.nonparametric import kaplan_meier
    >>> from hccdash.rdata import aml
    >>> r = risk_table(kaplan_meier(aml(), "time", "status", "x"), [0, 12, 24])
    >>> r.n_risk.tolist(), r.n_event.tolist()
    ([[11, 10, 6], [12, 8, 5]], [[0, 1, 4], [0, 5, 6]])

    References
    ----------
    R: ``s <- summary(survfit(Surv(time, status) ~ x, aml), times = c(0, 12, 24),
    extend = TRUE)``: ``s$n.risk`` 11, 10, 6, 12, 8, 5; ``cumsum`` of ``s$n.event`` per
    group 0, 1, 4 and 0, 5, 6.
    """
    ts = np.sort(_as_times(times))
    risk, ev, ce = [], [], []
    for c in km.curves:
        idx = np.searchsorted(c.time, ts, side="right")
        nxt = np.searchsorted(c.time, ts, side="left")
        risk.append(np.append(c.n_risk, 0)[nxt])
        ev.append(np.concatenate(([0], np.cumsum(c.n_event)))[idx])
        ce.append(np.concatenate(([0], np.cumsum(c.n_censor)))[idx])
    shape = (len(km.curves), ts.size)
    return RiskTable(
        times=ts,
        groups=km.levels,
        n_risk=np.array(risk, dtype=np.int64).reshape(shape),
        n_event=np.array(ev, dtype=np.int64).reshape(shape),
        n_censor=np.array(ce, dtype=np.int64).reshape(shape),
    )


def rmst(curve: SurvCurve, tau: float) -> RMST:
    """Restricted mean survival time up to ``tau`` and its SE, as R ``print(fit, rmean=tau)``.

    The estimate is the area under the curve from 0 to ``tau``. The SE is R's
    ``survmean``: sqrt(sum_j A_j^2 d_j / (n_j (n_j - d_j))), where A_j is the area under the
    curve from event time j to tau (terms with n_j = d_j are 0).

    Parameters
    ----------
    curve : SurvCurve
    tau : float
        Truncation time > 0.

    Returns
    -------
    RMST

    Examples
    --------
    >>> from hccdash.nonparametric import kaplan_meier
    >>> from hccdash.rdata import aml
    >>> km = kaplan_meier(aml(), "time", "status", "x")
    >>> r = rmst(km.curve("Maintained"), 30)
    >>> round(r.estimate, 6), round(r.se, 6)
    (24.602273, 2.313149)

    References
    ----------
    R: ``print(survfit(Surv(time, status) ~ x, aml), rmean = 30)``: Maintained rmean*
    24.60227, se(rmean) 2.313149.
    """
    if not (isinstance(tau, int | float | np.number) and math.isfinite(tau) and tau > 0):
        raise InputError(f"tau {tau!r} must be a finite number > 0 (e.g. 24 months).")
    tau = float(tau)
    d = curve.n_event.astype(np.float64)
    n = curve.n_risk.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    keep = curve.time <= tau
    if not keep.any():
        return RMST(group=curve.group, tau=tau, estimate=tau, se=0.0)
    temptime = np.append(curve.time[keep], tau)
    tempsurv = np.append(curve.surv[keep], curve.surv[keep][-1])
    hh = np.append(hh[keep], 0.0)
    start = min(0.0, float(curve.time[0]))
    delta = np.diff(np.concatenate(([start], temptime)))
    rect = delta * np.concatenate(([1.0], tempsurv[:-1]))
    var = float(np.sum(np.cumsum(rect[1:][::-1]) ** 2 * hh[::-1][1:]))
    return RMST(group=curve.group, tau=tau, estimate=float(rect.sum() + start), se=math.sqrt(var))


def median_followup(
    time: Sequence[float] | np.ndarray,
    event: Sequence[int] | np.ndarray,
    *,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
) -> MedianSurvival:
    """Median follow-up by the reverse Kaplan-Meier method.

    Censoring is the "event" and events are censorings, as R
    ``survfit(Surv(time, 1 - event) ~ 1)``; the result's ``events`` counts censored
    patients (those still followed). Patients missing the time or the event are left out
    (complete cases); the result's ``n`` counts those used.

    Parameters
    ----------
    time, event : array-like
        Follow-up times and event indicators (1 = event, 0 = censored).
    conf_type, conf_level
        As in ``kaplan_meier``.

    Returns
    -------
    MedianSurvival

    Raises
    ------
    hccdash.errors.AnalysisError
        Nobody was censored (follow-up is then not estimable this way).

    Examples
    --------
    >>> from hccdash.rdata import aml
    >>> d = aml()
    >>> fu = median_followup(d["time"], d["status"])
    >>> fu.median, fu.lower, fu.upper, fu.events
    (161.0, 28.0, None, 5)

    References
    ----------
    R: ``print(survfit(Surv(time, 1 - status) ~ 1, aml, conf.type = "log-log"))``: n 23,
    events 5, median 161, 0.95LCL 28, 0.95UCL NA.
    """
    import pandas as pd

    tt, ee = np.asarray(time), np.asarray(event)
    if tt.shape != ee.shape or tt.ndim != 1:
        raise InputError(
            f"time and event must be 1-D and of equal length (got shapes {tt.shape} and "
            f"{ee.shape}). Pass one value per patient."
        )
    t, e, missing = survival_arrays(pd.DataFrame({"time": tt, "event": ee}), "time", "event")
    t, e = t[~missing], e[~missing]  # complete cases, as every analysis
    if t.size == 0:
        raise InputError("No patient has both a time and an event. Fill in the data.")
    if int(e.sum()) == e.size:
        raise AnalysisError(
            "Every patient had the event, so no one was censored and the reverse Kaplan-Meier "
            "median follow-up is not defined. Report the range of follow-up instead."
        )
    curve = km_curve(t, 1 - e, conf_type=conf_type, conf_level=conf_level)
    return median_survival(curve)

"""Cumulative incidence (Aalen-Johansen) with the variance of R's ``cmprsk::cuminc``.

:func:`cuminc` reproduces ``cmprsk::cuminc(ftime, fstatus, group, strata, rho, cencode)``:
one curve per group and cause with the estimate and the variance of Fortran ``cinc`` (Gray's
delta-method variance, which is *not* the infinitesimal-jackknife variance of
``survival::survfit(Surv(time, factor(status)) ~ group)``: the estimates agree, the standard
errors differ), and Gray's test per cause (:mod:`hccdash.competing.gray`).

Curves are stored at their jump points: R's ``$time`` / ``$est`` / ``$var`` without the
pre-jump corners, i.e. ``time = [0, t1, ..., tk, tmax]`` with the estimate after each jump and
the last value carried to the largest follow-up time (R's last element).

Pointwise confidence intervals use the cmprsk variance on a transformed scale: ``"log-log"``
(default, :math:`F^{\\exp(\\pm z\\,se/(F\\log F))}`, the usual choice for a CIF), ``"log"``
(the transform ``survfit`` applies to multi-state probabilities by default) or ``"plain"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from hccdash.competing.data import EventCodes, Prepared, codes_of, prepare
from hccdash.competing.gray import GrayTest, gray_tests
from hccdash.errors import InputError
from hccdash.survdata import SurvData

__all__ = [
    "CONF_TYPES",
    "CIFAt",
    "CIFCurve",
    "CumIncResult",
    "cif_at",
    "cif_confint",
    "cinc",
    "cuminc",
    "risk_table",
]

CONF_TYPES = ("log-log", "log", "plain")


def cinc(
    time: np.ndarray, failed: np.ndarray, cause: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fortran ``cinc`` of cmprsk, vectorised: jump times, estimates and variances.

    ``time`` sorted ascending, ``failed`` 1 for any event, ``cause`` 1 for the event whose
    incidence is estimated. Returns ``(t, est, var)`` with ``t = [0, t1..tk, tmax]``.

    Examples
    --------
    >>> t, f, v = cinc(np.array([1.0, 2, 3, 4]), np.array([1, 1, 0, 1]), np.array([1, 0, 0, 1]))
    >>> t.tolist(), [round(float(x), 4) for x in f]
    ([0.0, 1.0, 4.0, 4.0], [0.0, 0.25, 0.75, 0.75])
    """
    n = time.size
    uniq, start = np.unique(time, return_index=True)
    nd = np.add.reduceat(failed.astype(np.float64), start) if n else np.zeros(0)
    nd1 = np.add.reduceat(cause.astype(np.float64), start) if n else np.zeros(0)
    nd2 = nd - nd1
    rs = (n - start).astype(np.float64)
    ev = nd > 0
    uniq, nd, nd1, nd2, rs = uniq[ev], nd[ev], nd1[ev], nd2[ev], rs[ev]
    surv = np.cumprod((rs - nd) / rs)  # fkn
    fk = np.concatenate(([1.0], surv[:-1]))  # KM just before each time
    f = np.cumsum(fk * nd1 / rs)
    with np.errstate(divide="ignore", invalid="ignore"):
        # competing events (skipped where fkn == 0)
        t5 = np.where(nd2 > 1, 1 - (nd2 - 1) / (rs - 1), 1.0)
        t6 = fk * fk * t5 * nd2 / (rs * rs)
        ok2 = (nd2 > 0) & (surv > 0)
        t3 = np.where(ok2, 1 / surv, 0.0)
        t4 = np.where(ok2, f / surv, 0.0)
        a1, a2, a3 = t4 * t4 * t6, t3 * t4 * t6, t3 * t3 * t6
        # events of the cause
        t5 = np.where(nd1 > 1, 1 - (nd1 - 1) / (rs - 1), 1.0)
        t6 = np.where(nd1 > 0, fk * fk * t5 * nd1 / (rs * rs), 0.0)
        t3 = np.where(surv > 0, 1 / surv, 0.0)
        t4 = 1 + t3 * f
    b1, b2, b3 = t4 * t4 * t6, t3 * t4 * t6, t3 * t3 * t6
    v1 = np.cumsum(np.where(ok2, a1, 0.0) + b1)
    v2 = np.cumsum(np.where(ok2, a2, 0.0) + b2)
    v3 = np.cumsum(np.where(ok2, a3, 0.0) + b3)
    jump = nd1 > 0
    var = (v1 + f * f * v3 - 2 * f * v2)[jump]
    tmax = time[-1] if n else 0.0
    t_out = np.concatenate(([0.0], uniq[jump], [tmax]))
    f_out = np.concatenate(([0.0], f[jump]))
    v_out = np.concatenate(([0.0], var))
    return t_out, np.append(f_out, f_out[-1]), np.append(v_out, v_out[-1])


def cif_confint(
    est: np.ndarray, var: np.ndarray, conf_type: str = "log-log", conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of a cumulative incidence from its variance.

    ``log-log``: ``F ** exp(+/- z se / (F log F))``; ``log``: ``F exp(-/+ z se / F)`` capped
    at 1; ``plain``: ``F -/+ z se`` within [0, 1]. ``F == 0`` gives ``[0, 0]``, and ``F == 1``
    ``[1, 1]`` on the log(-log) scale (where it is undefined).

    Examples
    --------
    >>> lo, hi = cif_confint(np.array([0.0, 0.2]), np.array([0.0, 0.0004]), "plain")
    >>> [round(float(x), 4) for x in (*lo, *hi)]
    [0.0, 0.1608, 0.0, 0.2392]
    """
    if conf_type not in CONF_TYPES:
        raise InputError(
            f"conf_type {conf_type!r} is not supported for cumulative incidence; use one of "
            f"{', '.join(map(repr, CONF_TYPES))}."
        )
    if not (isinstance(conf_level, float | int) and 0 < float(conf_level) < 1):
        raise InputError(f"conf_level {conf_level!r} must be strictly between 0 and 1.")
    z = NormalDist().inv_cdf(1 - (1 - float(conf_level)) / 2)
    est = np.asarray(est, dtype=np.float64)
    se = np.sqrt(np.maximum(np.asarray(var, dtype=np.float64), 0.0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            lower, upper = est - z * se, est + z * se
        elif conf_type == "log":
            a = np.exp(z * se / est)
            lower, upper = est / a, est * a
        else:
            a = np.exp(z * se / (est * np.log(est)))
            lower, upper = est ** (1 / a), est**a
        # F = 0: [0, 0]; F = 1 (up to rounding): log(-log) is 0/0, give [1, 1]
        zero = est <= 0
        one = (est >= 1 - 1e-12) if conf_type == "log-log" else np.zeros(est.shape, dtype=bool)
        lower = np.where(zero, 0.0, np.where(one, 1.0, lower))
        upper = np.where(zero, 0.0, np.where(one, 1.0, upper))
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


@dataclass(frozen=True)
class CIFCurve:
    """One cumulative incidence curve (a group and a cause), at its jump points."""

    group: str
    cause: object
    cause_name: str
    n: int
    n_event: int  # events of this cause in the group
    time: np.ndarray
    est: np.ndarray
    var: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_type: str
    conf_level: float

    @property
    def name(self) -> str:
        """R's list name, ``"<group> <cause>"``."""
        return f"{self.group} {self.cause}"


@dataclass(frozen=True)
class CIFAt:
    """Cumulative incidence read at given times (R's ``timepoints``): NaN past the curve."""

    group: str
    cause: object
    cause_name: str
    time: np.ndarray
    est: np.ndarray
    var: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "group": self.group,
                "cause": self.cause_name,
                "time": self.time,
                "est": self.est,
                "se": np.sqrt(self.var),
                "lower": self.lower,
                "upper": self.upper,
            }
        )


@dataclass(frozen=True)
class CumIncResult:
    """``cmprsk::cuminc`` output: curves per group and cause, and Gray's tests."""

    curves: tuple[CIFCurve, ...]
    tests: tuple[GrayTest, ...]  # empty with one group
    groups: tuple[str, ...]
    causes: tuple[object, ...]
    codes: EventCodes
    n: int
    dropped: int
    conf_type: str
    conf_level: float
    rho: float

    def curve(self, group: str, cause: object) -> CIFCurve:
        for c in self.curves:
            if c.group == str(group) and c.cause == cause:
                return c
        raise KeyError(f"no curve for group {group!r} and cause {cause!r}")

    def test(self, cause: object) -> GrayTest:
        for t in self.tests:
            if t.cause == cause:
                return t
        raise KeyError(f"no Gray test for cause {cause!r}")


def cuminc(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    status: str | None = None,
    group: str | None = None,
    *,
    strata: str | None = None,
    codes: EventCodes | None = None,
    rho: float = 0.0,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
) -> CumIncResult:
    """Cumulative incidence per group and cause, and Gray's test, as ``cmprsk::cuminc``.

    Parameters
    ----------
    data : pandas.DataFrame or hccdash.survdata.SurvData
        One row per patient; complete cases of the columns used. Or the validated object of
        :func:`hccdash.competing.data.competing_data` (its columns and codes are used).
    time, status : str
        Follow-up time and status code columns (see :class:`EventCodes`).
    group : str, optional
        Curves per level (R's ``factor`` order) and Gray's test between them.
    strata : str, optional
        Stratify Gray's test (``strata=``).
    codes : EventCodes, optional
        Meaning of the status codes; default 0 censored, 1 cause of interest, others competing.
    rho : float
        Power of the weight ``(1 - F(t-))^rho`` of Gray's test (R's ``rho``, default 0).
    conf_type, conf_level
        Pointwise CI (see the module docstring).

    Returns
    -------
    CumIncResult

    Examples
    --------
    R: ``cuminc(c(1, 2, 3, 4, 5, 6), c(1, 2, 1, 0, 2, 1), c("a", "a", "a", "b", "b", "b"))``

    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "s": [1, 2, 1, 0, 2, 1], "g": list("aaabbb")})
    >>> r = cuminc(df, "t", "s", "g")
    >>> c = r.curve("a", 1)
    >>> c.time.tolist(), [round(float(x), 4) for x in c.est], [round(float(x), 7) for x in c.var]
    ([0.0, 1.0, 3.0, 3.0], [0.0, 0.3333, 0.6667, 0.6667], [0.0, 0.1111111, 0.25, 0.25])
    >>> round(r.test(1).stat, 7), round(r.test(1).p_value, 7)
    (2.1654135, 0.1411466)
    """
    codes = codes_of(data, codes)
    cif_confint(np.zeros(1), np.zeros(1), conf_type, conf_level)  # validate options early
    p = prepare(data, time, status, codes, group=group, strata=strata, need_cause=False)
    curves = []
    failed = (~p.censored).astype(np.int64)
    for cause in p.causes:
        is_cause = (p.status == cause).astype(np.int64)
        for gi, glabel in enumerate(p.group_levels):
            m = p.group == gi
            t, f, v = cinc(p.time[m], failed[m], is_cause[m])
            lo, hi = cif_confint(f, v, conf_type, conf_level)
            curves.append(
                CIFCurve(
                    glabel,
                    cause,
                    codes.name(cause),
                    int(m.sum()),
                    int(is_cause[m].sum()),
                    t,
                    f,
                    v,
                    lo,
                    hi,
                    conf_type,
                    float(conf_level),
                )
            )
    tests = gray_tests(p, rho=rho) if len(p.group_levels) > 1 else ()
    return CumIncResult(
        tuple(curves),
        tuple(tests),
        p.group_levels,
        p.causes,
        codes,
        p.n,
        p.dropped,
        conf_type,
        float(conf_level),
        float(rho),
    )


def cif_at(curve: CIFCurve, times: Sequence[float] | np.ndarray) -> CIFAt:
    """The curve at ``times`` (R's ``timepoints``: the value at the last jump <= t; NaN for t
    beyond the largest follow-up time of the group).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]})
    >>> at = cif_at(cuminc(df, "t", "s").curve("all", 1), [0.5, 1, 3.9, 9])
    >>> [round(float(x), 4) for x in at.est[:3]], bool(np.isnan(at.est[3]))
    ([0.0, 0.25, 0.25], True)
    """
    t = np.asarray(times, dtype=np.float64).ravel()
    idx = np.searchsorted(curve.time, t, side="right") - 1
    past = (t > curve.time[-1]) | (idx < 0)
    idx = np.clip(idx, 0, None)

    def pick(a: np.ndarray) -> np.ndarray:
        return np.where(past, np.nan, a[idx])

    return CIFAt(
        curve.group,
        curve.cause,
        curve.cause_name,
        t,
        pick(curve.est),
        pick(curve.var),
        pick(curve.lower),
        pick(curve.upper),
    )


def risk_table(
    prepared: Prepared, times: Sequence[float] | np.ndarray, codes: EventCodes | None = None
) -> pd.DataFrame:
    """Numbers at risk (time >= t) and cumulative events per cause (time <= t), per group.

    Columns: ``group, time, n_risk`` and one ``events: <cause name>`` column per cause.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]})
    >>> risk_table(prepare(df, "t", "s"), [0, 2]).iloc[:, :4].values.tolist()
    [['all', 0.0, 4, 0], ['all', 2.0, 3, 1]]
    """
    codes = codes or EventCodes()
    t = np.asarray(times, dtype=np.float64).ravel()
    rows = []
    for gi, glabel in enumerate(prepared.group_levels):
        m = prepared.group == gi
        tg, sg = prepared.time[m], prepared.status[m]
        for x in t:
            row: dict[str, object] = {
                "group": glabel,
                "time": float(x),
                "n_risk": int((tg >= x).sum()),
            }
            for cause in prepared.causes:
                row[f"events: {codes.name(cause)}"] = int(((tg <= x) & (sg == cause)).sum())
            rows.append(row)
    return pd.DataFrame(rows)

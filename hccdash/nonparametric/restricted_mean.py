"""Restricted mean survival time of every group up to one horizon, and each group's
difference from the reference group (the first level), as survRM2's ``rmst2`` reports them.

The per-group RMST and its SE are :func:`~hccdash.nonparametric.summaries.rmst` (R's
``survmean``). Confidence intervals are normal (estimate ± z·SE); a difference's SE is the
square root of the two groups' variances summed (independent groups) and its p value the
two-sided z test, as survRM2 ``rmst2(...)$unadjusted.result``. The default horizon is
survRM2's: the smallest of the groups' largest observed times, so that every curve is
observed up to it (R's ``print(fit, rmean = "common")`` uses the largest time instead and
extends the shorter curves flat). Part of :mod:`hccdash.nonparametric`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hccdash.chisq import chi2_sf
from hccdash.errors import InputError
from hccdash.nonparametric.confint import _zval
from hccdash.nonparametric.results import RMST, KMResult
from hccdash.nonparametric.summaries import rmst

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RMSTTable", "default_tau", "rmst_table"]


@dataclass(frozen=True)
class RMSTTable:
    """RMST per group up to ``tau`` with normal CIs, and differences from the reference.

    ``diff``, ``diff_lower``, ``diff_upper`` and ``p_value`` are NaN for the reference row
    and for an ungrouped table. ``tau_given``: the horizon was asked for (else the default).
    """

    tau: float
    tau_given: bool
    conf_level: float
    rows: tuple[RMST, ...]
    lower: np.ndarray
    upper: np.ndarray
    reference: str | None
    diff: np.ndarray
    diff_lower: np.ndarray
    diff_upper: np.ndarray
    p_value: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per group: group, tau, rmst, se, lower, upper, diff, diff_lower,
        diff_upper, p_value."""
        import pandas as pd

        return pd.DataFrame(
            {
                "group": [r.group for r in self.rows],
                "tau": self.tau,
                "rmst": [r.estimate for r in self.rows],
                "se": [r.se for r in self.rows],
                "lower": self.lower,
                "upper": self.upper,
                "diff": self.diff,
                "diff_lower": self.diff_lower,
                "diff_upper": self.diff_upper,
                "p_value": self.p_value,
            }
        )


def default_tau(km: KMResult) -> float:
    """The smallest of the curves' largest observed times (survRM2's default ``tau``).

    Examples
    --------
    >>> from hccdash.nonparametric import kaplan_meier
    >>> from hccdash.rdata import aml
    >>> default_tau(kaplan_meier(aml(), "time", "status", "x"))
    45.0
    """
    ends = [float(c.time[-1]) for c in km.curves if len(c.time)]
    if not ends:
        raise InputError("No curve has a patient: there is no time up to which to average.")
    return min(ends)


def rmst_table(km: KMResult, tau: float | None = None) -> RMSTTable:
    """RMST of every curve of ``km`` up to ``tau`` and each one's difference from the first.

    Parameters
    ----------
    km : KMResult
        The curves (their ``conf_level`` sets the intervals' level).
    tau : float, optional
        Horizon > 0, in the curves' time unit. Default: :func:`default_tau`.

    Returns
    -------
    RMSTTable

    Examples
    --------
    >>> from hccdash.nonparametric import kaplan_meier
    >>> from hccdash.rdata import aml
    >>> t = rmst_table(kaplan_meier(aml(), "time", "status", "x"), 30)
    >>> [round(r.estimate, 4) for r in t.rows], round(float(t.diff[1]), 4)
    ([24.6023, 19.6944], -4.9078)

    References
    ----------
    R (survival): ``print(survfit(Surv(time, status) ~ x, aml), rmean = 30)`` gives rmean
    24.60 and 19.69; survRM2 ``rmst2(time, status, arm, tau = 30)`` gives the difference with
    ``sqrt(se1^2 + se0^2)`` and ``2 * pnorm(-abs(diff / se))``.
    """
    given = tau is not None
    horizon = float(tau) if tau is not None else default_tau(km)
    rows = tuple(rmst(c, horizon) for c in km.curves)
    z = _zval(km.conf_level)
    est = np.array([r.estimate for r in rows])
    se = np.array([r.se for r in rows])
    nan = np.full(len(rows), np.nan)
    diff, dlo, dhi, p = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    for i in range(1, len(rows)):
        d = est[i] - est[0]
        s = math.sqrt(se[i] ** 2 + se[0] ** 2)
        diff[i], dlo[i], dhi[i] = d, d - z * s, d + z * s
        # two-sided normal p as a 1-df chi-square tail: (d / s)^2 ~ chi2(1)
        p[i] = chi2_sf((d / s) ** 2, 1) if s > 0 else (1.0 if d == 0 else 0.0)
    return RMSTTable(
        tau=horizon,
        tau_given=given,
        conf_level=km.conf_level,
        rows=rows,
        lower=est - z * se,
        upper=est + z * se,
        reference=rows[0].group if len(rows) > 1 else None,
        diff=diff,
        diff_lower=dlo,
        diff_upper=dhi,
        p_value=p,
    )

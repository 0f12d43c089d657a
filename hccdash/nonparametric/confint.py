"""Pointwise confidence intervals of a survival curve (R's ``survfit_confint``)."""

from __future__ import annotations

import numbers
from statistics import NormalDist

import numpy as np

from hccdash.errors import InputError

__all__ = ["CONF_TYPES"]

CONF_TYPES = ("log-log", "log", "plain")


def _check_conf(conf_type: str, conf_level: float) -> None:
    if conf_type not in CONF_TYPES:
        raise InputError(
            f"conf_type {conf_type!r} is not supported; use one of "
            f"{', '.join(map(repr, CONF_TYPES))}."
        )
    if isinstance(conf_level, bool) or not (
        isinstance(conf_level, numbers.Real) and 0 < float(conf_level) < 1
    ):
        raise InputError(
            f"conf_level {conf_level!r} must be a number strictly between 0 and 1, e.g. 0.95."
        )


def _zval(conf_level: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - conf_level) / 2)


def _confint(
    surv: np.ndarray, se: np.ndarray, conf_type: str, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """R's ``survfit_confint`` with ``logse=TRUE`` (se is the SE of the cumulative hazard)."""
    z = _zval(conf_level)
    # surv is non-increasing: S == 1 is a prefix and S == 0 a suffix, found by bisection
    rev = surv[::-1]
    n_one = surv.size - int(np.searchsorted(rev, 1.0, side="left"))
    n_zero = int(np.searchsorted(rev, 0.0, side="right"))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se * surv
            se2 *= z
            lower = np.maximum(surv - se2, 0.0)
            upper = np.minimum(surv + se2, 1.0)
        elif conf_type == "log":
            a = np.exp(z * se)
            lower = surv / a
            upper = np.minimum(surv * a, 1.0)
        else:
            # exp(-exp(log(-log S) -/+ z se / log S)) == S ** exp(-/+ z se / log S)
            log_s = np.log(surv)
            a = np.exp(z * se / log_s)
            lower = np.exp(log_s / a)
            upper = np.exp(log_s * a)
        if n_one:  # R: NA for log-log; a degenerate band at 1 plots and reads better
            lower[:n_one] = 1.0
            upper[:n_one] = 1.0
        if n_zero:  # R: NA (log, log-log) and NaN (plain) once S reaches 0
            lower[surv.size - n_zero :] = np.nan
            upper[surv.size - n_zero :] = np.nan
    return lower, upper

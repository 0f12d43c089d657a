"""Inverse-probability weighting for treatment comparisons in retrospective cohorts.

* Propensity score: logistic regression of the arm on baseline covariates by statsmodels'
  ``GLM(Binomial)`` (IRLS, as R's ``glm(family = binomial)``); categorical covariates enter
  as indicators of each non-reference level (R's treatment contrasts).
* Weights: ATE ``t / e + (1 - t) / (1 - e)``; ATT ``t + (1 - t) e / (1 - e)``; stabilised
  ATE multiplies by the arm's share ``P(T = t)``. Trimming truncates the weights at chosen
  quantiles (R ``quantile`` type 7); no patient is dropped.
* Balance: standardised mean differences of every covariate term before and after weighting,
  ``(m1 - m0) / sqrt((s1^2 + s0^2) / 2)`` with weighted means and the unweighted pooled SD in
  both (cobalt's default for the pooled denominator), |SMD| < 0.1 read as balanced.
* Overlap: propensity ranges per arm, patients outside the common support, extreme scores
  and the effective sample size ``(sum w)^2 / sum w^2``; the note says overlap is poor when
  more than 5% are outside the common support or have a score below 0.05 / above 0.95, or
  when an arm's effective size is under half its size.
* Outcome: weighted Kaplan-Meier (robust jackknife CIs, :func:`km_counting`) and weighted Cox
  with robust SE (:func:`hccdash.cox.cox_fit`), both as R with ``weights =``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from hccdash.cox import CoxResult, cox_fit
from hccdash.cox.design import _level_str, _levels
from hccdash.coxext.counting import km_counting
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import KMResult

__all__ = ["IPWResult", "ipw_analysis", "ipw_weights", "propensity_scores"]

WEIGHT_COLUMN = "_ipw_weight"


@dataclass(frozen=True)
class IPWResult:
    """Propensity scores, weights, balance, overlap and the weighted outcome analyses."""

    estimand: str
    treatment: str
    treated_level: str
    control_level: str
    propensity: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    treated: np.ndarray = field(repr=False)
    balance: pd.DataFrame = field(repr=False)
    overlap_note: str
    ess: tuple[float, float]  # effective sample size: control, treated
    km: KMResult | None = field(default=None, repr=False)
    cox: CoxResult | None = field(default=None, repr=False)
    dropped: int = 0


def _design(frame: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    cols, names = [], []
    for c in covariates:
        col = frame[c]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        if numeric:
            cols.append(col.to_numpy(dtype=np.float64))
            names.append(c)
            continue
        levels = _levels(col, c, None)
        labels = col.map(_level_str).to_numpy()
        for lev in levels[1:]:
            cols.append((labels == lev).astype(np.float64))
            names.append(f"{c}: {lev}")
    return np.column_stack(cols), names


def propensity_scores(
    data: pd.DataFrame, treatment: str, covariates: Sequence[str], *, treated: object = None
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Propensity of the treated arm, R's ``fitted(glm(trt ~ covariates, binomial))``.

    Returns (scores, treated indicator, treated level, control level) for the rows of
    ``data`` (complete in the treatment and covariates; validated by the caller).

    Examples
    --------
    >>> d = pd.DataFrame({"arm": [0, 0, 0, 1, 1, 1, 0, 1], "age": [50, 61, 58, 70, 66, 49, 72, 55]})
    >>> ps, t, lev1, lev0 = propensity_scores(d, "arm", ["age"])
    >>> (lev1, lev0, ps.shape)
    ('1', '0', (8,))
    """
    levels = _levels(data[treatment], treatment, None)
    if len(levels) != 2:
        raise InputError(
            f"Treatment column {treatment!r} has {len(levels)} levels; weighting compares "
            "two arms. Choose a two-level column or filter to two arms."
        )
    lev1 = _level_str(treated) if treated is not None else levels[1]
    if lev1 not in levels:
        raise InputError(f"Treated level {lev1!r} is not a level of {treatment!r} {levels!r}.")
    lev0 = next(v for v in levels if v != lev1)
    t = (data[treatment].map(_level_str) == lev1).to_numpy(dtype=np.float64)
    x, _names = _design(data, covariates)
    x = np.column_stack([np.ones(len(t)), x])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.GLM(t, x, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
        except (np.linalg.LinAlgError, ValueError, PerfectSeparationError) as exc:
            raise AnalysisError(
                f"The propensity model for {treatment!r} could not be fitted ({exc}); a "
                "covariate may predict the arm perfectly. Drop or merge it."
            ) from None
    ps = np.asarray(res.fittedvalues, dtype=np.float64)
    if caught and (ps.min() < 1e-8 or ps.max() > 1 - 1e-8):
        raise AnalysisError(
            f"The propensity model separates the arms of {treatment!r} (scores of 0 or 1): "
            "some covariate pattern occurs in one arm only, so weighting cannot compare "
            "like with like. Drop that covariate or restrict the cohort."
        )
    return ps, t, lev1, lev0


def ipw_weights(
    ps: np.ndarray,
    t: np.ndarray,
    *,
    estimand: str = "ATE",
    stabilized: bool = False,
    trim: tuple[float, float] | None = None,
) -> np.ndarray:
    """Inverse-probability weights (see module docstring).

    Examples
    --------
    >>> ipw_weights(np.array([0.2, 0.5, 0.8]), np.array([1.0, 0.0, 1.0])).round(4).tolist()
    [5.0, 2.0, 1.25]
    """
    if estimand == "ATE":
        w = t / ps + (1 - t) / (1 - ps)
        if stabilized:
            p1 = t.mean()
            w = w * np.where(t == 1, p1, 1 - p1)
    elif estimand == "ATT":
        w = t + (1 - t) * ps / (1 - ps)
        if stabilized:
            ctl = t == 0
            w = np.where(ctl, w * ctl.sum() / w[ctl].sum(), w)
    else:
        raise InputError(f"estimand must be 'ATE' or 'ATT', got {estimand!r}.")
    if trim is not None:
        lo, hi = trim
        if not 0 <= lo < hi <= 1:
            raise InputError(f"trim quantiles must satisfy 0 <= lo < hi <= 1, got {trim!r}.")
        w = np.clip(w, np.quantile(w, lo), np.quantile(w, hi))
    return w


def _smd_table(x: np.ndarray, names: list[str], t: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    rows = []
    one, zero = t == 1, t == 0
    for j, name in enumerate(names):
        v = x[:, j]
        sd = np.sqrt((v[one].var(ddof=1) + v[zero].var(ddof=1)) / 2)
        m1, m0 = v[one].mean(), v[zero].mean()
        wm1 = np.average(v[one], weights=w[one])
        wm0 = np.average(v[zero], weights=w[zero])
        with np.errstate(divide="ignore", invalid="ignore"):
            before, after = (m1 - m0) / sd, (wm1 - wm0) / sd
        rows.append(
            {
                "term": name,
                "mean_treated": m1,
                "mean_control": m0,
                "smd_before": before,
                "weighted_mean_treated": wm1,
                "weighted_mean_control": wm0,
                "smd_after": after,
                "balanced": bool(abs(after) < 0.1) if np.isfinite(after) else False,
            }
        )
    return pd.DataFrame(rows)


def _overlap(ps: np.ndarray, t: np.ndarray, w: np.ndarray) -> tuple[str, tuple[float, float]]:
    one, zero = t == 1, t == 0
    lo, hi = max(ps[one].min(), ps[zero].min()), min(ps[one].max(), ps[zero].max())
    outside = int(((ps < lo) | (ps > hi)).sum())
    extreme = int(((ps < 0.05) | (ps > 0.95)).sum())
    ess = tuple(float(w[g].sum() ** 2 / (w[g] ** 2).sum()) for g in (zero, one))
    parts = [
        f"Propensity scores: treated {ps[one].min():.2f}-{ps[one].max():.2f}, control "
        f"{ps[zero].min():.2f}-{ps[zero].max():.2f}; effective sample size "
        f"{ess[1]:.0f} of {int(one.sum())} treated, {ess[0]:.0f} of {int(zero.sum())} control."
    ]
    poor = []
    n = ps.size
    if outside:
        msg = f"{outside} patient(s) lie outside the common support ({lo:.2f}-{hi:.2f})"
        (poor if outside > 0.05 * n else parts).append(msg + ("" if outside > 0.05 * n else "."))
    if extreme > 0.05 * n:
        poor.append(f"{extreme} have a score below 0.05 or above 0.95")
    if min(ess[0] / max(zero.sum(), 1), ess[1] / max(one.sum(), 1)) < 0.5:
        poor.append("a few patients carry most of the weight (effective size under half)")
    if poor:
        parts.append(
            "Overlap is poor: "
            + "; ".join(poor)
            + ". The weighted comparison then rests on few patients and on the propensity "
            "model being right; consider trimming the weights, the ATT, or restricting the "
            "cohort to comparable patients."
        )
    return " ".join(parts), ess


def ipw_analysis(
    data: pd.DataFrame,
    time: str,
    event: str,
    treatment: str,
    covariates: Sequence[str],
    *,
    treated: object = None,
    estimand: str = "ATE",
    stabilized: bool = False,
    trim: tuple[float, float] | None = None,
    conf_type: str = "log-log",
) -> IPWResult:
    """Propensity weighting end to end: scores, weights, balance, overlap, weighted KM and
    weighted Cox with robust SE.

    R: ``e <- fitted(glm(trt ~ covariates, binomial, d))``; weights as
    :func:`ipw_weights`; ``survfit(Surv(time, event) ~ trt, weights = w, d)`` and
    ``coxph(Surv(time, event) ~ trt, weights = w, d)`` (robust by default).
    """
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    if not covs:
        raise InputError("Choose at least one baseline covariate for the propensity model.")
    if treatment in covs:
        raise InputError(f"{treatment!r} is the treatment; remove it from the covariates.")
    cols = [time, event, treatment, *covs]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise InputError(f"Column {missing[0]!r} is not in the data; choose an existing column.")
    ok = data[cols].notna().all(axis=1)
    frame = data.loc[ok].copy()
    if len(frame) < 4:
        raise AnalysisError(f"Only {len(frame)} complete rows; weighting needs more patients.")
    ps, t, lev1, lev0 = propensity_scores(frame, treatment, covs, treated=treated)
    w = ipw_weights(ps, t, estimand=estimand, stabilized=stabilized, trim=trim)
    x, names = _design(frame, covs)
    balance = _smd_table(x, names, t, w)
    note, ess = _overlap(ps, t, w)
    frame[WEIGHT_COLUMN] = w
    frame[treatment] = np.where(t == 1, lev1, lev0)  # the copy's arm as its labels
    km = km_counting(frame, time, event, treatment, weights=WEIGHT_COLUMN, robust=True,
                     conf_type=conf_type, levels=[lev0, lev1])  # fmt: skip
    cox = cox_fit(frame, time, event, [treatment], weights=WEIGHT_COLUMN, robust=True,
                  reference={treatment: lev0})  # fmt: skip
    return IPWResult(
        estimand=estimand,
        treatment=treatment,
        treated_level=lev1,
        control_level=lev0,
        propensity=ps,
        weights=w,
        treated=t,
        balance=balance,
        overlap_note=note,
        ess=ess,
        km=km,
        cox=cox,
        dropped=int((~ok).sum()),
    )

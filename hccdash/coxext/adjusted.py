"""Survival curves predicted from a Cox model: R's ``survfit(coxph_fit, newdata)``, and
direct adjustment (the cohort-average curve per arm).

For covariate values z the curve is ``S(t | z) = exp(-H0(t) exp((z - c)'b))`` with H0 the
baseline hazard R's ``agsurv`` computes: Breslow increments for ``ties="breslow"``, the
Efron-type increments (R's ``ctype = 2``, the default with Efron ties) otherwise; delayed
entry and case weights use the model's own risk sets. The standard error is R's (Tsiatis):
``se(H(t | z)) = exp(lp) sqrt(sum dN / S0^2 + d(t)' V d(t))``, ``d(t) = (z - c) H0(t) -
sum xbar dH0``, with V the model's variance (the robust one for a robust fit, as R).
``std_err`` is the SE of ``H = -log S``; confidence limits as the KM curves
(R default ``conf.type = "log"``).

Direct adjustment (Makuch 1982; R: ``colMeans(t(survfit(fit, newdata = cohort with arm =
a)$surv))``) averages the predicted curves of every patient with the arm set to each level;
it is returned without a confidence band (the band needs the covariance between patients'
predictions, which R's survfit does not give either).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash.cox.design import _level_str
from hccdash.cox.newton import _inverse
from hccdash.coxext.fit import ext_data, fit_arrays, robust_var
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric.confint import _check_conf, _confint

__all__ = [
    "AdjustedCurves",
    "PredictedCurves",
    "StrataCurves",
    "cox_survfit",
    "cox_survfit_strata",
    "direct_adjusted",
]


@dataclass(frozen=True)
class PredictedCurves:
    """Curves for each row of ``newdata`` (columns of the matrices), R survfit field names."""

    labels: tuple[str, ...]
    time: np.ndarray = field(repr=False)
    n_risk: np.ndarray = field(repr=False)
    n_event: np.ndarray = field(repr=False)
    surv: np.ndarray = field(repr=False)  # times x curves
    std_err: np.ndarray = field(repr=False)
    lower: np.ndarray = field(repr=False)
    upper: np.ndarray = field(repr=False)
    conf_type: str = "log"
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """Long format: curve, time, n_risk, n_event, surv, std_err, lower, upper."""
        parts = []
        for j, lab in enumerate(self.labels):
            parts.append(
                pd.DataFrame(
                    {
                        "curve": lab,
                        "time": self.time,
                        "n_risk": self.n_risk,
                        "n_event": self.n_event,
                        "surv": self.surv[:, j],
                        "std_err": self.std_err[:, j],
                        "lower": self.lower[:, j],
                        "upper": self.upper[:, j],
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class StrataCurves:
    """Curves of a stratified Cox model: blocks of :class:`PredictedCurves`, each on the
    baseline hazard (and time grid) of one stratum, as R's ``survfit(fit, newdata)$strata``.

    Without the stratum column in ``newdata`` every stratum has one block with a curve per
    newdata row; with it, each newdata row is its own one-curve block in its own stratum.
    """

    strata_column: str
    strata: tuple[str, ...]  # the stratum of each block
    blocks: tuple[PredictedCurves, ...]

    def to_frame(self) -> pd.DataFrame:
        """Long format: stratum, curve, time, n_risk, n_event, surv, std_err, lower, upper."""
        parts = [
            b.to_frame().assign(stratum=s) for s, b in zip(self.strata, self.blocks, strict=True)
        ]
        out = pd.concat(parts, ignore_index=True)
        return out[["stratum", *[c for c in out.columns if c != "stratum"]]]


@dataclass(frozen=True)
class AdjustedCurves:
    """Directly adjusted (cohort-average) survival per arm level."""

    arm: str
    levels: tuple[str, ...]
    time: np.ndarray = field(repr=False)
    surv: np.ndarray = field(repr=False)  # times x levels
    n: int = 0

    def to_frame(self) -> pd.DataFrame:
        """Long format: arm level, time, surv."""
        return pd.concat(
            [
                pd.DataFrame({"level": lev, "time": self.time, "surv": self.surv[:, j]})
                for j, lev in enumerate(self.levels)
            ],
            ignore_index=True,
        )


def _new_x(des, newdata: pd.DataFrame) -> np.ndarray:
    """Design rows for ``newdata`` with the model's columns (indicator per level)."""
    cols = []
    for cov, lev, _ref in des.columns:
        if cov not in newdata.columns:
            raise InputError(
                f"newdata lacks column {cov!r}; give a value for every model covariate."
            )
        v = newdata[cov]
        if v.isna().any():
            raise InputError(f"newdata column {cov!r} has missing values; fill them in.")
        if lev is None:
            cols.append(pd.to_numeric(v, errors="raise").to_numpy(dtype=np.float64))
        else:
            cols.append(np.array([_level_str(x) == lev for x in v], dtype=np.float64))
    return np.column_stack(cols)


def _baseline(rs, beta):
    """Per distinct stop time: n at risk, events, and the term sums of agsurv (hazard,
    variance and xbar increments) on the centred scale."""
    s0, m, _r, _eta, shift = rs.terms(beta)
    s0c = s0 * np.exp(shift)  # risk sums of exp(centred lp)
    tw = rs.term_wt
    haz_t, var_t, xb_t = tw / s0c, tw / s0c**2, (tw / s0c)[:, None] * m
    nset = rs.nsets
    haz = np.bincount(rs.term_set, weights=haz_t, minlength=nset)
    varh = np.bincount(rs.term_set, weights=var_t, minlength=nset)
    xbar = np.zeros((nset, m.shape[1]))
    np.add.at(xbar, rs.term_set, xb_t)
    return haz, varh, xbar


def _fit_for_curves(
    data,
    time,
    event,
    covariates,
    ties,
    reference,
    categorical,
    start,
    weights,
    strata=None,
    cluster=None,
):
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    ed = ext_data(
        data,
        time,
        event,
        covariates,
        reference=reference,
        categorical=categorical,
        start=start,
        weights=weights,
        strata=strata,
        cluster=cluster,
    )
    des, rs, fit, _aliased = fit_arrays(ed, ties)
    beta = fit[0]
    var = _inverse(fit[5])
    # R's survfit takes fit$var: the robust one with a cluster or non-integer weights
    if ed.cluster is not None or bool(np.any(ed.weight != np.floor(ed.weight))):
        var = robust_var(rs, beta, var, ed.weight, ed.cluster)[0]
    return ed, des, rs, beta, var


def _predict(ed, des, rs, beta, var, xnew, conf_type, conf_level, se_fit=True, stratum=None):
    """Curves for the rows of ``xnew`` on the baseline of one stratum (R's agsurv per
    stratum, centred on the whole cohort's means as coxph's ``means``)."""
    haz, varh, xbar = _baseline(rs, beta)
    first = np.zeros(rs.nsets, dtype=np.int64)
    first[rs.dinv[::-1]] = rs.dead[::-1]
    set_time = ed.stop[first]
    if stratum is None:
        stops = ed.stop
    else:
        stops = ed.stop[ed.strata == stratum]
        keep = rs.set_stratum == stratum
        haz, varh, xbar, set_time = haz[keep], varh[keep], xbar[keep], set_time[keep]
    # R reports every distinct stop time; hazard increments are 0 at censor-only times
    grid = np.unique(stops)
    pos = np.searchsorted(grid, set_time)
    h0 = np.zeros(grid.size)
    v0 = np.zeros(grid.size)
    xb = np.zeros((grid.size, beta.size))
    np.add.at(h0, pos, haz)
    np.add.at(v0, pos, varh)
    np.add.at(xb, pos, xbar)
    h0, v0, xb = np.cumsum(h0), np.cumsum(v0), np.cumsum(xb, axis=0)
    zc = xnew - rs.center
    risk = np.exp(zc @ beta)
    cumhaz = np.outer(h0, risk)
    surv = np.exp(-cumhaz)
    if not se_fit:
        return grid, surv, None, None, None
    se = np.empty_like(cumhaz)
    for j in range(zc.shape[0]):
        dt = np.outer(h0, zc[j]) - xb
        with np.errstate(invalid="ignore"):  # NaN as R when V is not positive definite
            se[:, j] = risk[j] * np.sqrt(v0 + np.einsum("ij,jk,ik->i", dt, var, dt))
    lower = np.empty_like(surv)
    upper = np.empty_like(surv)
    for j in range(zc.shape[0]):
        lower[:, j], upper[:, j] = _confint(surv[:, j], se[:, j], conf_type, conf_level)
    return grid, surv, se, lower, upper


def _counts(ed, grid, stratum=None):
    from hccdash.coxext.counting import _at_risk  # late: counting imports fit

    rows = slice(None) if stratum is None else ed.strata == stratum
    start, stop, w, ev = ed.start[rows], ed.stop[rows], ed.weight[rows], ed.des.event[rows]
    nr = _at_risk(start, stop, w, grid)
    ne = np.bincount(np.searchsorted(grid, stop), weights=w * ev, minlength=grid.size)
    return nr, ne


def cox_survfit(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    newdata: pd.DataFrame,
    *,
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
    labels: Sequence[str] | None = None,
) -> PredictedCurves:
    """Predicted survival for covariate values, as ``survfit(coxph(...), newdata)``.

    Parameters
    ----------
    data, time, event, covariates, ties, reference, categorical, start, weights, cluster
        The model, as :func:`hccdash.cox.cox_fit`; the band uses the robust variance with a
        cluster or non-integer weights, as R (stratified models:
        :func:`cox_survfit_strata`).
    newdata : pandas.DataFrame
        One row per curve, with a value for every covariate.
    conf_type, conf_level
        Interval transform (R's default ``"log"``) and level.
    labels : sequence of str, optional
        Curve names (default ``"1"``, ``"2"``, ...).

    Returns
    -------
    PredictedCurves

    Examples
    --------
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9], "e": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "x": [0, 1, 0, 1, 1, 0, 1, 0]})
    >>> pc = cox_survfit(d, "t", "e", ["x"], pd.DataFrame({"x": [0, 1]}))
    >>> pc.surv.shape
    (8, 2)
    """
    _check_conf(conf_type, conf_level)
    if not isinstance(newdata, pd.DataFrame) or len(newdata) == 0:
        raise InputError("newdata must be a DataFrame with at least one row (one per curve).")
    ed, des, rs, beta, var = _fit_for_curves(
        data, time, event, covariates, ties, reference, categorical, start, weights,
        cluster=cluster,
    )  # fmt: skip
    xnew = _new_x(des, newdata)
    grid, surv, se, lower, upper = _predict(ed, des, rs, beta, var, xnew, conf_type, conf_level)
    nr, ne = _counts(ed, grid)
    labs = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(len(newdata)))
    if len(labs) != len(newdata):
        raise InputError(f"{len(labs)} labels for {len(newdata)} newdata rows; give one each.")
    return PredictedCurves(labs, grid, nr, ne, surv, se, lower, upper, conf_type, conf_level)


def _strata_key(frame: pd.DataFrame, scols: list[str]) -> pd.Series:
    """The stratum label of each row, as :func:`hccdash.coxext.fit.ext_data` names it."""
    if len(scols) > 1:
        return frame[scols].astype(str).agg(", ".join, axis=1)
    return frame[scols[0]].map(_level_str)


def cox_survfit_strata(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    newdata: pd.DataFrame,
    *,
    strata: str | Sequence[str],
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
    labels: Sequence[str] | None = None,
) -> StrataCurves:
    """Predicted survival from a stratified Cox model, as
    ``survfit(coxph(Surv(t, e) ~ x + strata(s)), newdata)``.

    Each stratum has its own baseline hazard (R's ``agsurv`` on the stratum's rows), the
    coefficients and their variance are shared (the robust variance for non-integer
    weights, as R). If ``newdata`` holds the stratum column(s), each row gets the curve of
    its own stratum; otherwise every stratum gets a curve for every row.

    Parameters
    ----------
    data, time, event, covariates, ties, reference, categorical, start, weights, cluster
        The model, as :func:`hccdash.cox.cox_fit`.
    newdata : pandas.DataFrame
        One row per covariate profile, with a value for every covariate (and optionally
        the stratum column(s)).
    strata : str or list of str
        The ``strata()`` column(s) of the model.
    conf_type, conf_level, labels
        As :func:`cox_survfit`.

    Returns
    -------
    StrataCurves

    Examples
    --------
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9], "e": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "x": [0, 1, 0, 1, 1, 0, 1, 0], "s": [1, 1, 1, 1, 2, 2, 2, 2]})
    >>> sc = cox_survfit_strata(d, "t", "e", ["x"], pd.DataFrame({"x": [0, 1]}), strata="s")
    >>> sc.strata, [b.surv.shape for b in sc.blocks]
    (('1', '2'), [(4, 2), (4, 2)])
    """
    _check_conf(conf_type, conf_level)
    if not isinstance(newdata, pd.DataFrame) or len(newdata) == 0:
        raise InputError("newdata must be a DataFrame with at least one row (one per curve).")
    scols = [strata] if isinstance(strata, str) else list(strata)
    if not scols:
        raise InputError("strata: name the stratum column(s) of the model.")
    ed, des, rs, beta, var = _fit_for_curves(
        data, time, event, covariates, ties, reference, categorical, start, weights, scols,
        cluster,
    )  # fmt: skip
    labs = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(len(newdata)))
    if len(labs) != len(newdata):
        raise InputError(f"{len(labs)} labels for {len(newdata)} newdata rows; give one each.")
    xnew = _new_x(des, newdata)
    lookup = {lab: k for k, lab in enumerate(ed.strata_labels)}

    def block(k: int, rows: np.ndarray) -> PredictedCurves:
        grid, surv, se, lo, up = _predict(
            ed, des, rs, beta, var, xnew[rows], conf_type, conf_level, stratum=k
        )
        nr, ne = _counts(ed, grid, k)
        return PredictedCurves(
            tuple(labs[i] for i in rows), grid, nr, ne, surv, se, lo, up, conf_type, conf_level
        )

    if all(c in newdata.columns for c in scols):
        if newdata[scols].isna().any().any():
            raise InputError(f"newdata column(s) {scols!r} have missing values; fill them in.")
        keys = _strata_key(newdata, scols)
        unknown = sorted(set(keys) - set(lookup))
        if unknown:
            raise InputError(
                f"newdata stratum value(s) {unknown!r} of {scols!r} are not strata of the "
                f"model ({list(ed.strata_labels)!r}); choose one of those, or leave the "
                "column out to get a curve in every stratum."
            )
        ks = [lookup[k] for k in keys]
        blocks = tuple(block(k, np.array([i])) for i, k in enumerate(ks))
        names = tuple(ed.strata_labels[k] for k in ks)
    else:
        rows = np.arange(len(newdata))
        present = [k for k in range(len(ed.strata_labels)) if np.any(ed.strata == k)]
        blocks = tuple(block(k, rows) for k in present)
        names = tuple(ed.strata_labels[k] for k in present)
    return StrataCurves(", ".join(scols), names, blocks)


def direct_adjusted(
    data: pd.DataFrame,
    time: str,
    event: str,
    arm: str,
    covariates: Sequence[str],
    *,
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
) -> AdjustedCurves:
    """Directly adjusted survival per level of ``arm`` (cohort-average predicted curve).

    The model is ``arm + covariates``; for each arm level every patient's covariates are
    kept and the arm is set to that level; the curves are averaged.
    R: ``fit <- coxph(Surv(time, event) ~ arm + ..., data)``; for each level a,
    ``rowMeans(survfit(fit, newdata = transform(data, arm = a))$surv)``.

    Returns
    -------
    AdjustedCurves
    """
    covs = [c for c in ([covariates] if isinstance(covariates, str) else covariates) if c != arm]
    cat = sorted({*(categorical or ()), arm})
    ed, des, rs, beta, var = _fit_for_curves(
        data, time, event, [arm, *covs], ties, reference, cat, start, weights
    )
    levels = tuple(dict.fromkeys(lev for cov, lev, ref in des.columns if cov == arm))
    ref = next(r for cov, _lev, r in des.columns if cov == arm)
    levels = (ref, *levels)
    if len(levels) < 2:
        raise AnalysisError(f"Column {arm!r} has one level; direct adjustment needs two arms.")
    frame = data.loc[_complete_index(data, [time, event, arm, *covs, start, weights])]
    out = []
    for lev in levels:
        nd = frame.assign(**{arm: lev})
        grid, surv, *_ = _predict(
            ed, des, rs, beta, var, _new_x(des, nd), "log", 0.95, se_fit=False
        )
        out.append(surv.mean(axis=1))
    return AdjustedCurves(arm, levels, grid, np.column_stack(out), n=len(frame))


def _complete_index(data: pd.DataFrame, cols) -> pd.Index:
    cols = [c for c in cols if c is not None]
    return data.index[data[cols].notna().all(axis=1).to_numpy()]

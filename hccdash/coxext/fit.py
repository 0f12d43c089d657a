"""Cox models with strata, (start, stop] data, case weights and robust (sandwich) variance.

:func:`cox_fit_ext` is what :func:`hccdash.cox.cox_fit` runs when any of ``strata=``,
``start=``, ``weights=``, ``cluster=`` or ``robust=`` is given. It reproduces R's

``coxph(Surv(start, stop, event) ~ x + strata(s), weights = w, cluster = id, data)``

to the last digit R prints: the same Newton-Raphson as the plain fit (``coxph.control(eps =
1e-12)``) on the counting-process likelihood of R's ``agfit4`` (Efron or Breslow), the
naive variance ``I^-1``, and, when robust, R's grouped-jackknife sandwich
``D'D`` with ``D`` the weighted dfbeta residuals summed within cluster
(``residuals(fit, "dfbeta", collapse = cluster, weighted = TRUE)``), the robust Wald test
and R's robust score test (``fit$rscore``). As in R, ``robust`` defaults to True when a
cluster is given or a weight is not a whole number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.compare import ChisqTest
from hccdash.cox.concordance import concordance
from hccdash.cox.design import _design, _level_str, _sort_levels, _term_name
from hccdash.cox.fit import EPV_WARN, _cox_terms
from hccdash.cox.newton import (
    _fit_without_flat,
    _inverse,
    _no_information_message,
    _separated,
    _solve,
)
from hccdash.cox.results import CoxResult, _global_tests
from hccdash.coxext.concordance import concordance_ag
from hccdash.coxext.engine import AgRiskSets
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import near_tie_merge
from hccdash.nonparametric.ties import aeq_times
from hccdash.validate import complete_cases

__all__ = ["ExtData", "cox_fit_ext", "ext_data"]


@dataclass(frozen=True)
class ExtData:
    """Validated model data: the plain design plus intervals, strata, weights, clusters."""

    des: object  # hccdash.cox._Design (stop times in ``time``)
    start: np.ndarray  # -inf without a start column
    stop: np.ndarray
    strata: np.ndarray  # codes 0..S-1
    strata_labels: tuple[str, ...]
    weight: np.ndarray
    cluster: np.ndarray | None  # codes 0..C-1
    dropped: int


def _aeq_intervals(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``aeqSurv`` on Surv(start, stop): near-ties merged over start and stop jointly."""
    y = np.unique(np.concatenate([start[np.isfinite(start)], stop]))
    merged = near_tie_merge(y)
    if merged is None:
        return start, stop
    cuts = y[~merged]

    def snap(v: np.ndarray) -> np.ndarray:
        out = v.copy()
        fin = np.isfinite(v)
        out[fin] = cuts[np.searchsorted(cuts, v[fin], side="right") - 1]
        return out

    s2, e2 = snap(start), snap(stop)
    if np.any(s2 >= e2):
        bad = int((s2 >= e2).sum())
        raise InputError(
            f"{bad} row(s) have a start time equal to the stop time once floating-point "
            "near-ties are merged (as R's timefix does); give each interval a positive length."
        )
    return s2, e2


def _codes(col: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes in R's level order (factorise once, name only the distinct values)."""
    codes, uniques = pd.factorize(col)
    levels = _sort_levels(pd.Series(uniques, dtype=object))
    lookup = {lev: i for i, lev in enumerate(levels)}
    remap = np.array([lookup[_level_str(v)] for v in uniques], dtype=np.int64)
    return remap[codes], tuple(levels)


def ext_data(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    *,
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    strata: str | Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
) -> ExtData:
    """Complete cases over every column used, validated once."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    scols = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    extra = [c for c in (*scols, start, weights, cluster) if c is not None]
    overlap = [c for c in extra if c in covs or c in (time, event)]
    if overlap:
        raise InputError(
            f"Column(s) {overlap!r} are used both as a model covariate (or time/event) and "
            "as strata, start, weights or cluster; use each column in one role."
        )
    frame, dropped = complete_cases(data, [time, event, *covs, *extra])
    if len(frame) == 0:
        raise AnalysisError(
            f"No complete rows: all {len(data)} rows miss a value in one of "
            f"{[time, event, *covs, *extra]!r}. Fill in these columns or choose others."
        )
    des = _design(frame, time, event, covs, reference, categorical)
    stop = pd.to_numeric(frame[time].astype(object)).to_numpy(dtype=np.float64) + 0.0
    n = stop.size
    if start is not None:
        st = pd.to_numeric(frame[start], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(st) | (st >= stop)
        if bad.any():
            rows = np.flatnonzero(bad)[:5] + 1
            raise InputError(
                f"Column {start!r}: {int(bad.sum())} row(s) have a start time that is not a "
                f"number below the stop time {time!r} (rows {rows.tolist()} of the complete "
                "rows). Each row is the interval (start, stop]; fix those rows."
            )
        st, stop = _aeq_intervals(st, stop)
    else:
        st = np.full(n, -np.inf)
        stop = aeq_times(stop)
    if scols:
        key = frame[scols].astype(str).agg(", ".join, axis=1) if len(scols) > 1 else frame[scols[0]]
        scodes, slabels = _codes(key)
    else:
        scodes, slabels = np.zeros(n, dtype=np.int64), ()
    if weights is not None:
        w = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            raise InputError(
                f"Column {weights!r}: {int(bad.sum())} weight(s) are not positive finite "
                f"numbers (e.g. {frame[weights].to_numpy()[bad][0]!r}); case weights must be "
                "> 0. Fix the weights or choose another column."
            )
    else:
        w = np.ones(n)
    ccodes = _codes(frame[cluster])[0] if cluster is not None else None
    return ExtData(des, st, stop, scodes, slabels, w, ccodes, dropped)


def _collapse(m: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    if cluster is None:
        return m
    out = np.zeros((int(cluster.max()) + 1, m.shape[1]))
    np.add.at(out, cluster, m)
    return out


def robust_var(rs: AgRiskSets, beta, var, weight, cluster):
    """R's sandwich: D'D, D the weighted dfbeta residuals summed within cluster."""
    dfb = _collapse((rs.score_residuals(beta) * weight[:, None]) @ var, cluster)
    return dfb.T @ dfb, dfb


def _wtest(var: np.ndarray, b: np.ndarray) -> float:
    return float(b @ _solve(var, b))


def fit_arrays(ed: ExtData, ties: str):
    """Fit on validated data, leaving out columns with no information (NA as R).

    Returns (reduced design, risk sets, newton tuple, dropped column indices)."""

    def risk_sets(des):
        return AgRiskSets(ed.start, ed.stop, des.event, des.x, ed.weight, ed.strata, ties)

    return _fit_without_flat(ed.des, risk_sets, " (in the same stratum)")


def cox_fit_ext(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str],
    *,
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    conf_level: float = 0.95,
    strata: str | Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool | None = None,
) -> CoxResult:
    """Stratified / counting-process / weighted Cox fit with optional robust variance.

    Parameters are those of :func:`hccdash.cox.cox_fit` plus:

    strata : str or list of str, optional
        ``+ strata(s)``: a separate baseline hazard per level (per combination).
    start : str, optional
        Entry time column: rows are ``(start, time]`` intervals (time-varying covariates,
        delayed entry), R's ``Surv(start, time, event)``.
    weights : str, optional
        Case weights (> 0), R's ``weights =``.
    cluster : str, optional
        Patient id for rows of the same patient: robust variance summed by cluster.
    robust : bool, optional
        Sandwich variance; default as R: True with a cluster or non-integer weights.

    Returns
    -------
    hccdash.cox.CoxResult
        ``terms[].se`` is the model-based SE; ``terms[].robust_se`` the sandwich SE when
        robust (then z, p and the interval use it, as R's ``summary`` does, and ``wald`` is
        the robust Wald test, ``robust_score`` R's robust score test).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9], "e": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "x": [0, 1, 0, 1, 1, 0, 1, 0], "s": [1, 1, 1, 1, 2, 2, 2, 2]})
    >>> res = cox_fit_ext(d, "t", "e", ["x"], strata="s")
    >>> round(res.terms[0].coef, 6)  # R: coef(coxph(Surv(t, e) ~ x + strata(s), d))
    0.948231
    """
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be between 0 and 1, got {conf_level!r}.")
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
        cluster=cluster,
    )
    des_all = ed.des
    all_names = tuple(_term_name(*c) for c in des_all.columns)
    has_rwt = bool(np.any(ed.weight != np.floor(ed.weight)))
    if robust is None:
        robust = ed.cluster is not None or has_rwt
    des, rs, fit, aliased = fit_arrays(ed, ties)
    beta, loglik, loglik0, score, u, imat, converged, iters = fit
    p = beta.size
    var = _inverse(imat)
    se = np.sqrt(np.clip(np.diag(var), 0, None))
    names = tuple(_term_name(*c) for c in des.columns)
    msgs: list[str] = [_no_information_message(all_names, aliased)] if aliased else []
    separated = _separated(des, beta, u, var, converged)
    if separated:
        listed = ", ".join(repr(names[j]) for j in separated)
        msgs.append(
            f"Monotone likelihood (separation) for {listed}: the hazard ratio can grow "
            "without bound, so its estimate, interval and p-value are meaningless. Merge "
            "sparse levels or drop the covariate."
        )
    if not converged:
        msgs.append(f"The fit did not converge in {iters} iterations; treat it with caution.")
    events = int(des.event.sum())
    epv = events / max(p, 1)
    if epv < EPV_WARN:
        msgs.append(
            f"Only {epv:.1f} events per variable ({events} events, {p} coefficients); below "
            "10 the estimates are unstable. Use fewer covariates."
        )
    if robust and ed.cluster is None and start is not None:
        msgs.append(
            "The robust SE treats every (start, stop] row as its own patient (as R's coxph "
            "does without a cluster); when a patient has several rows, choose the patient id "
            "as the cluster column."
        )
    rse = None
    rscore = None
    nclus = None
    if robust:
        rvar, dfb = robust_var(rs, beta, var, ed.weight, ed.cluster)
        rse = np.sqrt(np.clip(np.diag(rvar), 0, None))
        s0 = _collapse(rs.score_residuals(np.zeros(p)) * ed.weight[:, None], ed.cluster)
        u0 = s0.sum(axis=0)
        rs_stat = _wtest(s0.T @ s0, u0)
        rscore = ChisqTest(rs_stat, p, float(stats.chi2.sf(rs_stat, p)))
        nclus = int(dfb.shape[0])
        wald = _wtest(rvar, beta)
        use_se = rse
    else:
        wald = _wtest(var, beta)
        use_se = se
    terms = _cox_terms(des_all.columns, aliased, beta, se, conf_level, use_se, rse)
    if start is None and weights is None:
        conc, conc_se = concordance(des.time, des.event, des.x @ beta, ed.strata, ed.cluster)
    else:  # R's concordance4 / weighted concordance3
        cres = concordance_ag(
            ed.start, ed.stop, des.event, des.x @ beta, ed.weight, ed.strata, ed.cluster
        )
        conc, conc_se = cres.concordance, cres.std
    return CoxResult(
        ties=ties,
        n=int(des.x.shape[0]),
        events=events,
        dropped=ed.dropped,
        terms=terms,
        **_global_tests(loglik0, loglik, wald, score, p),
        concordance=conc,
        concordance_se=conc_se,
        converged=bool(converged),
        iterations=int(iters),
        separation=bool(separated),
        separated_terms=tuple(names[j] for j in separated),
        penalized=False,
        events_per_variable=float(epv),
        warnings=tuple(msgs),
        conf_level=conf_level,
        robust=bool(robust),
        robust_score=rscore,
        n_clusters=nclus,
        strata=ed.strata_labels,
        weighted=weights is not None,
        start=start,
    )

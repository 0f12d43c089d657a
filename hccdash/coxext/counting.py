"""Kaplan-Meier and log-rank on (start, stop] data (delayed entry) and with case weights.

* :func:`km_counting` is R's ``survfit(Surv(start, stop, event) ~ group, weights = w)``:
  a patient is at risk at t when ``start < t <= stop``, so a patient who entered the registry
  late does not count before entry (left truncation). Weighted counts are sums of weights.
  Variance as R chooses it: Greenwood with whole-number (frequency) weights, the
  infinitesimal-jackknife (robust) variance with non-integer weights or a cluster column
  (R's default ``robust``), summed within cluster.
* :func:`logrank_counting` is the log-rank test on those risk sets: R's ``survdiff`` formula
  (O - E and the hypergeometric variance at each event time) with counting-process numbers
  at risk. R's ``survdiff`` itself refuses (start, stop] data; the reference computes the same
  formula from R's ``survfit`` counts.

Our ``std_err`` is always the standard error on the log scale (of ``-log S``, as for the
unweighted curves); R's robust ``survfit`` stores se(S) instead (``logse = FALSE``), i.e.
``std_err * surv``. The confidence limits are the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hccdash.compare import SurvdiffResult, weighted_stat
from hccdash.compare.kernel import check_groups, no_events_error, survdiff_result
from hccdash.coxext.fit import _aeq_intervals
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import KMResult, SurvCurve, aeq_times, group_codes
from hccdash.nonparametric.confint import _check_conf, _confint
from hccdash.validate import survival_arrays

__all__ = ["km_counting", "logrank_counting"]

_DENSE_LIMIT = 50_000_000  # cluster x time cells of the clustered jackknife


def _arrays(data, time, event, group, start, weights, cluster, levels):
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    t, e, missing = survival_arrays(data, time, event)
    cols = [c for c in (group, start, weights, cluster) if c is not None]
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise InputError(f"Column {absent[0]!r} is not in the data; choose an existing column.")
    for c in cols:
        missing |= data[c].isna().to_numpy()
    if group is not None:
        codes, labels = group_codes(data[group], levels)
        missing |= codes < 0
    else:
        codes, labels = np.zeros(t.size, dtype=np.int64), ()
    keep = ~missing
    if not keep.any():
        raise InputError(
            f"No complete rows: all {len(data)} rows miss one of "
            f"{[time, event, *cols]!r}. Fill in the data or choose other columns."
        )
    t, e, codes = t[keep], e[keep].astype(np.float64), codes[keep]
    if start is not None:
        st = pd.to_numeric(data[start], errors="coerce").to_numpy(dtype=np.float64)[keep]
        bad = ~np.isfinite(st) | (st >= t)
        if bad.any():
            raise InputError(
                f"Column {start!r}: {int(bad.sum())} row(s) have a start time that is not a "
                f"number below the stop time {time!r}. Each row is the interval "
                "(start, stop]; fix those rows."
            )
        st, t = _aeq_intervals(st, t)
    else:
        st = np.full(t.size, -np.inf)
        t = aeq_times(t)
    if weights is not None:
        w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=np.float64)[keep]
        if np.any(~np.isfinite(w) | (w <= 0)):
            bad = int(np.sum(~np.isfinite(w) | (w <= 0)))
            raise InputError(
                f"Column {weights!r}: {bad} weight(s) are not positive finite numbers; case "
                "weights must be > 0. Fix the weights or choose another column."
            )
    else:
        w = np.ones(t.size)
    cl = None
    if cluster is not None:
        cl = pd.factorize(data[cluster].to_numpy()[keep])[0]
    return st, t, e, w, codes, labels, cl, int(missing.sum())


def _at_risk(start, stop, w, grid):
    """Weighted number at risk at each grid time: sum of w over start < t <= stop."""
    o1, o2 = np.argsort(stop, kind="stable"), np.argsort(start, kind="stable")
    c1 = np.concatenate([[0.0], np.cumsum(w[o1])])
    c2 = np.concatenate([[0.0], np.cumsum(w[o2])])
    a = c1[-1] - c1[np.searchsorted(stop[o1], grid, side="left")]
    b = c2[-1] - c2[np.searchsorted(start[o2], grid, side="left")]
    return a - b


def _ij_var(start, stop, e, w, grid, nr, ne, cluster):
    """Infinitesimal-jackknife variance of log KM at each grid time (R robust survfit)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(ne > 0, 1 / (nr - ne) - 1 / nr, 0.0)
        b = np.where(ne > 0, 1 / (nr - ne), 0.0)
    acum = np.concatenate([[0.0], np.cumsum(a)])
    lo = np.searchsorted(grid, start, side="right")
    hi = np.searchsorted(grid, stop, side="left")
    c = acum[hi + 1] - acum[lo] - e * b[hi]
    J = grid.size
    if cluster is None:
        w2 = w * w
        t1 = np.cumsum(np.bincount(hi, weights=w2 * c * c, minlength=J))

        def active(v):
            return np.cumsum(
                np.bincount(lo, weights=v, minlength=J + 1)[:J]
                - np.bincount(hi, weights=v, minlength=J + 1)[:J]
            )

        al = acum[lo]
        w0, w1, w2s = active(w2), active(w2 * al), active(w2 * al * al)
        aj = acum[1:]
        return np.maximum(t1 + aj * aj * w0 - 2 * aj * w1 + w2s, 0.0)
    ncl = int(cluster.max()) + 1
    if ncl * J > _DENSE_LIMIT:
        raise AnalysisError(
            f"The clustered variance needs {ncl} clusters x {J} times, too many for memory; "
            "use fewer rows (filters) or no cluster column."
        )
    j = np.arange(J)
    out = np.zeros((ncl, J))
    for i in range(start.size):
        row = np.where(j < lo[i], 0.0, acum[np.minimum(j, hi[i]) + 1] - acum[lo[i]])
        row[j >= hi[i]] -= e[i] * b[hi[i]]
        out[cluster[i]] += w[i] * row
    return (out * out).sum(axis=0)


def _curve(start, stop, e, w, cluster, robust, name, conf_type, conf_level) -> SurvCurve:
    grid = np.unique(stop)
    nr = _at_risk(start, stop, w, grid)
    idx = np.searchsorted(grid, stop)
    ne = np.bincount(idx, weights=w * e, minlength=grid.size)
    nc = np.bincount(idx, weights=w * (1 - e), minlength=grid.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1 - ne / nr)
        if robust:
            se = np.sqrt(_ij_var(start, stop, e, w, grid, nr, ne, cluster))
        else:
            se = np.sqrt(np.cumsum(np.where(ne > 0, ne / (nr * (nr - ne)), 0.0)))
    lower, upper = _confint(surv, se, conf_type, conf_level)
    return SurvCurve(
        group=name,
        n=int(stop.size),
        events=int(e.sum()),
        time=grid,
        n_risk=nr,
        n_event=ne,
        n_censor=nc,
        surv=surv,
        std_err=se,
        lower=lower,
        upper=upper,
        conf_type=conf_type,
        conf_level=float(conf_level),
    )


def km_counting(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str | None = None,
    *,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool | None = None,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    levels: Sequence[str] | None = None,
) -> KMResult:
    """Kaplan-Meier curves with delayed entry and/or case weights, as R's ``survfit``.

    R: ``survfit(Surv(start, time, event) ~ group, data, weights = w, cluster = id,
    conf.type = ...)``. ``n_risk``, ``n_event`` and ``n_censor`` are weighted sums.

    Parameters
    ----------
    data, time, event, group, conf_type, conf_level, levels
        As :func:`hccdash.nonparametric.kaplan_meier`.
    start : str, optional
        Entry-time column (left truncation); rows are ``(start, time]``.
    weights : str, optional
        Case weights (> 0).
    cluster : str, optional
        Patient id: the robust variance sums each patient's rows.
    robust : bool, optional
        Default as R: True with non-integer weights or a cluster.

    Returns
    -------
    hccdash.nonparametric.KMResult

    Examples
    --------
    >>> d = pd.DataFrame({"entry": [0, 0, 2, 1, 3, 0], "t": [4, 5, 6, 3, 7, 2],
    ...                   "e": [1, 0, 1, 1, 0, 1]})
    >>> km_counting(d, "t", "e", start="entry").curve().n_risk.tolist()  # R: fit$n.risk
    [4.0, 4.0, 4.0, 3.0, 2.0, 1.0]
    """
    _check_conf(conf_type, conf_level)
    st, t, e, w, codes, labels, cl, dropped = _arrays(
        data, time, event, group, start, weights, cluster, levels
    )
    if robust is None:
        robust = cl is not None or bool(np.any(w != np.floor(w)))
    names = labels if group is not None else (None,)
    curves = []
    for k, name in enumerate(names):
        sel = codes == k
        if not sel.any():
            continue
        sub_cl = None
        if cl is not None:
            sub_cl = np.unique(cl[sel], return_inverse=True)[1].ravel()
        curves.append(
            _curve(st[sel], t[sel], e[sel], w[sel], sub_cl, robust, name, conf_type, conf_level)
        )
    return KMResult(
        curves=tuple(curves),
        group=group,
        n=int(t.size),
        events=int(e.sum()),
        dropped=dropped,
        conf_type=conf_type,
        conf_level=float(conf_level),
    )


def logrank_counting(
    data: pd.DataFrame,
    time: str,
    event: str,
    group: str,
    *,
    start: str,
    strata: str | None = None,
    levels: Sequence[str] | None = None,
) -> SurvdiffResult:
    """Log-rank test with delayed entry: R's survdiff statistic on (start, stop] risk sets.

    At each distinct event time (within stratum) with n_k at risk (``start < t <= stop``) and
    d_k events per group: O - E = sum (d_k - d n_k / n), V = sum d (n - d) / (n - 1)
    (n_k / n)(delta - n_j / n); chisq = (O - E)' V^- (O - E) over groups with E > 0.
    Without late entries it equals :func:`hccdash.compare.survdiff`.

    Examples
    --------
    >>> d = pd.DataFrame({"entry": [0, 0, 2, 1, 3, 0, 0, 1], "t": [4, 5, 6, 3, 7, 2, 8, 9],
    ...                   "e": [1, 0, 1, 1, 0, 1, 1, 1], "g": list("aabbabab")})
    >>> round(logrank_counting(d, "t", "e", "g", start="entry").chisq, 6)
    0.363636
    """
    # the strata column is factorised like a cluster column (codes 0..S-1)
    st, t, e, _w, codes, labels, scodes, _dropped = _arrays(
        data, time, event, group, start, None, strata, levels
    )
    k = len(labels)
    if e.sum() == 0:
        raise no_events_error(event, t.size)
    sizes = np.bincount(codes, minlength=k)
    check_groups(group, labels, sizes)
    obs, exp, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for s in np.unique(scodes) if scodes is not None else [None]:
        sel = np.ones(t.size, bool) if s is None else scodes == s
        dt = np.unique(t[sel & (e > 0)])
        if dt.size == 0:
            continue
        nk = np.stack([_at_risk(st[sel & (codes == g)], t[sel & (codes == g)],
                                np.ones(int((sel & (codes == g)).sum())), dt)
                       for g in range(k)])  # fmt: skip
        dk = np.zeros((k, dt.size))
        hit = sel & (e > 0)
        np.add.at(dk, (codes[hit], np.searchsorted(dt, t[hit])), 1.0)
        o, x, v = weighted_stat(dk, nk)  # the log-rank sums on these risk sets
        obs, exp, var = obs + o, exp + x, var + v
    return survdiff_result("logrank", labels, sizes, obs, obs, exp, var, strata=strata)

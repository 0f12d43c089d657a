"""The statistic of the log-rank family: one counting kernel, the weights, the chi-square.

Everything here works on arrays already validated by :mod:`hccdash.compare.logrank`; the
weights are the module table of :mod:`hccdash.compare`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hccdash.chisq import chi2
from hccdash.compare.results import METHODS, SurvdiffResult, TrendResult
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import _decode_times, _key_bits, _runs, aeq_times, near_tie_merge


def _event_table(
    time: np.ndarray, event: np.ndarray, codes: np.ndarray, k: int, merge: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """At each pooled distinct event time: events (k x D) and numbers at risk (k x D).

    ``merge=False`` when the times were already merged by :func:`aeq_times` (strata: R merges
    near-ties once on the pooled times, before splitting by stratum)."""
    packed = _key_bits(time)
    gbits = max(int(k - 1).bit_length(), 0)
    shift = gbits + 1
    use_packed = packed is not None and packed[2] + shift <= 62
    if use_packed:
        key, offset, _ = packed  # a fresh array: build the packed key in place
        # time in the high bits, then group, then event: one value sort orders all rows by
        # time, and runs of equal high bits are the distinct times
        key <<= shift
        key |= np.left_shift(codes, 1, dtype=np.int64)
        key |= event
        key.sort()
        low = key & ((1 << shift) - 1)
        key >>= shift
    else:
        order = np.argsort(time, kind="stable")
        key = time[order]
        low = (codes.astype(np.int64) << 1 | event)[order]
    first = _runs(key)
    # R's timefix: near-tied distinct times are one time (merge their runs)
    times = _decode_times(key[first], offset) if use_packed else key[first]
    merged = near_tie_merge(times) if merge else None
    if merged is not None:
        first = first[~merged]
    ev = low & 1
    low >>= 1  # now the group code
    return _counts_at_event_times(first, low, ev, k)


def _counts_at_event_times(
    first: np.ndarray, group: np.ndarray, event: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Events and numbers at risk per group at each distinct time with an event.

    Parameters
    ----------
    first : numpy.ndarray
        Start index of each run of one distinct time in the time-sorted rows.
    group, event : numpy.ndarray
        Group code (0..k-1) and event indicator (0/1) of the time-sorted rows.
    k : int
        Number of groups.

    Returns
    -------
    dk, nk : numpy.ndarray
        ``(k, D)`` float arrays over the ``D`` runs holding an event: events in each group at
        that time, and patients of each group still at risk (time >= that time).

    Two ``bincount`` calls on (group, event-time index) pairs: a row is at risk at every
    event time up to and including its own, so the numbers at risk are reverse cumulative
    sums of the rows counted at their last event time.

    Examples
    --------
    >>> first = np.array([0, 2, 3])  # times 1, 1 | 2 | 3 (sorted rows)
    >>> dk, nk = _counts_at_event_times(first, np.array([0, 1, 1, 0]), np.array([1, 0, 0, 1]), 2)
    >>> dk.tolist(), nk.tolist()
    ([[1.0, 1.0], [0.0, 0.0]], [[2.0, 1.0], [2.0, 0.0]])
    """
    n = event.size
    ev_run = np.add.reduceat(event, first) > 0 if n else np.zeros(0, dtype=bool)
    d = int(ev_run.sum())
    # per row: how many event times are <= its time (its run's place among the event runs)
    m = np.repeat(np.cumsum(ev_run), np.diff(np.append(first, n)))
    rows = np.bincount(group * (d + 1) + m, minlength=k * (d + 1)).reshape(k, d + 1)
    nk = np.cumsum(rows[:, ::-1], axis=1)[:, ::-1][:, 1:].astype(np.float64)
    hit = event.astype(bool)
    dk = np.bincount(group[hit] * d + m[hit] - 1, minlength=k * d).reshape(k, d)
    return dk.astype(np.float64), nk


def _weights(d: np.ndarray, n: np.ndarray, method: str, p: float, q: float) -> np.ndarray:
    """Weights at the pooled event times (d, n are totals over groups)."""
    if method == "logrank":
        return np.ones_like(d)
    if method == "wilcoxon":
        return n.copy()
    if method == "tarone-ware":
        return np.sqrt(n)
    s_before = np.concatenate(([1.0], np.cumprod(1.0 - d / n)[:-1]))  # pooled KM at t-
    if method == "peto":
        return s_before
    with np.errstate(divide="ignore"):
        return s_before**p * (1.0 - s_before) ** q


def _stat(
    time: np.ndarray,
    event: np.ndarray,
    codes: np.ndarray,
    k: int,
    method: str,
    p: float,
    q: float,
    merge: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted observed, expected and variance matrix for one stratum."""
    dk, nk = _event_table(time, event, codes, k, merge)
    return weighted_stat(dk, nk, method, p, q)


def weighted_stat(
    dk: np.ndarray, nk: np.ndarray, method: str = "logrank", p: float = 0.0, q: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted observed, expected and variance matrix from counts at the event times.

    ``dk`` and ``nk`` are groups x pooled distinct event times (one stratum, R's near-tie
    rule applied): events and numbers at risk. This is the whole statistic once the rows
    are counted, so pre-aggregated counts (``hccdash.engine``) give the same test.

    Examples
    --------
    >>> dk = np.array([[1.0, 0.0], [0.0, 1.0]])  # group 1 dies first, then group 2
    >>> nk = np.array([[2.0, 1.0], [2.0, 1.0]])
    >>> o, e, v = weighted_stat(dk, nk)
    >>> o.tolist(), e.tolist()
    ([1.0, 1.0], [1.0, 1.0])
    """
    dk = np.asarray(dk, dtype=np.float64)
    nk = np.array(nk, dtype=np.float64)  # a copy: divided in place below
    d = dk.sum(axis=0)
    n = nk.sum(axis=0)
    frac = nk
    frac /= n  # n_k / n, in place (nk is ours)
    # variance factor d (n - d) / (n - 1); 0 where n == 1 (then d (n - d) == 0 too)
    vfac = n - d
    vfac *= d
    nm1 = n - 1.0
    np.divide(vfac, nm1, out=vfac, where=nm1 > 0)
    vfac[nm1 <= 0] = 0.0
    if method == "logrank":  # w == 1: skip the weight products
        obs = dk.sum(axis=1)
        exp = frac @ d
    else:
        w = _weights(d, n, method, p, q)
        obs = dk @ w
        exp = frac @ (w * d)
        vfac *= w * w
    fv = frac * vfac
    var = np.diag(fv.sum(axis=1)) - fv @ frac.T
    return obs, exp, var


def _chisq(obs: np.ndarray, exp: np.ndarray, var: np.ndarray) -> tuple[float, int]:
    """R survdiff: groups with expected > 0, drop the first, solve."""
    keep = np.flatnonzero(exp > 0)
    if keep.size < 2:
        return 0.0, 0
    u = (obs - exp)[keep][1:]
    v = var[np.ix_(keep, keep)][1:, 1:]
    try:
        sol = np.linalg.solve(v, u)
    except np.linalg.LinAlgError:
        sol = np.linalg.pinv(v) @ u
    return float(u @ sol), int(keep.size - 1)


def _check_method(method: str, p: float, q: float) -> None:
    if method not in METHODS:
        raise InputError(
            f"Test method {method!r} is not supported; use one of {', '.join(map(repr, METHODS))}."
        )
    if method == "fleming-harrington" and not (p >= 0 and q >= 0):
        raise InputError(f"Fleming-Harrington p={p!r} and q={q!r} must both be >= 0.")


def _compute(
    t: np.ndarray,
    e: np.ndarray,
    codes: np.ndarray,
    k: int,
    scodes: np.ndarray | None,
    method: str,
    p: float,
    q: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if scodes is None:
        return _stat(t, e, codes, k, method, p, q)
    obs, exp, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    # R's survdiff applies timefix (aeqSurv) to the pooled times, then splits by stratum: a
    # near-tie chain that crosses strata merges as it does in R (issue 18, item 8a)
    t = aeq_times(t)
    for s in np.unique(scodes):
        sel = scodes == s
        if not e[sel].any():
            continue
        o, x, v = _stat(t[sel], e[sel], codes[sel], k, method, p, q, merge=False)
        obs, exp, var = obs + o, exp + x, var + v
    return obs, exp, var


def check_groups(group: str, labels: Sequence[str], sizes: np.ndarray) -> None:
    """Raise the one message for fewer than 2 groups with data (``sizes`` per label)."""
    if int((np.asarray(sizes) > 0).sum()) < 2:
        present = [lab for lab, s in zip(labels, sizes, strict=True) if s > 0]
        raise AnalysisError(
            f"Column {group!r} has {len(present)} group(s) with data "
            f"({', '.join(map(repr, present)) or 'none'}); comparing curves needs at least 2. "
            "Choose another grouping column or widen the filters."
        )


def no_events_error(event: str | None, n: int) -> AnalysisError:
    """The one message for curves compared without a single event."""
    what = f"Column {event!r} has" if event else "There are"
    return AnalysisError(
        f"{what} no events among the {n} patients compared, so the curves cannot be "
        "compared. Check the event coding (1 = event)."
    )


def survdiff_result(
    method: str,
    labels: Sequence[str],
    sizes: np.ndarray,
    events: np.ndarray,
    obs: np.ndarray,
    exp: np.ndarray,
    var: np.ndarray,
    *,
    p: float = 0.0,
    q: float = 0.0,
    strata: str | None = None,
) -> SurvdiffResult:
    """The test from per-group sums over all ``labels``: groups without rows are left out,
    then R ``survdiff``'s chi-square (p = 1 when no degree of freedom is left)."""
    keep = np.asarray(sizes) > 0
    obs, exp, var = obs[keep], exp[keep], var[np.ix_(keep, keep)]
    stat, df = _chisq(obs, exp, var)
    return SurvdiffResult(
        method=method,
        groups=tuple(lab for lab, k in zip(labels, keep, strict=True) if k),
        n=np.asarray(sizes)[keep].astype(np.int64),
        observed=obs,
        expected=exp,
        chisq=stat,
        df=df,
        p_value=float(chi2.sf(stat, df)) if df > 0 else 1.0,
        events=np.asarray(events)[keep].astype(np.int64),
        var=var,
        p=float(p),
        q=float(q),
        strata=strata,
    )


def default_scores(groups: Sequence[str]) -> np.ndarray:
    """Trend scores: the level values when all are numbers, else 1, 2, ..., k in level order."""
    try:
        return np.array([float(g) for g in groups])
    except ValueError:
        return np.arange(1.0, len(groups) + 1)


def trend_result(res: SurvdiffResult, s: np.ndarray, group: str | None = None) -> TrendResult:
    """The 1-df trend test (s'(O - E))^2 / (s' V s) from a log-rank result and its scores."""
    u = float(s @ (res.observed - res.expected))
    v = float(s @ res.var @ s)
    if not v > 0:
        across = f" across {group!r}" if group else ""
        raise AnalysisError(
            f"The trend test{across} has zero variance (scores "
            f"{', '.join(f'{x:g}' for x in s)}). Use scores that differ between levels."
        )
    stat = u * u / v
    return TrendResult(
        chisq=stat,
        df=1,
        p_value=float(chi2.sf(stat, 1)),
        scores=tuple(float(x) for x in s),
        groups=res.groups,
    )

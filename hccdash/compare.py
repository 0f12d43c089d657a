"""Comparing survival curves between groups (R's ``survival::survdiff`` family).

Weighted log-rank tests share one statistic: at each distinct event time t (pooled over
groups, within strata) with n at risk and d events, U_k = sum_t w(t) (d_k - d n_k / n) and
V_kj = sum_t w(t)^2 d (n - d) / (n - 1) (n_k / n) (delta_kj - n_j / n); the chi-square is
U' V^- U on the groups with expected > 0, df = groups - 1 (R ``survdiff``). The weights:

============================  =====================  =========================================
``method``                    w(t)                   R / SPSS name
============================  =====================  =========================================
``"logrank"``                 1                      survdiff(rho=0); SPSS "Log Rank (Mantel-Cox)"
``"wilcoxon"``                n(t)                   Gehan-Breslow; SPSS "Breslow (Generalized
                                                     Wilcoxon)"
``"tarone-ware"``             sqrt(n(t))             SPSS "Tarone-Ware"
``"peto"``                    S(t-)                  survdiff(rho=1), Peto-Peto / Harrington-
                                                     Fleming (pooled KM just before t)
``"fleming-harrington"``      S(t-)^p (1-S(t-))^q    Fleming-Harrington(p, q); p=rho, q=0 is
                                                     survdiff(rho=p)
============================  =====================  =========================================

As in R, ``observed`` and ``expected`` are weighted sums for the weighted tests (for the
log-rank test they are event counts); ``events`` holds the unweighted event counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash.chisq import chi2
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import (
    _decode_times,
    _key_bits,
    _prepare,
    _runs,
    aeq_times,
    group_codes,
    near_tie_merge,
)
from hccdash.survdata import SurvData

__all__ = [
    "METHODS",
    "ChisqTest",
    "PairwiseResult",
    "SurvdiffResult",
    "TrendResult",
    "p_adjust",
    "pairwise_survdiff",
    "survdiff",
    "trend_test",
    "weighted_stat",
]

# The one registry of the tests: key -> display name (pages, tables, figures and the CLI all
# read it; ``SurvdiffResult.label`` adds Fleming-Harrington's exponents).
METHOD_NAMES: dict[str, str] = {
    "logrank": "Log-rank",
    "wilcoxon": "Gehan-Breslow (generalized Wilcoxon)",
    "tarone-ware": "Tarone-Ware",
    "peto": "Peto-Peto",
    "fleming-harrington": "Fleming-Harrington",
}
METHODS = tuple(METHOD_NAMES)
ADJUST = ("holm", "BH", "none")


@dataclass(frozen=True)
class ChisqTest:
    """A chi-square test: statistic, degrees of freedom and p-value (R's names)."""

    chisq: float
    df: int
    p_value: float

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with columns ``chisq``, ``df``, ``p_value``."""
        return pd.DataFrame([{"chisq": self.chisq, "df": self.df, "p_value": self.p_value}])


@dataclass(frozen=True)
class SurvdiffResult:
    """A (weighted) log-rank test across groups, as R ``survdiff``.

    ``n``, ``events``, ``observed`` and ``expected`` are per group (in ``groups`` order);
    ``observed``/``expected`` are weighted for weighted methods, as R reports them; ``var``
    is the variance matrix of observed - expected.
    """

    method: str
    groups: tuple[str, ...]
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    chisq: float
    df: int
    p_value: float
    events: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    var: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    p: float = 0.0
    q: float = 0.0
    strata: str | None = None

    @property
    def test(self) -> ChisqTest:
        """The chi-square test alone."""
        return ChisqTest(self.chisq, self.df, self.p_value)

    @property
    def label(self) -> str:
        """Readable name, e.g. ``"Log-rank"``, ``"Fleming-Harrington(1, 0)"`` or
        ``"Log-rank, stratified by site"``."""
        name = METHOD_NAMES[self.method]
        if self.method == "fleming-harrington":
            name = f"{name}({self.p:g}, {self.q:g})"
        return f"{name}, stratified by {self.strata}" if self.strata else name

    def to_frame(self) -> pd.DataFrame:
        """One row per group: group, n, events, observed, expected, (O-E)^2/E, (O-E)^2/V."""
        oe = self.observed - self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame(
                {
                    "group": list(self.groups),
                    "n": self.n,
                    "events": self.events,
                    "observed": self.observed,
                    "expected": self.expected,
                    "(O-E)^2/E": oe**2 / self.expected,
                    "(O-E)^2/V": oe**2 / np.diag(self.var),
                }
            )


@dataclass(frozen=True)
class TrendResult:
    """Log-rank test for trend across ordered levels: (s'(O-E))^2 / (s' V s), 1 df."""

    chisq: float
    df: int
    p_value: float
    scores: tuple[float, ...]
    groups: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame: chisq, df, p_value, scores."""
        return pd.DataFrame(
            [
                {
                    "chisq": self.chisq,
                    "df": self.df,
                    "p_value": self.p_value,
                    "scores": ", ".join(f"{s:g}" for s in self.scores),
                }
            ]
        )


@dataclass(frozen=True)
class PairwiseRow:
    """One pairwise comparison."""

    group_a: str
    group_b: str
    chisq: float
    p_value: float
    p_adjusted: float


@dataclass(frozen=True)
class PairwiseResult:
    """Pairwise tests between all pairs of levels, p-values adjusted (survminer style)."""

    rows: tuple[PairwiseRow, ...]
    adjust: str
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per pair: group_a, group_b, chisq, p_value, p_adjusted, adjust, method."""
        return pd.DataFrame(
            [{**r.__dict__, "adjust": self.adjust, "method": self.method} for r in self.rows],
            columns=["group_a", "group_b", "chisq", "p_value", "p_adjusted", "adjust", "method"],
        )


# ----------------------------------------------------------------------------------------
# The statistic
# ----------------------------------------------------------------------------------------
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
    return dk, nk


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


def _need_group(group: str | None) -> str:
    if group is None:
        raise InputError("Comparing curves needs a group column; choose one.")
    return group


def _groups_or_raise(group: str, labels: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    sizes = np.bincount(codes, minlength=len(labels))
    if int((sizes > 0).sum()) < 2:
        present = [lab for lab, s in zip(labels, sizes, strict=True) if s > 0]
        raise AnalysisError(
            f"Column {group!r} has {len(present)} group(s) with data "
            f"({', '.join(map(repr, present)) or 'none'}); comparing curves needs at least 2. "
            "Choose another grouping column or widen the filters."
        )
    return sizes


def survdiff(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    *,
    method: str = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    strata: str | None = None,
    levels: Sequence[str] | None = None,
) -> SurvdiffResult:
    """Test equality of survival curves across groups, as R ``survdiff``.

    Parameters
    ----------
    data : pandas.DataFrame or hccdash.survdata.SurvData
        One row per patient, or the validated survival data (``time`` and ``event`` may
        then be left out; the group column comes from its frame).
    time, event, group : str
        Columns: follow-up time, event (1/0) and the grouping variable.
    method : {"logrank", "wilcoxon", "tarone-ware", "peto", "fleming-harrington"}
        Weights (module docstring): log-rank = ``survdiff(rho=0)``, "peto" =
        ``survdiff(rho=1)``, "wilcoxon" = Gehan-Breslow (SPSS "Breslow").
    p, q : float
        Fleming-Harrington exponents (``method="fleming-harrington"`` only).
    strata : str, optional
        Stratification column: ``survdiff(Surv(time, event) ~ group + strata(s))``.
    levels : sequence of str, optional
        Group levels to compare, in order; other rows are left out.

    Returns
    -------
    SurvdiffResult

    Raises
    ------
    hccdash.errors.AnalysisError
        Fewer than 2 groups with data, or no events.
    hccdash.errors.InputError
        Bad input or an unknown method.
    """
    _check_method(method, p, q)
    group = _need_group(group)
    extra = [strata] if strata is not None else []
    t, e, codes, labels, _, keep = _prepare(data, time, event, group, levels, extra)
    event = data.event_col if isinstance(data, SurvData) else event
    sizes = _groups_or_raise(group, labels, codes)
    events = np.bincount(codes, weights=e, minlength=len(labels))
    if events.sum() == 0:
        raise AnalysisError(
            f"Column {event!r} has no events among the {t.size} patients compared, so the "
            "curves cannot be compared. Check the event coding (1 = event)."
        )
    frame = data.frame if isinstance(data, SurvData) else data
    scodes = group_codes(frame[strata])[0][keep] if strata is not None else None
    k = len(labels)
    obs, exp, var = _compute(t, e, codes, k, scodes, method, p, q)
    present = sizes > 0
    obs, exp, var = obs[present], exp[present], var[np.ix_(present, present)]
    stat, df = _chisq(obs, exp, var)
    return SurvdiffResult(
        method=method,
        groups=tuple(lab for lab, keep in zip(labels, present, strict=True) if keep),
        n=sizes[present].astype(np.int64),
        observed=obs,
        expected=exp,
        chisq=stat,
        df=df,
        p_value=float(chi2.sf(stat, df)) if df > 0 else 1.0,
        events=events[present].astype(np.int64),
        var=var,
        p=float(p),
        q=float(q),
        strata=strata,
    )


def trend_test(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    *,
    scores: Sequence[float] | None = None,
    levels: Sequence[str] | None = None,
) -> TrendResult:
    """Log-rank test for trend across ordered levels (1 df).

    With O - E and V from ``survdiff`` (log-rank) and a score s per level,
    chisq = (s'(O - E))^2 / (s' V s). Default scores: the level values when all are numbers,
    else 1, 2, ..., k in level order. Same as Stata ``sts test g, trend``.

    Parameters
    ----------
    data : pandas.DataFrame
    time, event, group : str
    scores : sequence of float, optional
        One score per level (in ``levels`` order).
    levels : sequence of str, optional
        Level order; default observed levels sorted.

    Returns
    -------
    TrendResult

    Raises
    ------
    hccdash.errors.AnalysisError
        Fewer than 2 levels with data, no events, or scores with no spread.
    """
    group = _need_group(group)
    res = survdiff(data, time, event, group, levels=levels)
    if scores is None:
        try:
            s = np.array([float(g) for g in res.groups])
        except ValueError:
            s = np.arange(1.0, len(res.groups) + 1)
    else:
        all_levels = tuple(str(v) for v in levels) if levels is not None else None
        if all_levels is None:
            frame = data.frame if isinstance(data, SurvData) else data
            _, all_levels = group_codes(frame[group].dropna())
        if len(scores) != len(all_levels):
            raise InputError(
                f"{len(scores)} scores were given for {len(all_levels)} levels of {group!r} "
                f"({', '.join(map(repr, all_levels))}). Give one score per level."
            )
        lookup = dict(zip(all_levels, scores, strict=True))
        s = np.array([float(lookup[g]) for g in res.groups])
    u = float(s @ (res.observed - res.expected))
    v = float(s @ res.var @ s)
    if not v > 0:
        raise AnalysisError(
            f"The trend test across {group!r} has zero variance (scores "
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


def p_adjust(p_values: Sequence[float], method: str = "holm") -> np.ndarray:
    """Adjust p-values as R ``p.adjust`` ("holm", "BH" or "none").

    Computed by ``statsmodels.stats.multitest.multipletests`` (``holm``, ``fdr_bh``),
    which gives R's values.

    Examples
    --------
    R: ``p.adjust(c(0.01, 0.03, 0.04, 0.2), "holm")`` is 0.04 0.09 0.09 0.20.

    >>> p_adjust([0.01, 0.03, 0.04, 0.2], "holm").round(6).tolist()
    [0.04, 0.09, 0.09, 0.2]
    """
    p = np.asarray(p_values, dtype=np.float64)
    if method not in _MULTITEST:
        raise InputError(f"adjust {method!r} is not supported; use 'holm', 'BH' or 'none'.")
    if method == "none" or p.size == 0:
        return p.copy()
    from statsmodels.stats.multitest import multipletests  # seconds to import: only when used

    return multipletests(p, method=_MULTITEST[method])[1]


_MULTITEST = {"holm": "holm", "BH": "fdr_bh", "none": None}


def pairwise_survdiff(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    *,
    method: str = "logrank",
    adjust: str = "holm",
    p: float = 0.0,
    q: float = 0.0,
    levels: Sequence[str] | None = None,
) -> PairwiseResult:
    """Tests between every pair of levels with adjusted p-values (survminer style).

    Like ``survminer::pairwise_survdiff``: each pair is a two-group ``survdiff`` on the rows
    of those two levels; p-values are adjusted over all pairs with R ``p.adjust``.

    Parameters
    ----------
    data : pandas.DataFrame
    time, event, group : str
    method : str
        As in ``survdiff``.
    adjust : {"holm", "BH", "none"}
        Multiple-comparison adjustment (Holm; Benjamini-Hochberg).
    p, q : float
        Fleming-Harrington exponents.
    levels : sequence of str, optional
        Level order; default observed levels sorted.

    Returns
    -------
    PairwiseResult
        Rows in order (2 vs 1), (3 vs 1), (3 vs 2), ... as survminer's lower triangle.
    """
    if adjust not in ADJUST:
        raise InputError(f"adjust {adjust!r} is not supported; use 'holm', 'BH' or 'none'.")
    _check_method(method, p, q)
    group = _need_group(group)
    t, e, codes, labels, _, _ = _prepare(data, time, event, group, levels)
    event = data.event_col if isinstance(data, SurvData) else event
    sizes = _groups_or_raise(group, labels, codes)
    if not e.any():
        raise AnalysisError(
            f"Column {event!r} has no events among the {t.size} patients compared, so the "
            "curves cannot be compared. Check the event coding (1 = event)."
        )
    present = [i for i in range(len(labels)) if sizes[i] > 0]
    pairs, stats, pvals = [], [], []
    for a, b in itertools.combinations(present, 2):
        sel = (codes == a) | (codes == b)
        sub_e = e[sel]
        if not sub_e.any():
            stat = 0.0
        else:
            sub_codes = (codes[sel] == b).astype(np.int64)
            o, x, v = _stat(t[sel], sub_e, sub_codes, 2, method, p, q)
            stat, _df = _chisq(o, x, v)
        # survminer: pchisq(chisq, length(n) - 1): a pair where one group has expected = 0
        # (R's survdiff sets chisq = 0) gets p = 1 and stays in the adjustment family
        pv = float(chi2.sf(stat, 1))
        pairs.append((labels[b], labels[a]))
        stats.append(stat)
        pvals.append(pv)
    adj = p_adjust(np.array(pvals), adjust)
    rows = tuple(
        PairwiseRow(a, b, s, pv, float(pa))
        for (a, b), s, pv, pa in zip(pairs, stats, pvals, adj, strict=True)
    )
    return PairwiseResult(rows=rows, adjust=adjust, method=method)

"""Kaplan-Meier and the log-rank family from ONE pushed-down aggregation.

Everything ``hccdash.nonparametric`` and ``hccdash.compare`` report needs only, per stratum,
group and distinct time, the number of events and the number of rows (events plus
censorings). :func:`count_table` gets those counts with one GROUP BY on the engine (DuckDB
or Spark, the same SQLGlot expression); the rest is numpy on a few thousand rows, through the
existing estimators: :func:`hccdash.nonparametric.curve_from_counts` for the curves (and so
medians, landmarks, risk tables and RMST, which take curves) and
:func:`hccdash.compare.weighted_stat` for every weighted log-rank test. R's near-tie rule
(``aeqSurv``, :func:`hccdash.nonparametric.near_tie_merge`) is applied to the distinct times
exactly where the in-memory path applies it: pooled over the groups compared, within each
stratum for a stratified test, within each pair for pairwise tests.

Results equal the in-memory functions (tests/test_engine.py checks 1e-10 on every R fixture).
The count table (validation, the GROUP BY, :class:`CountTable`) is
:mod:`hccdash.engine.counts`; this module finishes it into curves and tests and re-exports
its names.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from hccdash.chisq import chi2
from hccdash.compare import (
    ADJUST,
    PairwiseResult,
    PairwiseRow,
    SurvdiffResult,
    TrendResult,
    p_adjust,
    weighted_stat,
)
from hccdash.compare.kernel import (
    _check_method,
    _chisq,
    check_groups,
    default_scores,
    no_events_error,
    survdiff_result,
    trend_result,
)
from hccdash.engine.counts import (  # re-exported: the count table
    CountTable,
    count_query,
    count_table,
    present,
    validate,
)
from hccdash.errors import InputError
from hccdash.nonparametric import KMResult, curve_from_counts
from hccdash.nonparametric.confint import _check_conf
from hccdash.nonparametric.ties import aeq_times

__all__ = [
    "CountTable",
    "count_query",
    "count_table",
    "km",
    "pairwise",
    "present",
    "survdiff",
    "trend",
    "validate",
]


# ----------------------------------------------------------------------------------------
# numpy finish
# ----------------------------------------------------------------------------------------
def _collapse(k: np.ndarray, t: np.ndarray, *vals: np.ndarray):
    """Sum ``vals`` over equal (k, t), sorted by k then t."""
    order = np.lexsort((t, k))
    k, t = k[order], t[order]
    new = np.ones(k.size, dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(new)
    return (k[starts], t[starts], *(np.add.reduceat(v[order], starts) for v in vals))


def km(counts: CountTable, *, conf_type: str = "log-log", conf_level: float = 0.95) -> KMResult:
    """Kaplan-Meier curves per group from the counts, as ``nonparametric.kaplan_meier``.

    Strata, if counted, are pooled (a KM curve per group).
    """
    _check_conf(conf_type, conf_level)
    t = aeq_times(counts.time)
    g, t, d, n = _collapse(counts.group, t, counts.n_event, counts.n_total)
    curves = []
    for code, label in enumerate(counts.groups):
        sel = g == code
        if not sel.any():
            continue
        curves.append(
            curve_from_counts(
                t[sel], d[sel], n[sel] - d[sel], group=label,
                conf_type=conf_type, conf_level=conf_level,
            )
        )  # fmt: skip
    return KMResult(
        curves=tuple(curves),
        group=counts.group_column,
        n=counts.n,
        events=int(counts.n_event.sum()),
        dropped=counts.dropped,
        conf_type=conf_type,
        conf_level=float(conf_level),
    )


def _event_table(counts: CountTable, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Events and numbers at risk (k x pooled distinct event times), near ties merged."""
    t = aeq_times(counts.time)
    uniq, tix = np.unique(t, return_inverse=True)
    tix = tix.ravel()
    total = np.zeros((k, uniq.size))
    dead = np.zeros((k, uniq.size))
    np.add.at(total, (counts.group, tix), counts.n_total)
    np.add.at(dead, (counts.group, tix), counts.n_event)
    at_risk = np.cumsum(total[:, ::-1], axis=1)[:, ::-1]
    has = dead.sum(axis=0) > 0
    return dead[:, has], at_risk[:, has]


def _stat(counts: CountTable, k: int, method: str, p: float, q: float, stratified: bool):
    if not stratified:
        return weighted_stat(*_event_table(counts, k), method, p, q)
    obs, exp_, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for s in np.unique(counts.stratum):
        sub = counts.subset(counts.stratum == s)
        if not sub.n_event.any():
            continue
        o, x, v = weighted_stat(*_event_table(sub, k), method, p, q)
        obs, exp_, var = obs + o, exp_ + x, var + v
    return obs, exp_, var


def _sizes_or_raise(counts: CountTable, group: str) -> np.ndarray:
    k = len(counts.groups)
    sizes = np.bincount(counts.group, weights=counts.n_total, minlength=k)
    check_groups(group, counts.groups, sizes)
    if counts.n_event.sum() == 0:
        raise no_events_error(None, counts.n)
    return sizes


def survdiff(
    counts: CountTable,
    *,
    method: str = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    group: str | None = None,
    strata: str | None = None,
) -> SurvdiffResult:
    """The (weighted, optionally stratified) log-rank test from the counts (R ``survdiff``).

    Stratified when the counts were taken with a strata column (``strata`` names it in the
    result's label).
    """
    _check_method(method, p, q)
    sizes = _sizes_or_raise(counts, group or counts.group_column or "group")
    strata = strata or counts.strata_column
    k = len(counts.groups)
    events = np.bincount(counts.group, weights=counts.n_event, minlength=k)
    stratified = counts.strata != (None,)
    obs, exp_, var = _stat(counts, k, method, p, q, stratified)
    strata = (strata or "strata") if stratified else None
    return survdiff_result(
        method, counts.groups, sizes, events, obs, exp_, var, p=p, q=q, strata=strata
    )


def trend(res: SurvdiffResult, scores: Sequence[float] | None = None) -> TrendResult:
    """Log-rank test for trend from a log-rank ``SurvdiffResult`` (as ``compare.trend_test``).

    Default scores: the level values when all are numbers, else 1..k in level order.
    """
    if scores is None:
        s = default_scores(res.groups)
    else:
        if len(scores) != len(res.groups):
            raise InputError(
                f"{len(scores)} scores were given for {len(res.groups)} levels "
                f"({', '.join(map(repr, res.groups))}). Give one score per level."
            )
        s = np.asarray(scores, dtype=np.float64)
    return trend_result(res, s)


def pairwise(
    counts: CountTable,
    *,
    method: str = "logrank",
    adjust: str = "holm",
    p: float = 0.0,
    q: float = 0.0,
    group: str | None = None,
) -> PairwiseResult:
    """Two-group tests between every pair of levels, p adjusted (``compare.pairwise_survdiff``)."""
    if adjust not in ADJUST:
        raise InputError(f"adjust {adjust!r} is not supported; use 'holm', 'BH' or 'none'.")
    _check_method(method, p, q)
    sizes = _sizes_or_raise(counts, group or counts.group_column or "group")
    labels = counts.groups
    present_ = [i for i in range(len(labels)) if sizes[i] > 0]
    pairs, stats, pvals = [], [], []
    for a, b in itertools.combinations(present_, 2):
        sub = counts.subset((counts.group == a) | (counts.group == b))
        if not sub.n_event.any():
            stat, pv = 0.0, float("nan")
        else:
            sub = replace(
                sub, group=(sub.group == b).astype(np.int64), groups=(labels[a], labels[b])
            )
            o, x, v = weighted_stat(*_event_table(sub, 2), method, p, q)
            stat, df = _chisq(o, x, v)
            pv = float(chi2.sf(stat, df)) if df > 0 else float("nan")
        pairs.append((labels[b], labels[a]))
        stats.append(stat)
        pvals.append(pv)
    pv_arr = np.array(pvals)
    finite = ~np.isnan(pv_arr)
    adj = np.full(pv_arr.size, np.nan)
    adj[finite] = p_adjust(pv_arr[finite], adjust)
    rows = tuple(
        PairwiseRow(a, b, s, pv, float(pa))
        for (a, b), s, pv, pa in zip(pairs, stats, pvals, adj, strict=True)
    )
    return PairwiseResult(rows=rows, adjust=adjust, method=method)

"""Harrell's concordance of a Cox fit (R survival >= 3: ``concordancefit``, ``timewt = "n"``)
and the dominance kernel both concordances count pairs with."""

from __future__ import annotations

import numpy as np


def _prefix_less(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``out[i] = sum(w[j] for j < i if v[j] < v[i])`` for a sequence in position order.

    Bottom-up merge sort, vectorised per level on a power-of-two padded array reshaped to
    (blocks, block size): each row holds a left and a right half already sorted by value;
    a stable sort of the row (two sorted runs: a linear merge for timsort) puts right-half
    elements before left-half ones of equal value, and a running sum of left-half weights
    along the row counts, for every right-half element, the smaller left-half values.
    O(n log n) work in about log2(n) numpy passes. ``w`` is integer (pair counts, which may
    pack several counts into one int64) or float (case weights, ``hccdash.coxext.concordance``);
    the result has its dtype. The one dominance kernel of both concordances.
    """
    n = v.size
    if n == 0:
        return np.zeros(0, dtype=w.dtype)
    size = 1 << max(1, (n - 1).bit_length())
    vv = np.full(size, int(v.max()) + 1, dtype=np.int64)  # padding sorts last, weighs 0
    vv[:n] = v
    ww = np.zeros(size, dtype=w.dtype)
    ww[:n] = w
    out = np.zeros(size, dtype=w.dtype)
    perm = np.arange(size)
    s = 1
    while s < size:
        m = 2 * s
        rows = perm.reshape(size // m, m)
        isleft = (rows % m) < s
        order = np.argsort(2 * vv[rows] + isleft, axis=1, kind="stable")
        rows = np.take_along_axis(rows, order, axis=1)
        isleft = np.take_along_axis(isleft, order, axis=1)
        cw = np.cumsum(np.where(isleft, ww[rows], 0), axis=1)
        right = ~isleft
        out[rows[right]] += cw[right]
        perm = rows.ravel()
        s = m
    return out[:n]


def _concordance_counts(time: np.ndarray, event: np.ndarray, lp: np.ndarray):
    """Concordant, discordant and tied pair totals and per-subject counts (input order).

    Comparable pairs (R's ``concordancefit``, ``timewt = "n"``): an event at t_i against anyone
    with a longer time, or censored at t_i; two events at the same time are tied on y and
    excluded. The standard error is R's ``sqrt(var)``: the per-subject dfbeta of Somers' d
    (concordant minus discordant pairs the subject takes part in, scaled), squared, summed,
    divided by 4; ``summary(coxph)`` prints it as "Concordance= x (se = y)".
    """
    n = time.size
    v = np.unique(lp, return_inverse=True)[1].astype(np.int64).ravel()
    dead = event > 0
    # position order: time descending, censored before events at the same time, then by risk
    order = np.lexsort((v, dead, -time))
    vs, ds, ts = v[order], dead[order], time[order]
    pos = np.arange(n)
    newblk = np.ones(n, dtype=bool)
    newblk[1:] = (ts[1:] != ts[:-1]) | (ds[1:] != ds[:-1])
    bs = np.maximum.accumulate(np.where(newblk, pos, 0))  # block start per position
    blk_id = np.cumsum(newblk) - 1
    be = np.append(np.flatnonzero(newblk)[1:], n)[blk_id]  # block end (exclusive)
    dw = ds.astype(np.float64)
    # two counts packed in one int64: all rows in the low 32 bits, deaths in the high bits
    packed = _prefix_less(vs, np.int64(1) + (ds.astype(np.int64) << 32))
    less_all = (packed & 0xFFFFFFFF).astype(np.float64)
    less_dead = (packed >> 32).astype(np.float64)
    # equal-value counts before each position (all rows, deaths)
    ov = np.lexsort((pos, vs))
    newv = np.ones(n, dtype=bool)
    newv[1:] = vs[ov][1:] != vs[ov][:-1]
    vstart = np.maximum.accumulate(np.where(newv, pos, 0))
    eq_all = np.empty(n)
    eq_all[ov] = pos - vstart
    cd = np.cumsum(dw[ov])
    eq_dead = np.empty(n)
    eq_dead[ov] = cd - dw[ov] - np.where(vstart > 0, cd[vstart - 1], 0.0)
    # runs of equal value inside a block (deaths are sorted by value within their block)
    newrun = newblk.copy()
    newrun[1:] |= vs[1:] != vs[:-1]
    rstart = np.maximum.accumulate(np.where(newrun, pos, 0))
    rid = np.cumsum(newrun) - 1
    rlen = np.diff(np.append(np.flatnonzero(newrun), n))[rid]
    eqb = pos - rstart  # same value, same block, before
    lessb = (pos - bs) - eqb  # smaller value, same block, before
    # as the event (earlier) member: comparators are the rows before the block
    a_less = less_all - lessb
    a_eq = eq_all - eqb
    a_greater = bs - a_less - a_eq
    # as the later member: deaths that come after the row (after its block, for deaths)
    # deaths with a smaller / not larger risk rank (ranks are dense 0..V-1)
    dcount = np.concatenate([[0], np.cumsum(np.bincount(vs[ds], minlength=int(vs.max()) + 1))])
    ndead = int(dcount[-1])
    tot_less = dcount[vs]
    tot_leq = dcount[vs + 1]
    cumdead = np.concatenate([[0.0], np.cumsum(dw)])
    cut_count = np.where(ds, cumdead[be], cumdead[pos])
    cut_less = less_dead
    cut_eq = np.where(ds, eq_dead + rlen - eqb, eq_dead)
    cut_greater = cut_count - cut_less - cut_eq
    b_less = tot_less - cut_less
    b_eq = (tot_leq - tot_less) - cut_eq
    b_greater = (ndead - tot_leq) - cut_greater
    # Cox orientation: the event with the higher risk is the concordant one
    conc = b_greater + np.where(ds, a_less, 0.0)
    disc = b_less + np.where(ds, a_greater, 0.0)
    tied = b_eq + np.where(ds, a_eq, 0.0)
    totals = np.array([a_less[ds].sum(), a_greater[ds].sum(), a_eq[ds].sum()])
    infl = np.empty((n, 3))
    infl[order] = np.column_stack([conc, disc, tied])  # back to the input row order
    return totals, infl


def _concordance(time: np.ndarray, event: np.ndarray, lp: np.ndarray) -> tuple[float, float]:
    """Harrell's C of the linear predictor and R's infinitesimal-jackknife standard error.

    Comparable pairs (R's ``concordancefit``, ``timewt = "n"``): an event at t_i against anyone
    with a longer time, or censored at t_i; two events at the same time are tied on y and
    excluded. The standard error is R's ``sqrt(var)``: the per-subject dfbeta of Somers' d
    (concordant minus discordant pairs the subject takes part in, scaled), squared, summed,
    divided by 4; ``summary(coxph)`` prints it as "Concordance= x (se = y)".
    """
    return _concordance_strata(time, event, lp, None)


def _concordance_strata(
    time: np.ndarray,
    event: np.ndarray,
    lp: np.ndarray,
    strata: np.ndarray | None,
    cluster: np.ndarray | None = None,
) -> tuple[float, float]:
    """R's ``concordancefit`` with strata (pairs within a stratum only; counts summed over
    strata) and cluster (dfbeta summed within cluster before squaring)."""
    n = time.size
    totals = np.zeros(3)
    infl = np.zeros((n, 3))
    groups = (
        [np.arange(n)]
        if strata is None
        else [np.flatnonzero(strata == s) for s in np.unique(strata)]
    )
    for idx in groups:
        if idx.size < 2:
            continue
        tot, inf = _concordance_counts(time[idx], event[idx], lp[idx])
        totals += tot
        infl[idx] = inf
    npair = totals.sum()
    if npair == 0:
        return float("nan"), float("nan")
    somer = (totals[0] - totals[1]) / npair
    dfbeta = (infl[:, 0] - infl[:, 1]) / npair - (somer / npair) * infl.sum(axis=1)
    if cluster is not None:
        dfbeta = np.bincount(cluster, weights=dfbeta)
    return float((somer + 1) / 2), float(np.sqrt((dfbeta**2).sum() / 4))

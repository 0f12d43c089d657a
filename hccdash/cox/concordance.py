"""Harrell's concordance of a Cox fit (R survival >= 3: ``concordancefit``, ``timewt = "n"``)
and :func:`dominance_sums`, the one pair-counting kernel of both concordances (this one and
the weighted (start, stop] one of :mod:`hccdash.coxext.concordance`)."""

from __future__ import annotations

import numpy as np

__all__ = ["concordance", "dominance_sums"]


_BASE = 32  # items per block of the base case (measured: 16 to 64 are alike, 128 is slower)
_CHUNK = 4096  # base-case blocks per pass: bounds its comparison array at 32 MB


def dominance_sums(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weight of the earlier items with a smaller value: the one pair-counting kernel.

    ``out[i, c] = sum(w[j, c] for j < i if v[j] < v[i])`` for items in position order, for
    each column ``c`` of ``w``. Both concordances are built from such counts: Harrell's C of
    a plain fit (:func:`concordance`: all rows and the events, two columns) and R's weighted
    (start, stop] concordance (:func:`hccdash.coxext.concordance.concordance_ag`).

    A bottom-up merge sort, vectorised per level, with no Python loop over items:

    - base case: blocks of 32 items, where every earlier smaller item of the block is found
      by comparison (a 32 x 32 mask per block, times the weights), then each block is sorted
      by value;
    - each merge level pairs neighbouring sorted blocks (rows of an array reshaped to
      (blocks, block size)): a stable sort of the row (two sorted runs) puts right-half items
      before left-half ones of equal value, and a running sum of the left-half weights along
      the row adds, to every right-half item, the weight of the smaller left-half values.

    O(n log n) work in about log2(n / 32) numpy passes per column of ``w``; the sort is
    shared by the columns.

    Parameters
    ----------
    v : numpy.ndarray of int
        Values (>= 0), one per item, in position order; equal values are not "smaller".
    w : numpy.ndarray
        Weights, shape ``(n,)`` or ``(n, k)`` for k weights per item: integer (pair counts,
        exact below 2**53) or float (case weights). The result has its shape and dtype.

    Returns
    -------
    numpy.ndarray
        ``out`` as above, same shape and dtype as ``w``.

    Examples
    --------
    Unit weights count the smaller earlier values; a second column counts those of the
    items flagged 1 (e.g. the events):

    >>> v = np.array([2, 0, 1, 2, 1])
    >>> w = np.column_stack([np.ones(5, dtype=np.int64), [1, 0, 0, 1, 1]])
    >>> dominance_sums(v, w).tolist()
    [[0, 0], [0, 0], [1, 0], [2, 0], [1, 0]]

    References
    ----------
    The counts behind R's ``concordancefit`` (survival >= 3), which keeps them in a balanced
    binary tree (C routines ``concordance3``, ``concordance4``).
    """
    n = v.shape[0]
    if n == 0:
        return np.zeros(w.shape, dtype=w.dtype)
    cols = w.reshape(n, -1)
    k = cols.shape[1]
    size = 1 << max(1, (n - 1).bit_length())
    b = min(_BASE, size)
    values = np.full(size, int(v.max()) + 1, dtype=np.int64)  # padding sorts last, weighs 0
    values[:n] = v
    weights = np.zeros((size, k))
    weights[:n] = cols
    # base case: the earlier smaller items within each block of b, by comparison
    acc = np.empty((size, k))
    earlier = np.tri(b, b, -1, dtype=bool)  # [i, j]: j comes before i
    for lo in range(0, size, b * _CHUNK):
        vb = values[lo : lo + b * _CHUNK].reshape(-1, b)
        mask = (vb[:, None, :] < vb[:, :, None]) & earlier
        wb = weights[lo : lo + b * _CHUNK].reshape(-1, b, k)
        acc[lo : lo + b * _CHUNK] = np.matmul(mask.astype(np.float64), wb).reshape(-1, k)
    # each block sorted by value: the runs the merge levels start from. From here on the
    # arrays are in the current (sorted) layout; perm maps the layout to the items.
    order = np.argsort(values.reshape(-1, b), axis=1, kind="stable")
    perm = np.take_along_axis(np.arange(size).reshape(-1, b), order, axis=1).ravel()
    values = values[perm]
    weights = [weights[perm, c].astype(w.dtype) for c in range(k)]
    acc = [acc[perm, c] for c in range(k)]
    if w.dtype.kind in "iu":
        acc = [np.rint(a).astype(w.dtype) for a in acc]  # sums of integers below 2**53: exact
    pos = np.arange(size)
    s = b
    while s < size:
        m = 2 * s
        shape = (size // m, m)
        isleft = ((pos % m) < s).reshape(shape)
        order = np.argsort((2 * values).reshape(shape) + isleft, axis=1, kind="stable")
        idx = (order + pos[::m, None]).ravel()  # the new layout, as flat positions
        values, perm = values[idx], perm[idx]
        left = isleft.ravel()[idx]
        right = ~left
        for c in range(k):
            wc, ac = weights[c][idx], acc[c][idx]
            # left-half weight up to each item, added to the right-half items
            smaller = np.cumsum((wc * left).reshape(shape), axis=1).ravel()
            smaller *= right
            ac += smaller
            weights[c], acc[c] = wc, ac
        s = m
    out = np.empty((size, k), dtype=w.dtype)
    out[perm] = np.column_stack(acc)
    return out[:n].reshape(w.shape)


def _concordance_counts(time: np.ndarray, event: np.ndarray, lp: np.ndarray):
    """Concordant, discordant and tied pair totals (events as the earlier member) and per-row
    counts of the pairs each row takes part in (input order), for :func:`concordance`."""
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
    # smaller risk before each position: all rows, and deaths (one pass of the kernel)
    less = dominance_sums(vs, np.column_stack([np.ones(n, dtype=np.int64), ds]))
    less_all, less_dead = less[:, 0].astype(np.float64), less[:, 1].astype(np.float64)
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


def concordance(
    time: np.ndarray,
    event: np.ndarray,
    lp: np.ndarray,
    strata: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
) -> tuple[float, float]:
    """Harrell's C of a linear predictor and R's infinitesimal-jackknife standard error.

    Comparable pairs (R's ``concordancefit``, ``timewt = "n"``): an event at t_i against anyone
    with a longer time, or censored at t_i; two events at the same time are tied on y and
    excluded; a pair tied on the predictor counts one half. With ``strata``, pairs are formed
    within a stratum only and the counts summed. The standard error is R's ``sqrt(var)``: the
    per-subject dfbeta of Somers' d (concordant minus discordant pairs the subject takes part
    in, scaled), summed within ``cluster`` when given, squared, summed, divided by 4.

    Parameters
    ----------
    time : numpy.ndarray
        Follow-up times (already merged by R's near-tie rule, as the fit's design has them).
    event : numpy.ndarray
        1 = event, 0 = censored.
    lp : numpy.ndarray
        The linear predictor (only its order matters; equal values are ties).
    strata, cluster : numpy.ndarray of int, optional
        Stratum and cluster codes per row.

    Returns
    -------
    (float, float)
        The concordance (Cox orientation: a higher risk for the earlier event is concordant)
        and its standard error; NaN, NaN without a comparable pair.

    Examples
    --------
    R's ``aml`` data (``summary(coxph(Surv(time, status) ~ x, aml))`` prints
    "Concordance= 0.619 (se = 0.063)"; ``fit$concordance`` holds 0.6190476190, 0.0631849960):

    >>> time = np.array([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
    ...                  5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45], dtype=float)
    >>> event = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])
    >>> lp = np.repeat([0.0, 0.915532575], [11, 12])  # coxph's coefficient for Nonmaintained
    >>> c, se = concordance(time, event, lp)
    >>> round(c, 10), round(se, 10)
    (0.619047619, 0.063184996)

    References
    ----------
    R: ``coxph(Surv(time, status) ~ x, aml)$concordance`` (survival >= 3; the same numbers as
    ``concordance(Surv(time, status) ~ x, aml, reverse = TRUE)``).
    """
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

"""Counts per distinct time (R ``survfit``'s n.risk, n.event, n.censor): the counting kernel
of the Kaplan-Meier curves and the log-rank tests.

One value sort of a packed 64-bit sort key (time bits, group code and event bit) replaces a
pandas groupby or an argsort; counts per distinct time then come from run boundaries in the
sorted key, with no Python loop over rows or times. Near-tied times are merged afterwards
(:mod:`hccdash.nonparametric.ties`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hccdash.nonparametric.ties import near_tie_merge


def _key_bits(time: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """Map times >= 0 to small non-negative int64 keys with the same order, or None.

    The IEEE bit pattern of a non-negative double is monotone as an integer. Subtracting the
    smallest positive pattern (zeros map to 0) leaves a range that for real follow-up times
    needs ~57 bits, so a group code and the event bit fit in the low bits of one int64 and a
    plain value sort (SIMD, several times faster than argsort) does all the work.
    Returns (keys, offset, bits needed).
    """
    if time.size == 0:
        return None
    bits = time.view(np.int64)
    lo = int(bits.min())
    hi = int(bits.max())
    if lo == 0:
        pos = bits[bits > 0]
        if pos.size == 0:
            return np.zeros_like(bits), 0, 1
        offset = int(pos.min()) - 1
        keys = np.maximum(bits - offset, 0)
    else:
        offset = lo - 1
        keys = bits - offset
    return keys, offset, max(int(hi - offset).bit_length(), 1)


def _decode_times(keys: np.ndarray, offset: int) -> np.ndarray:
    bits = keys + offset
    bits[keys == 0] = 0
    return bits.view(np.float64)


def _runs(sorted_key: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in a sorted array."""
    n = sorted_key.size
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    change = np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1
    return np.concatenate(([0], change))


@dataclass(frozen=True)
class _Counts:
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    n: int


def _merge_near_ties(
    times: list[np.ndarray], firsts: list[np.ndarray], k: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Apply R's timefix to each group's distinct times and run starts (few changes)."""
    nonempty = [t for t in times if t.size]
    if not nonempty:
        return times, firsts
    # pooled distinct times: the union of the groups' (already sorted) distinct times
    y = nonempty[0] if len(nonempty) == 1 else np.unique(np.concatenate(nonempty))
    merged = near_tie_merge(y)
    if merged is None:
        return times, firsts
    idx = np.flatnonzero(merged)
    start = idx - 1  # each merged time maps to the first time of its chain
    while merged[start].any():
        start[merged[start]] -= 1
    old, new = y[idx], y[start]
    out_t, out_f = [], []
    for t, first in zip(times, firsts, strict=True):
        pos = np.searchsorted(t, old)
        ok = pos < t.size
        hit = np.zeros(old.size, dtype=bool)
        hit[ok] = t[pos[ok]] == old[ok]
        if not hit.any():
            out_t.append(t)
            out_f.append(first)
            continue
        t = t.copy()
        p = pos[hit]
        t[p] = new[hit]
        dup = p[(p > 0) & (t[p] == t[np.maximum(p - 1, 0)])]  # now equal to the time before
        out_t.append(np.delete(t, dup))
        out_f.append(np.delete(first, dup))
    return out_t, out_f


def _count_groups(time: np.ndarray, event: np.ndarray, codes: np.ndarray, k: int) -> list[_Counts]:
    """Per group: distinct times, numbers at risk, events and censorings (R survfit counts).

    Near-tied times are merged first, as R's ``timefix``.
    """
    packed = _key_bits(time)
    sizes = np.bincount(codes, minlength=k) if k > 1 else np.array([time.size])
    gbits = max(int(k - 1).bit_length(), 0)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    slices, times, firsts = [], [], []
    if packed is not None and packed[2] + 1 + gbits <= 62:
        key, offset, tbits = packed  # a fresh array: build the packed key in place
        # group in the high bits, then time, then the event bit: each group's rows are one
        # contiguous, time-sorted slice after a single value sort
        key <<= 1
        key |= event
        if k > 1:
            key |= np.left_shift(codes, tbits + 1, dtype=np.int64)
        key.sort()
        tmask = (np.int64(1) << tbits) - 1
        for g in range(k):
            s = key[starts[g] : starts[g + 1]]
            tk = s >> 1
            first = _runs(tk)
            slices.append(s & 1)
            times.append(_decode_times(tk[first] & tmask, offset))
            firsts.append(first)
    else:  # extreme time ranges: argsort per group
        for g in range(k):
            sel = codes == g if k > 1 else slice(None)
            order = np.argsort(time[sel], kind="stable")
            ts = time[sel][order]
            first = _runs(ts)
            slices.append(event[sel][order].astype(np.int64))
            times.append(ts[first])
            firsts.append(first)
    times, firsts = _merge_near_ties(times, firsts, k)
    out = []
    for ev, t, first in zip(slices, times, firsts, strict=True):
        if ev.size == 0:
            out.append(_empty_counts())
            continue
        n_at = np.diff(np.append(first, ev.size))
        n_ev = np.add.reduceat(ev, first)
        out.append(_Counts(t, ev.size - first, n_ev, n_at - n_ev, int(ev.size)))
    return out


def _empty_counts() -> _Counts:
    z = np.zeros(0, dtype=np.int64)
    return _Counts(np.zeros(0), z, z, z, 0)

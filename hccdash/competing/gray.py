"""Gray's test comparing cumulative incidence between groups, as ``cmprsk::cuminc``'s ``$Tests``.

:func:`crstm` is a line-by-line port of cmprsk's Fortran ``crstm``/``crst`` (Gray 1988): the
score of the first ``ng - 1`` groups and its variance, summed over strata; the statistic is
``s' V^-1 s`` on ``ng - 1`` df. Where R finds ``V`` singular it reports ``stat = -1``; we
report NaN. :func:`pairwise_gray` repeats the test on every pair of groups and adjusts the p
values as R's ``p.adjust`` (Holm or Benjamini-Hochberg).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import chi2

from hccdash.compare import p_adjust
from hccdash.errors import AnalysisError, InputError

if TYPE_CHECKING:
    from hccdash.competing.data import EventCodes, Prepared

__all__ = ["GrayTest", "PairwiseGray", "crstm", "gray_tests", "pairwise_gray"]


@dataclass(frozen=True)
class GrayTest:
    """Gray's test of one cause: R's ``$Tests[cause, c("stat", "pv", "df")]``."""

    cause: object
    stat: float
    df: int
    p_value: float


@dataclass(frozen=True)
class PairwiseGray:
    """Gray's test of one cause for each pair of groups, with adjusted p values."""

    cause: object
    adjust: str
    rows: tuple[tuple[str, str, float, float, float], ...]  # a, b, stat, p, p_adjusted

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["group_a", "group_b", "stat", "p", "p_adjusted"])


def _crst(
    y: np.ndarray, m: np.ndarray, ig: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """One stratum: score ``s`` (ng-1) and variance ``v`` (ng-1 x ng-1)."""
    n = y.size
    ng1 = ng - 1
    rs = np.bincount(ig, minlength=ng).astype(np.float64)
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    f1m, f1 = np.zeros(ng), np.zeros(ng)
    skmm, skm = np.ones(ng), np.ones(ng)
    v3 = np.zeros(ng)
    v2 = np.zeros((ng1, ng))
    c = np.zeros((ng, ng))
    fm = 0.0
    if n == 0:
        return s, v
    _, starts = np.unique(y, return_index=True)
    ends = np.append(starts[1:], n)
    d = np.zeros((3, ng))
    tri = np.tril_indices(ng1)
    for ll, lu in zip(starts, ends, strict=True):
        d[:] = 0.0
        np.add.at(d, (m[ll:lu], ig[ll:lu]), 1.0)
        nd1, nd2 = d[1].sum(), d[2].sum()
        if nd1 > 0 or nd2 > 0:
            act = rs > 0
            rsa = np.where(act, rs, 1.0)
            td = d[1] + d[2]
            skm = np.where(act, skmm * (rs - td) / rsa, skm)
            f1 = np.where(act, f1m + skmm * d[1] / rsa, f1)
            t1 = np.divide(rs, skmm, out=np.zeros(ng), where=act)  # rs / skmm
            tr = float(t1.sum())
            tq = float(np.divide(rs * (1 - f1m), skmm, out=np.zeros(ng), where=act).sum())
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = -fb * np.outer(t1, t1) / tr
            np.fill_diagonal(a, fb * t1 * (1 - t1 / tr))
            a[~act, :] = 0.0
            a[:, ~act] = 0.0
            c += a * nd1 / (tr * (1 - fm))
            expected = np.divide(
                nd1 * rs * (1 - f1m), skmm * tq, out=np.zeros(ng), where=act
            )  # nd1 rs (1 - f1m) / (skmm tq)
            s += np.where(act[:ng1], fb * (d[1, :ng1] - expected[:ng1]), 0.0)
            if nd1 > 0:
                for k in np.flatnonzero(act):
                    t4 = 1 - (1 - f) / skm[k] if skm[k] > 0 else 1.0
                    t5 = 1 - (nd1 - 1) / (tr * skmm[k] - 1) if nd1 > 1 else 1.0
                    t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
                    v3[k] += t4 * t4 * t3
                    t1v = a[:ng1, k] - t4 * c[:ng1, k]
                    v2[:, k] += t1v * t4 * t3
                    v[tri] += (np.outer(t1v, t1v) * t3)[tri]
            if nd2 > 0:
                for k in np.flatnonzero((skm > 0) & (d[2] > 0)):
                    t4 = (1 - f) / skm[k]
                    t5 = 1 - (d[2, k] - 1) / (rs[k] - 1) if d[2, k] > 1 else 1.0
                    t3 = t5 * (skmm[k] ** 2) * d[2, k] / rs[k] ** 2
                    v3[k] += t4 * t4 * t3
                    t1v = t4 * c[:ng1, k]
                    v2[:, k] -= t1v * t4 * t3
                    v[tri] += (np.outer(t1v, t1v) * t3)[tri]
        else:
            f = fm
        if lu >= n:
            break
        rs -= np.bincount(ig[ll:lu], minlength=ng)
        fm = f
        f1m = f1.copy()
        skmm = skm.copy()
    cc = c[:ng1, :]
    extra = cc @ (v3[:, None] * cc.T) + cc @ v2.T + v2 @ cc.T
    v[tri] += extra[tri]
    low = np.tril(v)
    return s, low + np.tril(low, -1).T


def crstm(
    y: np.ndarray, m: np.ndarray, ig: np.ndarray, ist: np.ndarray, ng: int, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Fortran ``crstm``: scores and variance summed over strata.

    ``y`` sorted times; ``m`` 0 censored, 1 cause of interest, 2 other causes; ``ig`` group
    codes 0..ng-1; ``ist`` stratum codes.
    """
    s = np.zeros(ng - 1)
    v = np.zeros((ng - 1, ng - 1))
    for k in np.unique(ist):
        sel = ist == k
        sk, vk = _crst(y[sel], m[sel], ig[sel], ng, rho)
        s += sk
        v += vk
    return s, v


def _statistic(s: np.ndarray, v: np.ndarray) -> float:
    if np.linalg.matrix_rank(v) < v.shape[0]:
        return float("nan")  # R: stat = -1
    return float(s @ np.linalg.solve(v, s))


def gray_tests(p: Prepared, rho: float = 0.0) -> list[GrayTest]:
    """Gray's test of every cause present, between the groups of ``p``."""
    ng = len(p.group_levels)
    out = []
    for cause in p.causes:
        m = np.where(p.censored, 0, np.where(p.status == cause, 1, 2)).astype(np.int64)
        s, v = crstm(p.time, m, p.group, p.strata, ng, rho)
        stat = _statistic(s, v)
        pv = float(chi2.sf(stat, ng - 1)) if np.isfinite(stat) else float("nan")
        out.append(GrayTest(cause, stat, ng - 1, pv))
    return out


def pairwise_gray(
    data: pd.DataFrame,
    time: str | None = None,
    status: str | None = None,
    group: str | None = None,
    *,
    cause: object | None = None,
    strata: str | None = None,
    codes: EventCodes | None = None,
    rho: float = 0.0,
    adjust: str = "holm",
) -> PairwiseGray:
    """Gray's test of ``cause`` for every pair of levels of ``group``, p adjusted.

    R: ``cuminc(time[s], status[s], group[s])$Tests`` for each pair ``s``, then
    ``p.adjust(p, "holm")`` (or ``"BH"``).

    Examples
    --------
    >>> df = pd.DataFrame({"t": range(1, 13), "s": [1, 2, 0, 1] * 3, "g": list("abc") * 4})
    >>> pw = pairwise_gray(df, "t", "s", "g").to_frame()
    >>> pw[["group_a", "group_b"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    from hccdash.competing.data import code_label, codes_of, prepare

    if group is None:
        raise InputError("Pairwise Gray tests need a group column; choose one.")
    codes = codes_of(data, codes)
    p = prepare(data, time, status, codes, group=group, strata=strata, need_cause=False)
    cause = code_label(codes.cause if cause is None else cause)
    if len(p.group_levels) < 2:
        raise AnalysisError(
            f"Column {group!r} has a single level ({p.group_levels[0]!r}) after the filters; "
            "pairwise tests need two groups or more."
        )
    rows = []
    levels = p.group_levels
    for i in range(len(levels)):
        for j in range(i + 1, len(levels)):
            sel = (p.group == i) | (p.group == j)
            ig = np.where(p.group[sel] == i, 0, 1)
            st = p.status[sel]
            m = np.where(p.censored[sel], 0, np.where(st == cause, 1, 2)).astype(np.int64)
            if not (m == 1).any():
                stat = pv = float("nan")
            else:
                s, v = crstm(p.time[sel], m, ig, p.strata[sel], 2, rho)
                stat = _statistic(s, v)
                pv = float(chi2.sf(stat, 1)) if np.isfinite(stat) else float("nan")
            rows.append([levels[i], levels[j], stat, pv])
    pvals = np.array([r[3] for r in rows])
    ok = np.isfinite(pvals)
    adj = np.full(pvals.size, np.nan)
    adj[ok] = p_adjust(pvals[ok], adjust)
    return PairwiseGray(
        cause,
        adjust,
        tuple((a, b, s, pv, float(q)) for (a, b, s, pv), q in zip(rows, adj, strict=True)),
    )

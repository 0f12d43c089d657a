"""Tests between every pair of levels, p-values adjusted as R ``p.adjust`` (survminer)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hccdash.chisq import chi2
from hccdash.compare.kernel import _check_method, _chisq, _stat, no_events_error
from hccdash.compare.logrank import _groups_or_raise, _need_group
from hccdash.compare.results import ADJUST, PairwiseResult, PairwiseRow
from hccdash.errors import InputError
from hccdash.nonparametric import _prepare

if TYPE_CHECKING:
    import pandas as pd

    from hccdash.survdata import SurvData

_MULTITEST = {"holm": "holm", "BH": "fdr_bh", "none": None}


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
    from hccdash.survdata import SurvData  # rows only: not on the engine's import path

    if adjust not in ADJUST:
        raise InputError(f"adjust {adjust!r} is not supported; use 'holm', 'BH' or 'none'.")
    _check_method(method, p, q)
    group = _need_group(group)
    t, e, codes, labels, _, _ = _prepare(data, time, event, group, levels)
    event = data.event_col if isinstance(data, SurvData) else event
    sizes = _groups_or_raise(group, labels, codes)
    if not e.any():
        raise no_events_error(event, t.size)
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

"""Counts and stacked curves the competing-risks figures draw (computed here, drawn elsewhere).

:func:`cause_counts` gives, per group and time, the number at risk (time >= t), the cumulative
events of every cause and the cumulative censored (time <= t): the table under the CIF, stacked
and 1 − KM figures. :func:`stacked_cif` reads every cause's CIF of one group on the union of
their jump times, so that the figure stacks them without re-estimating anything; the sum of the
causes is 1 − the all-cause Kaplan-Meier (Aalen-Johansen), which the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hccdash.competing.cuminc import CumIncResult
from hccdash.competing.data import Prepared, code_label

__all__ = ["CauseCounts", "StackedCIF", "cause_counts", "stacked_cif"]


@dataclass(frozen=True)
class CauseCounts:
    """Numbers at risk and cumulative events per cause, per group, at ``times``.

    ``n_risk`` and ``n_censor`` have shape (groups, times); ``n_event`` (groups, causes,
    times), causes in the order of ``causes``.
    """

    times: np.ndarray
    groups: tuple[str, ...]
    causes: tuple[object, ...]
    cause_names: tuple[str, ...]
    n: tuple[int, ...]
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray

    def events(self, group: int, cause: object) -> np.ndarray:
        """Cumulative events of ``cause`` in group number ``group`` at every time."""
        return self.n_event[group, self.causes.index(code_label(cause))]


def cause_counts(
    prepared: Prepared,
    times: Sequence[float] | np.ndarray,
    causes: Sequence[object],
    names: Sequence[str] | None = None,
) -> CauseCounts:
    """At risk (time >= t), cumulative events of each cause and censored (time <= t).

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.competing import prepare
    >>> p = prepare(pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]}), "t", "s")
    >>> c = cause_counts(p, [0, 2, 4], (1, 2))
    >>> c.n_risk.tolist(), c.n_event[0].tolist(), c.n_censor.tolist()
    ([[4, 3, 1]], [[0, 1, 2], [0, 1, 1]], [[0, 0, 1]])
    """
    ts = np.sort(np.asarray(times, dtype=float).ravel())
    causes = tuple(code_label(c) for c in causes)
    ng = len(prepared.group_levels)
    risk = np.zeros((ng, ts.size), dtype=np.int64)
    events = np.zeros((ng, len(causes), ts.size), dtype=np.int64)
    cens = np.zeros((ng, ts.size), dtype=np.int64)
    sizes = []
    for gi in range(ng):
        m = prepared.group == gi
        tg, sg = prepared.time[m], prepared.status[m]  # tg sorted (prepare sorts by time)
        sizes.append(int(tg.size))
        risk[gi] = tg.size - np.searchsorted(tg, ts, side="left")
        for k, cause in enumerate(causes):
            events[gi, k] = np.searchsorted(tg[sg == cause], ts, side="right")
        cens[gi] = np.searchsorted(tg[prepared.censored[m]], ts, side="right")
    return CauseCounts(
        ts,
        tuple(str(g) for g in prepared.group_levels),
        causes,
        tuple(names) if names is not None else tuple(str(c) for c in causes),
        tuple(sizes),
        risk,
        events,
        cens,
    )


@dataclass(frozen=True)
class StackedCIF:
    """Every cause's CIF of one group on a common time grid (``est``: causes x times)."""

    group: str
    n: int
    causes: tuple[object, ...]
    cause_names: tuple[str, ...]
    n_event: tuple[int, ...]
    time: np.ndarray
    est: np.ndarray

    @property
    def top(self) -> np.ndarray:
        """Upper edge of each cause's band: the cumulative sum over the causes drawn so far."""
        return np.cumsum(self.est, axis=0)


def stacked_cif(result: CumIncResult, group: str) -> StackedCIF:
    """The CIFs of ``group`` read (as R's ``timepoints``) at the union of their jump times.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.competing import cuminc
    >>> r = cuminc(pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1]}), "t", "s")
    >>> s = stacked_cif(r, "all")
    >>> s.time.tolist(), s.top[-1].tolist()
    ([0.0, 1.0, 2.0, 4.0], [0.0, 0.25, 0.5, 1.0])
    """
    curves = [c for c in result.curves if c.group == str(group)]
    if not curves:
        raise KeyError(f"no curves for group {group!r}")
    grid = np.unique(np.concatenate([c.time for c in curves]))
    est = np.vstack(
        [c.est[np.clip(np.searchsorted(c.time, grid, side="right") - 1, 0, None)] for c in curves]
    )
    return StackedCIF(
        str(group),
        curves[0].n,
        tuple(c.cause for c in curves),
        tuple(c.cause_name for c in curves),
        tuple(c.n_event for c in curves),
        grid,
        est,
    )

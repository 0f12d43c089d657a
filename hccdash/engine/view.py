"""What a page asks the engine for: one filtered view, computed from one aggregation.

A page (or the server-side cohort, ``HCCDASH_DATA``) holds one :class:`EngineCohort` per
cohort, shared by every session; per rerun it asks ``cohort.km_view(time, event, by=...,
filters=...)`` with the sidebar's predicate dict (the shape of ``FilterSpec.extra``:
``{"child_pugh": ("A", "B"), "kps": (70, 100)}``, see :mod:`hccdash.engine.predicate`) and
gets the KM curves, medians, landmark rates, risk table, RMST and the group test, all from a
single GROUP BY on the engine. Option lists for the filter widgets come from
``cohort.options(column)`` (``SELECT DISTINCT``, cached per cohort).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from hccdash.compare import SurvdiffResult
from hccdash.engine import survival as es
from hccdash.engine.predicate import Filters
from hccdash.engine.source import Source
from hccdash.nonparametric import (
    RMST,
    KMResult,
    LandmarkTable,
    MedianTable,
    RiskTable,
    landmark_table,
    median_table,
    risk_table,
    rmst,
)

__all__ = ["EngineCohort", "KMView", "km_view"]


@dataclass(frozen=True)
class KMView:
    """Everything the KM page shows for one endpoint, grouping and filter."""

    km: KMResult
    medians: MedianTable
    landmarks: LandmarkTable | None
    risk: RiskTable | None
    rmst: tuple[RMST, ...] | None
    test: SurvdiffResult | None


def km_view(
    source: Source,
    time: str,
    event: str,
    by: str | None = None,
    *,
    filters: Filters = None,
    levels: Sequence[str] | None = None,
    strata: str | None = None,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    method: str = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    codes_checked: bool = False,
) -> KMView:
    """Filtered KM by group for one endpoint, and its test, from one engine aggregation.

    The test is computed when ``by`` has at least two groups with data (else ``test`` is
    None: the page says "one group"); it is stratified by ``strata`` when given.
    ``codes_checked``: the event column holds only 0, 1 and NULL (see ``count_table``).

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.engine import open_source
    >>> d = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 1], "g": list("abab")})
    >>> v = km_view(open_source(d), "t", "e", "g", filters={"t": (0, 3)})
    >>> v.km.levels, v.km.n, v.test is not None
    (('a', 'b'), 3, True)
    """
    counts = es.count_table(
        source, time, event, by, strata=strata, filters=filters, levels=levels,
        codes_checked=codes_checked,
    )  # fmt: skip
    km = es.km(counts, conf_type=conf_type, conf_level=conf_level)
    test = None
    if by is not None and len({int(g) for g in counts.group}) >= 2 and counts.n_event.any():
        test = es.survdiff(counts, method=method, p=p, q=q)
    return KMView(
        km=km,
        medians=median_table(km),
        landmarks=landmark_table(km, times) if times is not None else None,
        risk=risk_table(km, times) if times is not None else None,
        rmst=tuple(rmst(c, tau) for c in km.curves) if tau is not None else None,
        test=test,
    )


class EngineCohort:
    """One cohort on the engine, shared by every session (thread-safe option cache)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._options: dict[str, list[object]] = {}
        self._lock = threading.Lock()

    def options(self, column: str) -> list[object]:
        """Distinct values of ``column`` for a filter widget (queried once per cohort)."""
        with self._lock:
            if column not in self._options:
                self._options[column] = self.source.distinct(column)
            return self._options[column]

    def km_view(self, time: str, event: str, by: str | None = None, **kw) -> KMView:
        """:func:`km_view` on this cohort."""
        return km_view(self.source, time, event, by, **kw)

"""The KM and cohort pages' numbers on a cohort served in place, one query each.

:func:`km_result` is the KM page (curves, the group test, pairwise and trend tests) from ONE
count table; :func:`events`, :func:`group_sizes`, :func:`completeness_of` and
:func:`followup_of` are the sidebar's and the cohort page's counts; :func:`median_of` is the
KM page's default cut. Each takes the sidebar's :class:`~hccdash.filters.FilterSpec` as SQL
predicates (``ServedCohort.filters``). They equal the in-memory functions on the rows
(``tests/test_served_pages.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sqlglot import exp

from hccdash.codebook import Codebook
from hccdash.engine.served import ServedCohort
from hccdash.engine.source import Source, ident, literal
from hccdash.errors import InputError
from hccdash.filters import FilterSpec
from hccdash.served_pages import _cond, _item

__all__ = [
    "ServedKM",
    "completeness_of",
    "events",
    "followup_of",
    "group_sizes",
    "km_result",
    "median_of",
]


def events(served: ServedCohort, spec: FilterSpec | None) -> dict[str, int]:
    """Events per endpoint among the patients ``spec`` keeps (one query)."""
    book: Codebook = served.codebook
    sel = [exp.alias_(exp.Sum(this=ident(e.event)), f"e{i}") for i, e in enumerate(book.endpoints)]
    q = served.view.select(*sel)
    cond = _cond(served, spec)
    if cond is not None:
        q = q.where(cond)
    r = served.view.fetch(q)
    return {e.key: int(np.nan_to_num(r[f"e{i}"][0])) for i, e in enumerate(book.endpoints)}


def group_sizes(served: ServedCohort, spec: FilterSpec | None, column: str) -> dict[str, int]:
    """Patients per value of ``column`` among those ``spec`` keeps (missing as ``None``)."""
    from hccdash.codebook import level_text

    served.view.require([column])
    q = served.view.select(
        exp.alias_(ident(column), "v"), exp.alias_(exp.Count(this=exp.Star()), "n")
    ).group_by(ident(column))
    cond = _cond(served, spec)
    if cond is not None:
        q = q.where(cond)
    r = served.view.fetch(q)
    out: dict[str, int] = {}
    for v, n in zip(r["v"], r["n"], strict=True):
        v = _item(v)
        missing = v is None or (isinstance(v, float) and np.isnan(v))
        key = "missing" if missing else level_text(v)
        out[key] = out.get(key, 0) + int(n)
    return out


def median_of(served: ServedCohort, spec: FilterSpec | None, column: str) -> float | None:
    """The median of a numeric column among the patients ``spec`` keeps (the KM page's
    default cut, as ``Series.median``: the mean of the two middle values)."""
    served.view.require([column])
    q = served.view.select(
        exp.alias_(exp.Anonymous(this="quantile_cont", expressions=[ident(column), literal(0.5)]),
                   "m")
    )  # fmt: skip
    cond = _cond(served, spec)
    if cond is not None:
        q = q.where(cond)
    v = _item(served.view.fetch(q)["m"][0])
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


# ------------------------------------------------------------------------------------------
# The KM page on the engine
# ------------------------------------------------------------------------------------------
GROUP_COLUMN = "__hccdash_group"


@dataclass(frozen=True)
class ServedKM:
    """One endpoint's KM page on a served cohort, from ONE aggregation (the count table):
    curves, the group test, the pairwise tests and the trend test (None when not asked or
    not computable, with the reason in ``messages``)."""

    km: object
    test: object | None
    pairwise: object | None
    trend: object | None
    messages: tuple[str, ...] = ()


def _grouped_source(source: Source, column: str, cut: float | None, labels) -> Source:
    """``source`` with the grouping as one more text column (a numeric column cut at
    ``cut`` into ``labels``: ``<= cut`` low, ``> cut`` high, missing stays missing)."""
    col = ident(column)
    if cut is None:
        return source
    c = literal(float(cut))
    case = (
        exp.Case()
        .when(exp.LTE(this=col.copy(), expression=c), literal(labels[0]))
        .when(exp.GT(this=col.copy(), expression=c.copy()), literal(labels[1]))
    )
    sub = exp.select(exp.Star(), exp.alias_(case, GROUP_COLUMN, quoted=True))
    table = sub.from_(source.table.copy()).subquery("grouped")
    columns = {**source.columns, GROUP_COLUMN: "VARCHAR"}
    return Source(backend=source.backend, table=table, columns=columns, name=source.name)


def km_result(
    served: ServedCohort,
    spec: FilterSpec | None,
    endpoint: str,
    column: str | None = None,
    *,
    cut: float | None = None,
    cut_labels: tuple[str, str] | None = None,
    levels: tuple[str, ...] | None = None,
    conf_type: str = "log-log",
    method: str = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    adjust: str = "holm",
    trend: bool = False,
) -> ServedKM:
    """KM by ``column`` (cut at ``cut`` when given) of ``endpoint`` on the patients ``spec``
    keeps, its test, pairwise tests (3+ groups) and trend test (``trend``), from one GROUP BY.

    The same numbers as ``kaplan_meier`` / ``survdiff`` / ``pairwise_survdiff`` /
    ``trend_test`` on the rows in memory (``tests/test_served_pages.py``).
    """
    from hccdash.engine import survival as es

    e = served.endpoint(endpoint)
    by = column
    source = served.view
    if column is not None and cut is not None:
        labels = cut_labels or (f"≤ {cut:g}", f"> {cut:g}")
        source, by = _grouped_source(source, column, cut, labels), GROUP_COLUMN
    preds = served.filters(spec) if spec is not None else None
    counts = es.count_table(
        source, e.time, e.event, by, filters=preds, levels=levels, codes_checked=True
    )
    if by is not None:
        counts = replace_column(counts, column)
    km = es.km(counts, conf_type=conf_type)
    messages: list[str] = []
    test = pw = tr = None
    present = {int(g) for g in counts.group[counts.n_total > 0]} if counts.n_total.size else set()
    if by is not None and len(present) >= 2:
        try:
            test = es.survdiff(counts, method=method, p=p, q=q, group=column)
        except InputError as exc:
            messages.append(f"No test: {exc}")
        if len(present) > 2:
            try:
                pw = es.pairwise(counts, method=method, adjust=adjust, p=p, q=q, group=column)
            except InputError as exc:
                messages.append(f"No pairwise tests: {exc}")
            if trend:
                try:
                    plain = test if method == "logrank" else es.survdiff(counts, group=column)
                    tr = es.trend(plain) if plain is not None else None
                except InputError as exc:
                    messages.append(f"No trend test: {exc}")
    return ServedKM(km, test, pw, tr, tuple(messages))


def replace_column(counts, column: str | None):
    """The count table named by the page's column (not the internal grouping column)."""
    return replace(counts, group_column=column)


# ------------------------------------------------------------------------------------------
# The cohort page on the engine
# ------------------------------------------------------------------------------------------
def completeness_of(served: ServedCohort, spec: FilterSpec | None):
    """Present and missing values per column among the patients ``spec`` keeps (one query;
    :func:`hccdash.baseline.completeness` of the rows)."""
    from hccdash.baseline import Completeness

    cols = list(served.view.columns)
    sel = [exp.alias_(exp.Count(this=exp.Star()), "n")]
    sel += [exp.alias_(exp.Count(this=ident(c)), f"c{i}") for i, c in enumerate(cols)]
    q = served.view.select(*sel)
    cond = _cond(served, spec)
    if cond is not None:
        q = q.where(cond)
    r = served.view.fetch(q)
    n = int(r["n"][0])
    present = np.array([int(r[f"c{i}"][0]) for i in range(len(cols))], dtype=np.int64)
    return Completeness(tuple(cols), n, present, n - present)


def followup_of(served: ServedCohort, spec: FilterSpec | None, endpoint: str):
    """Median follow-up by the reverse Kaplan-Meier (R ``survfit(Surv(time, 1 - event) ~ 1)``,
    :func:`hccdash.nonparametric.median_followup`) among the patients ``spec`` keeps: one
    GROUP BY of the censorings per distinct time."""
    from hccdash.engine import survival as es
    from hccdash.nonparametric import median_table

    e = served.endpoint(endpoint)
    flipped = exp.Sub(this=literal(1.0), expression=ident(e.event))
    name = "__hccdash_reverse"
    sub = exp.select(exp.Star(), exp.alias_(flipped, name, quoted=True))
    table = sub.from_(served.view.table.copy()).subquery("reverse")
    source = Source(
        backend=served.view.backend, table=table,
        columns={**served.view.columns, name: "DOUBLE"}, name=served.view.name,
    )  # fmt: skip
    preds = served.filters(spec) if spec is not None else None
    counts = es.count_table(source, e.time, name, None, filters=preds, codes_checked=True)
    return median_table(es.km(counts)).rows[0]

"""The count table of the engine's survival: ONE pushed-down GROUP BY per analysis.

Kaplan-Meier and every log-rank test need only, per stratum, group and distinct time, the
number of events and the number of rows (events plus censorings). :func:`validate` checks the
time and event columns with one aggregate query (the in-memory messages), :func:`count_query`
builds the GROUP BY as a SQLGlot expression (the same on DuckDB and Spark) and
:func:`count_table` fetches it into a :class:`CountTable`. The numpy finish (curves and
tests) is :mod:`hccdash.engine.survival`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlglot import exp

from hccdash.engine.predicate import Filters, where
from hccdash.engine.source import Source, as_double, ident, literal
from hccdash.errors import InputError
from hccdash.nonparametric.groups import _level_label

__all__ = ["CountTable", "count_query", "count_table", "present", "validate"]

_MAX_DOUBLE = 1.7976931348623157e308


@dataclass(frozen=True)
class CountTable:
    """Counts per (stratum, group, distinct time): the sufficient statistics of KM and tests.

    Attributes
    ----------
    stratum, group : numpy.ndarray
        Integer codes into ``strata`` / ``groups`` (0 when there is no strata / group column).
    time : numpy.ndarray
        Distinct observed times (exact, before the near-tie rule), ascending within each
        (stratum, group).
    n_event, n_total : numpy.ndarray
        Events and rows (events + censorings) at that time.
    groups, strata : tuple of str
        Level labels in order (``(None,)`` without a column).
    n, dropped : int
        Rows counted; rows left out as incomplete (missing time, event, group or stratum,
        or a group outside ``levels``), after the filters.
    """

    stratum: np.ndarray
    group: np.ndarray
    time: np.ndarray
    n_event: np.ndarray
    n_total: np.ndarray
    groups: tuple
    strata: tuple
    n: int
    dropped: int
    group_column: str | None = None
    strata_column: str | None = None

    def subset(self, keep: np.ndarray) -> CountTable:
        """The rows of the table where ``keep`` is True (same labels)."""
        return replace(
            self,
            stratum=self.stratum[keep],
            group=self.group[keep],
            time=self.time[keep],
            n_event=self.n_event[keep],
            n_total=self.n_total[keep],
            n=int(self.n_total[keep].sum()),
        )


# ----------------------------------------------------------------------------------------
# The aggregation (one definition for every backend)
# ----------------------------------------------------------------------------------------
def present(source: Source, column: str) -> exp.Expression:
    """SQL: the value of ``column`` is not missing (NULL, or NaN in a float column)."""
    col = ident(column)
    cond: exp.Expression = exp.not_(exp.Is(this=col, expression=exp.Null()))
    if source.columns[column].upper().split("(")[0] in ("DOUBLE", "FLOAT", "REAL"):
        cond = exp.and_(cond, exp.not_(exp.IsNan(this=ident(column))))
    return cond


def _case_sum(cond: exp.Expression, alias: str) -> exp.Expression:
    case = exp.Case().when(cond, exp.Literal.number(1)).else_(exp.Literal.number(0))
    return exp.alias_(exp.Sum(this=case), alias)


def validate(
    source: Source, time: str, event: str, others: Sequence[str], cond: exp.Expression | None
) -> tuple[int, int]:
    """Check the time and event columns on the engine; return (rows, incomplete rows).

    Raises InputError naming the column, the number of bad rows and up to five bad values,
    as ``hccdash.validate.survival_arrays`` does for a frame.
    """
    source.require([time, event, *others])
    _check_time_event(source, time, event)
    t = as_double(ident(time))
    e = as_double(ident(event))
    complete = exp.and_(*(present(source, c) for c in (time, event, *others)))
    bad_t = exp.or_(
        exp.LT(this=t.copy(), expression=literal(0.0)),
        exp.GT(this=exp.Abs(this=t.copy()), expression=literal(_MAX_DOUBLE)),
    )
    bad_e = exp.not_(exp.In(this=e.copy(), expressions=[literal(0.0), literal(1.0)]))
    q = source.select(
        exp.alias_(exp.Count(this=exp.Star()), "n"),
        _case_sum(exp.not_(complete.copy()), "incomplete"),
        _case_sum(exp.and_(present(source, time), bad_t.copy()), "bad_time"),
        _case_sum(exp.and_(present(source, event), bad_e.copy()), "bad_event"),
    )
    if cond is not None:
        q = q.where(cond.copy())
    r = source.fetch(q)
    n, incomplete = int(r["n"][0]), int(np.nan_to_num(r["incomplete"][0]))
    checks = (
        (time, bad_t, "bad_time", "a negative or infinite time", "Times must be finite and >= 0"),
        (event, bad_e, "bad_event", "codes other than 0/1", "Code events as 1 and 0 (censored)"),
    )
    for col, bad, key, role, fix in checks:
        count = int(np.nan_to_num(r[key][0]))
        if count:
            ex = source.select(exp.alias_(ident(col), "v")).where(
                exp.and_(present(source, col), bad, *([cond.copy()] if cond is not None else []))
            )
            vals = source.fetch(ex.distinct().limit(5))["v"]
            raise InputError(
                f"Column {col!r} of {source.name!r} has {count} row(s) with {role} (values "
                f"{', '.join(repr(v.item() if hasattr(v, 'item') else v) for v in vals)}). "
                f"{fix}; correct these cells or choose another column."
            )
    return n, incomplete


def count_query(
    source: Source,
    time: str,
    event: str,
    group: str | None = None,
    strata: str | None = None,
    cond: exp.Expression | None = None,
    *,
    exact: bool = False,
    checked: bool = False,
) -> exp.Select:
    """The one aggregation behind every KM curve and test, rendered per backend dialect.

    ``SELECT s, g, t, ... GROUP BY s, g, t`` over the filtered rows, incomplete ones included
    (NULL/NaN keys), so the same single scan also counts the rows left out and checks the
    event codes. Default (plain aggregates, as fast as a bare GROUP BY): ``d = SUM(e)``,
    ``n = COUNT(*)``, ``ne = COUNT(e)``, ``sq = SUM(e * e)``, ``lo``/``hi`` = MIN/MAX(e); the
    codes of a key are all 0/1 exactly when ``0 <= lo``, ``hi <= 1`` and ``d == sq`` (each
    e (1 - e) >= 0 on [0, 1], and their sum is d - sq). ``exact=True`` (run only when that
    check fails or an event is NaN) counts ``n_ok`` rows coded 0/1 and ``bad_e`` others.
    ``checked=True`` (an event column whose codes are known to be 0, 1 or NULL, as a served
    cohort's view makes them): only ``d``, ``n`` and ``ne``, the bare GROUP BY's cost.
    """
    inner = source.select(
        exp.alias_(ident(strata) if strata else exp.Literal.number(0), "s"),
        exp.alias_(ident(group) if group else exp.Literal.number(0), "g"),
        exp.alias_(as_double(ident(time)), "t"),
        exp.alias_(as_double(ident(event)), "e"),
    )
    if cond is not None:
        inner = inner.where(cond.copy())
    col = exp.column
    e = col("e")
    n = exp.alias_(exp.Count(this=exp.Star()), "n")
    if checked:
        aggs = [
            exp.alias_(exp.Sum(this=e.copy()), "d"),
            n,
            exp.alias_(exp.Count(this=e.copy()), "ne"),
        ]
    elif exact:
        ok = exp.In(this=e.copy(), expressions=[literal(0.0), literal(1.0)])
        bad = exp.and_(exp.not_(ok.copy()), exp.not_(exp.IsNan(this=e.copy())))
        aggs = [
            _case_sum(exp.EQ(this=e.copy(), expression=literal(1.0)), "d"),
            n,
            _case_sum(ok, "n_ok"),
            _case_sum(bad, "bad_e"),
        ]
    else:
        aggs = [
            exp.alias_(exp.Sum(this=e.copy()), "d"),
            n,
            exp.alias_(exp.Count(this=e.copy()), "ne"),
            exp.alias_(exp.Sum(this=exp.Mul(this=e.copy(), expression=e.copy())), "sq"),
            exp.alias_(exp.Min(this=e.copy()), "lo"),
            exp.alias_(exp.Max(this=e.copy()), "hi"),
        ]
    # aggregate over a subquery: only the aliases are visible, whatever the table's columns
    return (
        exp.select(col("s"), col("g"), col("t"), *aggs)
        .from_(inner.subquery("rows"))
        .group_by(col("s"), col("g"), col("t"))
    )


def _missing(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and v != v) for v in values], bool)
    return np.zeros(values.size, dtype=bool)


def _check_time_event(source: Source, time: str, event: str) -> None:
    for c, role in ((time, "time"), (event, "event")):
        if not source.numeric(c) and source.columns[c].upper() != "BOOLEAN":
            raise InputError(
                f"Column {c!r} ({role}) of {source.name!r} is {source.columns[c]}, not numeric. "
                + (
                    "Times must be numbers such as 12.5."
                    if role == "time"
                    else "Code events as 1 (event) and 0 (censored)."
                )
            )


def _codes(values: np.ndarray, numeric: bool, levels: Sequence[str] | None):
    """Codes and labels of raw group values, ordered as ``group_codes`` orders them."""
    uniq = list(dict.fromkeys(v.item() if isinstance(v, np.generic) else v for v in values))
    order = sorted(uniq) if numeric else sorted(uniq, key=lambda v: str(v))
    labels = [_level_label(v) for v in order]
    by_label = list(dict.fromkeys(labels))
    want = [str(v) for v in levels] if levels is not None else by_label
    pos = {lab: i for i, lab in enumerate(want)}
    lookup = {v: pos.get(_level_label(v), -1) for v in uniq}
    codes = np.array([lookup[v.item() if isinstance(v, np.generic) else v] for v in values])
    return codes.astype(np.int64), tuple(want)


def count_table(
    source: Source,
    time: str,
    event: str,
    group: str | None = None,
    *,
    strata: str | None = None,
    filters: Filters = None,
    levels: Sequence[str] | None = None,
    codes_checked: bool = False,
) -> CountTable:
    """Validate, filter and count on the engine: the input of :func:`km`, :func:`survdiff` ...

    Parameters
    ----------
    source : Source
    time, event : str
        Time (>= 0) and event (0/1) columns.
    group, strata : str, optional
        Grouping and stratification columns.
    filters : mapping, optional
        Predicates (``hccdash.engine.predicate``), applied on the engine.
    levels : sequence of str, optional
        Group levels in order; other levels are left out and counted in ``dropped``.
    codes_checked : bool
        The event column holds only 0, 1 and NULL (checked when the cohort was opened, as
        :mod:`hccdash.engine.served` does): the count skips the code checks.

    Returns
    -------
    CountTable
    """
    cond = where(source, filters)
    others = [c for c in (group, strata) if c]
    source.require([time, event, *others])
    _check_time_event(source, time, event)
    r = source.fetch(count_query(source, time, event, group, strata, cond, checked=codes_checked))
    with np.errstate(invalid="ignore"):
        ne = r["ne"].astype(np.int64)
        d = np.asarray(r["d"], dtype=np.float64)
        if codes_checked:
            codes_ok = np.ones(ne.size, dtype=bool)
        else:
            sq = np.asarray(r["sq"], dtype=np.float64)
            lo, hi = (np.asarray(r[k], dtype=np.float64) for k in ("lo", "hi"))
            codes_ok = (ne == 0) | ((lo >= 0) & (hi <= 1) & (d == sq))
    if codes_ok.all():
        r["d"], r["n_ok"], r["bad_e"] = np.rint(np.nan_to_num(d)), ne, np.zeros(ne.size)
    else:  # a code other than 0/1, or a NaN event: count exactly (rare)
        r = source.fetch(count_query(source, time, event, group, strata, cond, exact=True))
    n_rows = r["n"].astype(np.int64)
    n_all = int(n_rows.sum())
    if n_all == 0:
        raise InputError(
            f"No rows of {source.name!r} match the filters. Widen the filters."
            if cond is not None
            else f"{source.name!r} has 0 rows. Load a cohort with at least one patient."
        )
    t = np.asarray(r["t"], dtype=np.float64) + 0.0  # -0.0 -> 0.0, as survival_arrays
    with np.errstate(invalid="ignore"):
        bad_t = (t < 0) | np.isinf(t)
    if bad_t.any():
        vals = ", ".join(repr(float(v)) for v in np.unique(t[bad_t])[:5])
        raise InputError(
            f"Column {time!r} of {source.name!r} has {int(n_rows[bad_t].sum())} row(s) with a "
            f"negative or infinite time (values {vals}). Times must be finite and >= 0; "
            "correct these cells or choose another column."
        )
    bad_e = int(np.nan_to_num(r["bad_e"].astype(np.float64)).sum())
    if bad_e:
        validate(source, time, event, others, cond)  # names the values (error path only)
    miss = np.isnan(t) | _missing(r["g"]) | _missing(r["s"])
    n_ok = r["n_ok"].astype(np.int64)
    complete = ~miss & (n_ok > 0)
    if not complete.any():
        raise InputError(
            f"No complete rows: all {n_all} rows miss one of "
            f"{', '.join(map(repr, [time, event, *others]))}. Fill in the data, choose other "
            "columns, or widen the filters."
        )
    incomplete = n_all - int(n_ok[complete].sum())
    rg, rs, t = r["g"][complete], r["s"][complete], t[complete]
    d, n = r["d"][complete].astype(np.int64), n_ok[complete]
    if group:
        gcodes, glabels = _codes(rg, source.numeric(group), levels)
    else:
        gcodes, glabels = np.zeros(t.size, dtype=np.int64), (None,)
    if strata:
        scodes, slabels = _codes(rs, source.numeric(strata), None)
    else:
        scodes, slabels = np.zeros(t.size, dtype=np.int64), (None,)
    keep = gcodes >= 0
    outside = int(n[~keep].sum())
    if not keep.all():
        gcodes, scodes, d, n, t = gcodes[keep], scodes[keep], d[keep], n[keep], t[keep]
    order = np.lexsort((t, gcodes, scodes))
    if int(n.sum()) == 0:
        raise InputError(
            f"No complete rows: all {n_all} rows miss one of "
            f"{', '.join(map(repr, [time, event, *others]))} or have a {group!r} level outside "
            f"{list(levels or [])!r}. Fill in the data, choose other columns, or widen the filters."
        )
    return CountTable(
        stratum=scodes[order],
        group=gcodes[order],
        time=t[order],
        n_event=d[order],
        n_total=n[order],
        groups=glabels,
        strata=slabels,
        n=int(n.sum()),
        dropped=incomplete + outside,
        group_column=group,
        strata_column=strata,
    )

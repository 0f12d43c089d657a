"""What the app's pages need of a server-side cohort served in place (``HCCDASH_DATA``).

A large ``HCCDASH_DATA`` (more rows than ``HCCDASH_IN_MEMORY_ROWS``, default 200,000) is not
read into pandas: :mod:`hccdash.engine.served` queries it where it lives, on one connection
every session shares. This module is the bridge between that engine cohort and the pages:

- :func:`~hccdash.engine.placement.serve_in_place` (re-exported here) decides, from a cheap
  row count (Parquet metadata, a DuckDB ``COUNT(*)``, the lines of a CSV), whether a file is
  served in place;
- :class:`ServedShell` is the :class:`~hccdash.schema.Cohort` the sidebar and the pages see:
  its codebook, and as ``data`` a small **option frame** (:func:`option_frame`): per column
  every distinct value of a factor, and for a number its extremes, a sample of values and
  the values next to each codebook cut, so the sidebar's widgets (levels, slider bounds and
  steps, preset ranges) and the pages' option scans give what they would on the whole file,
  with no per-session copy of any row;
- :func:`materialise` reads the rows one filter keeps (SQL -> pandas, through the codebook's
  view) as a plain Cohort, for the pages that need every row, when they are few enough;
- the KM and cohort pages' numbers on the engine are :mod:`hccdash.served_stats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlglot import exp

from hccdash.codebook import complete
from hccdash.engine.placement import (
    IN_MEMORY_ENV,
    in_memory_rows,
    row_count,
    serve_in_place,
)
from hccdash.engine.predicate import where
from hccdash.engine.served import ServedCohort
from hccdash.engine.source import Source, ident, literal
from hccdash.filters import FilterSpec
from hccdash.schema import PATIENT_ID, Cohort

__all__ = [
    "IN_MEMORY_ENV",
    "ServedRows",
    "ServedShell",
    "in_memory_rows",
    "materialise",
    "option_frame",
    "row_count",
    "serve_in_place",
    "shell_cohort",
]

MAX_LEVELS = 500  # a text column with more distinct values is no filter or grouping factor
NUMERIC_SAMPLE = 50  # distinct values of a number kept beyond its extremes and cut witnesses
HEAD_ROWS = 100_000  # rows whose distinct values decide "many" without a full scan


# ------------------------------------------------------------------------------------------
# The cohort the pages see
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServedShell(Cohort):
    """A served cohort as the sidebar and the pages see it: its codebook, its name, and as
    ``data`` the option frame (:func:`option_frame`), never its rows.

    ``n`` is the number of patients on the engine; ``identity`` is the file's path and
    version (``key``), so every cache keyed on it follows a new version of the file.
    """

    served: ServedCohort | None = field(default=None, repr=False, compare=False)
    key: str = ""

    @property
    def n(self) -> int:  # type: ignore[override]
        return self.served.count() if self.served is not None else 0

    @property
    def identity(self) -> str:  # type: ignore[override]
        return f"served:{self.key}"


@dataclass(frozen=True)
class ServedRows(Cohort):
    """The rows one filter keeps of a served cohort, read into memory (:func:`materialise`).

    ``identity`` is the served cohort's and the filter's (no hashing of every cell)."""

    ident: str = ""

    @property
    def identity(self) -> str:  # type: ignore[override]
        return self.ident


def _numeric(source: Source, column: str) -> bool:
    return source.numeric(column) and source.columns[column].upper() != "BOOLEAN"


def _filtered(agg: type, column: str, cond: exp.Expression, alias: str) -> exp.Expression:
    flt = exp.Filter(this=agg(this=ident(column)), expression=exp.Where(this=cond))
    return exp.alias_(flt, alias)


def _column_summary(
    source: Source, columns: list[str], cuts: dict[str, list[float]]
) -> dict[str, dict[str, object]]:
    """ONE query over the numbers with many values: per column its extremes, its smallest
    value off the slider's step of 10, and the values next to each codebook cut (the largest
    at or below, the smallest above)."""
    sel: list[exp.Expression] = []
    names: dict[str, dict[str, str]] = {}
    for i, c in enumerate(columns):
        names[c] = {"lo": f"lo{i}", "hi": f"hi{i}", "ten": f"ten{i}"}
        sel.append(exp.alias_(exp.Min(this=ident(c)), f"lo{i}"))
        sel.append(exp.alias_(exp.Max(this=ident(c)), f"hi{i}"))
        off = exp.NEQ(this=exp.Mod(this=ident(c), expression=literal(10)), expression=literal(0))
        sel.append(_filtered(exp.Min, c, off, f"ten{i}"))
        for j, cut in enumerate(cuts.get(c, [])):
            at = literal(float(cut))
            names[c] |= {f"le{j}": f"le{i}_{j}", f"gt{j}": f"gt{i}_{j}"}
            sel.append(_filtered(exp.Max, c, exp.LTE(this=ident(c), expression=at), f"le{i}_{j}"))
            sel.append(
                _filtered(exp.Min, c, exp.GT(this=ident(c), expression=at.copy()), f"gt{i}_{j}")
            )
    if not sel:
        return {}
    r = source.fetch(source.select(*sel))
    return {c: {key: _present(r[alias][0]) for key, alias in names[c].items()} for c in columns}


def _head_distinct(source: Source, columns: list[str]) -> dict[str, int]:
    """ONE query: per column its number of distinct values among the first
    :data:`HEAD_ROWS` rows (a lower bound of the whole column's: a column with more than a
    threshold there has more in all, and needs no full scan to say so)."""
    head = exp.select(exp.Star()).from_(source.table.copy()).limit(HEAD_ROWS).subquery("head")
    sel = [
        exp.alias_(exp.Count(this=exp.Distinct(expressions=[ident(c)])), f"d{i}")
        for i, c in enumerate(columns)
    ]
    r = source.fetch(exp.select(*sel).from_(head))
    return {c: int(r[f"d{i}"][0]) for i, c in enumerate(columns)}


def _item(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v


def _present(v: object) -> object:
    v = _item(v)
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _values(source: Source, column: str, limit: int, rows: int | None = None) -> list:
    """Distinct non-missing values of ``column`` (at most ``limit``; among the first ``rows``
    rows only, when given: a sample)."""
    table = source.table.copy()
    if rows is not None:
        table = exp.select(ident(column)).from_(table).limit(rows).subquery("head")
    q = exp.select(exp.alias_(ident(column), "v")).from_(table)
    q = q.where(exp.not_(exp.Is(this=ident(column), expression=exp.Null())))
    return [_item(v) for v in source.fetch(q.distinct().limit(limit))["v"]]


def _numeric_witnesses(source: Source, column: str, summary: dict[str, object]) -> list:
    """Values of a many-valued number that keep every sidebar rule exact: the extremes, a
    sample (so it is never read as binary), a value off the slider's step of 10 if any, and
    the values next to each codebook cut (:func:`_column_summary`)."""
    fixed = [v for v in summary.values() if v is not None]
    out = list(dict.fromkeys([*fixed, *_values(source, column, NUMERIC_SAMPLE, rows=HEAD_ROWS)]))
    if len(out) < 3:  # the first rows hold one value: a sample of the whole column
        out = list(dict.fromkeys([*fixed, *_values(source, column, NUMERIC_SAMPLE)]))
    return out


def option_frame(served: ServedCohort, max_levels: int = MAX_LEVELS) -> pd.DataFrame:
    """The served cohort's option frame: per column the values the sidebar and the pages'
    option scans read, padded with missing values to one length.

    A factor (text, or a number with at most :data:`NUMERIC_SAMPLE` distinct values) keeps
    every distinct value; a text column with more than ``max_levels`` distinct values (an
    identifier, free text) is all missing (it is offered as no filter or grouping); a number
    keeps the witnesses of :func:`_numeric_witnesses`. Queried once per cohort.
    """
    view = served.view
    columns = list(view.columns)
    cuts = {v.name: [float(g.cut) for g in v.groupings] for v in served.codebook.variables}
    head = _head_distinct(view, columns)
    series: dict[str, list] = {}
    for c in columns:
        few = NUMERIC_SAMPLE if _numeric(view, c) else max_levels
        # every distinct value when there are at most ``few`` (one full DISTINCT scan, and
        # none when the first rows already hold more)
        values = _values(view, c, few + 1) if head[c] <= few else []
        series[c] = values if len(values) <= few else []
    many = [c for c in columns if _numeric(view, c) and not series[c]]
    summary = _column_summary(view, many, cuts)
    for c in many:
        series[c] = _numeric_witnesses(view, c, summary[c])
    length = max([len(v) for v in series.values()] + [1])
    frame = {}
    for c, values in series.items():
        pad = [None] * (length - len(values))
        if _numeric(view, c):
            frame[c] = pd.Series([*values, *pad], dtype="float64")
        else:
            frame[c] = pd.Series([*values, *pad], dtype=object)
    return pd.DataFrame(frame, columns=columns)


def shell_cohort(served: ServedCohort, key: str, source: str) -> ServedShell:
    """The :class:`ServedShell` of ``served`` (its codebook completed with R's defaults on
    the option frame, as :func:`hccdash.cohortfile.load_cohort_file` completes it)."""
    frame = option_frame(served)
    book = complete(served.codebook, frame)
    return ServedShell(
        name=served.name, data=frame, source=source, codebook=book, served=served, key=key
    )


def _cond(served: ServedCohort, spec: FilterSpec | None) -> exp.Expression | None:
    return where(served.view, served.filters(spec)) if spec is not None else None


def materialise(shell: ServedShell, spec: FilterSpec) -> ServedRows:
    """The rows ``spec`` keeps, read into memory through the codebook's view, as a Cohort
    with the shell's codebook (the caller checks their number first: ``served.count``)."""
    served = shell.served
    q = served.view.select(exp.Star())
    cond = _cond(served, spec)
    if cond is not None:
        q = q.where(cond)
    data = _as_read(served.view.fetch(q), served.view)
    return ServedRows(
        name=shell.name,
        data=data,
        source=shell.source,
        codebook=shell.codebook,
        ident=f"{shell.identity}|rows={spec!r}",
    )


def _as_read(arrays: dict[str, np.ndarray], source: Source) -> pd.DataFrame:
    """Columns as the in-memory reader holds them: numbers as int64 or float64 (NaN for
    missing), everything else as object (None for missing)."""
    out = {}
    for c in source.columns:
        a = arrays[c]
        if _numeric(source, c):
            if a.dtype.kind == "O":  # an integer column with NULLs comes back as objects
                a = np.array([np.nan if v is None else v for v in a], dtype="float64")
            out[c] = pd.Series(a)
        elif a.dtype.kind in "biuf":
            out[c] = pd.Series(a)
        else:
            out[c] = pd.Series(a, dtype=object)
    frame = pd.DataFrame(out, columns=list(source.columns))
    if PATIENT_ID in frame.columns:
        frame[PATIENT_ID] = frame[PATIENT_ID].map(lambda v: None if v is None else str(v))
    return frame

"""Filters as SQL predicates, built as SQLGlot expressions (never pasted strings).

A filter is a mapping ``column -> values`` in the shape of ``FilterSpec.extra``:

- a tuple of category values (``("A", "B")``): ``column IN ('A', 'B')``;
- a pair of numbers ``(low, high)``: ``column BETWEEN low AND high`` (inclusive);
- ``{"in": [...]}`` or ``{"min": low, "max": high}`` to say which one explicitly;
- ``None``: no restriction.

Column names are quoted identifiers and values escaped literals in the backend's dialect,
so any name (quotes, backticks, spaces, semicolons) and any value are safe. Rows missing the
filtered column are left out, as ``Series.isin`` / ``between`` do in the in-memory path.
Category values given as text for a numeric column (``"2"`` from a URL) compare as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlglot import exp

from hccdash.engine.source import Source, ident, literal
from hccdash.errors import InputError

__all__ = ["Filters", "where"]

Filters = Mapping[str, Any] | Iterable[tuple[str, Any]] | None


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _as_number(column: str, v: object) -> float | int:
    if _is_number(v):
        return v  # type: ignore[return-value]
    try:
        x = float(str(v))
    except ValueError:
        raise InputError(
            f"Filter on numeric column {column!r}: {v!r} is not a number. Give numbers such "
            "as 2 or 7.5."
        ) from None
    if not math.isfinite(x):
        raise InputError(f"Filter on column {column!r}: {v!r} is not a finite number.")
    return int(x) if x.is_integer() else x


def _one(source: Source, column: str, spec: Any) -> exp.Expression | None:
    if spec is None:
        return None
    col = ident(column)
    numeric = source.numeric(column)
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"in", "min", "max"}
        if unknown:
            raise InputError(
                f"Filter on {column!r} has unknown keys {sorted(unknown)!r}; use 'in' or "
                "'min'/'max'."
            )
        if "in" in spec:
            return _isin(column, col, list(spec["in"]), numeric)
        lo, hi = spec.get("min"), spec.get("max")
        parts = []
        if lo is not None:
            parts.append(exp.GTE(this=col.copy(), expression=literal(_as_number(column, lo))))
        if hi is not None:
            parts.append(exp.LTE(this=col.copy(), expression=literal(_as_number(column, hi))))
        return exp.and_(*parts) if parts else None
    if isinstance(spec, str | int | float):
        spec = (spec,)
    values = list(spec)
    if len(values) == 2 and all(_is_number(v) for v in values) and numeric:
        lo, hi = sorted(values)
        return exp.Between(this=col, low=literal(lo), high=literal(hi))
    return _isin(column, col, values, numeric)


def _isin(column: str, col: exp.Column, values: list, numeric: bool) -> exp.Expression:
    if not values:
        return exp.false()
    if all(isinstance(v, bool) for v in values):  # a BOOLEAN column's own values (option
        return exp.In(this=col, expressions=[literal(v) for v in values])  # lists): TRUE/FALSE
    if numeric:
        lits = [literal(_as_number(column, v)) for v in values]
    else:
        lits = [literal(v if isinstance(v, str) else str(v)) for v in values]
        col = exp.cast(col, exp.DataType.Type.VARCHAR)  # type: ignore[assignment]
    return exp.In(this=col, expressions=lits)


def where(source: Source, filters: Filters) -> exp.Expression | None:
    """One SQL condition for all filters (AND), or None when nothing is filtered.

    Parameters
    ----------
    source : Source
        The table (its column types decide numeric vs text comparison).
    filters : mapping or pairs
        ``{column: values}`` as described in the module docstring.

    Returns
    -------
    sqlglot.exp.Expression or None

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.engine.source import open_source
    >>> src = open_source(pd.DataFrame({"a b": ["x", "y"], "k": [70, 90]}))
    >>> where(src, {"a b": ["x"], "k": (60, 80)}).sql("duckdb")
    '(CAST("a b" AS TEXT) IN (\\'x\\')) AND "k" BETWEEN 60 AND 80'
    """
    if filters is None:
        return None
    items = filters.items() if isinstance(filters, Mapping) else filters
    parts = []
    for column, spec in items:
        source.require([column])
        cond = _one(source, column, spec)
        if cond is not None:
            parts.append(exp.paren(cond) if isinstance(cond, exp.In) else cond)
    return exp.and_(*parts) if parts else None

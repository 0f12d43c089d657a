"""R's defaults for a column no codebook describes: sorted levels, the first the reference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from hccdash.codebook.model import MAX_LEVELS, Codebook, EndpointSpec, Variable


def r_levels(values: pd.Series) -> tuple[str, ...]:
    """Distinct values as R's ``factor()`` orders them: numbers numerically, text sorted.

    >>> r_levels(pd.Series([10, 2, 2, 1]))
    ('1', '2', '10')
    """
    uniq = pd.unique(values.dropna())
    num = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce")
    if len(uniq) and num.notna().all():
        order = np.argsort(num.to_numpy(dtype=float), kind="stable")
        return tuple(level_text(uniq[i]) for i in order)
    return tuple(sorted(level_text(v) for v in uniq))


def level_text(v: object) -> str:
    """A cell as its level string (``1.0`` -> ``"1"``)."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def infer_kind(values: pd.Series) -> str:
    """``binary`` (two distinct values), ``numeric``, ``categorical`` (<= 12 texts), ``id``."""
    s = values.dropna()
    n = s.nunique()
    if n == 2:
        return "binary"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return "numeric"
    if n <= MAX_LEVELS:
        return "categorical"
    return "id"


def infer_variable(name: str, values: pd.Series, label: str | None = None) -> Variable:
    """R's defaults for one column: sorted levels, the first is the reference."""
    kind = infer_kind(values)
    levels = r_levels(values) if kind in ("binary", "categorical") else ()
    reference = levels[0] if levels else None
    return Variable(name=name, label=label or name, kind=kind, levels=levels, reference=reference)


def infer_codebook(
    data: pd.DataFrame,
    endpoints: Sequence[EndpointSpec] = (),
    *,
    id_column: str | None = None,
    labels: dict[str, str] | None = None,
    skip: Iterable[str] = (),
) -> Codebook:
    """A codebook with R's defaults for every column not used by an endpoint."""
    labels = labels or {}
    used = {c for e in endpoints for c in (e.time, e.event)} | set(skip)
    variables = []
    for c in data.columns:
        name = str(c)
        if name in used:
            continue
        if name == id_column:
            variables.append(Variable(name, labels.get(name, name), kind="id"))
            continue
        variables.append(infer_variable(name, data[c], labels.get(name)))
    return Codebook(variables=tuple(variables), endpoints=tuple(endpoints), id_column=id_column)


def complete(codebook: Codebook, data: pd.DataFrame) -> Codebook:
    """``codebook`` plus R-default entries for the columns of ``data`` it does not describe."""
    known = {v.name for v in codebook.variables} | codebook.endpoint_columns()
    if codebook.id_column:
        known.add(codebook.id_column)
    extra = [infer_variable(str(c), data[c]) for c in data.columns if str(c) not in known]
    if not extra:
        return codebook
    return replace(codebook, variables=codebook.variables + tuple(extra))


# -- applying a codebook to a file's table -----------------------------------------------

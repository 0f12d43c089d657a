"""The input boundary: one check of a survival DataFrame before any analysis.

Every analysis first keeps the complete cases of the columns it needs (``complete_cases``,
reporting how many rows it dropped) and then calls ``validate_survival`` on what is left, so
a bad value anywhere surfaces as one readable ``InputError`` that names the column, counts the
bad rows, shows the first row labels and bad values, and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hccdash.errors import InputError, preview_labels

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["complete_cases", "survival_arrays", "validate_survival"]

_SHOW = 5  # how many row labels / values a message lists


def _labels(data: pd.DataFrame, mask: np.ndarray, id_column: str | None) -> str:
    """The first row labels where ``mask`` is true: id_column values when given, else index."""
    if id_column is not None and id_column in data.columns:
        labels = data[id_column].to_numpy()[mask]
    else:
        labels = data.index.to_numpy()[mask]
    return preview_labels([x.item() if isinstance(x, np.generic) else x for x in labels], _SHOW)


def _values(values: np.ndarray, limit: int = _SHOW) -> str:
    """Quote the first distinct bad values with ``!r``."""
    seen: list[object] = []
    for v in values:
        item = v.item() if isinstance(v, np.generic) else v
        if item not in seen:
            seen.append(item)
        if len(seen) >= limit:
            break
    return ", ".join(f"{v!r}" for v in seen)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _require_columns(
    data: pd.DataFrame, columns: Sequence[str], *, source: str | None = None
) -> None:
    """The one check that named columns exist; ``source`` names the file (command line)."""
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if not missing:
        return
    have = ", ".join(repr(c) for c in list(data.columns)[:12])
    if source is not None:
        raise InputError(
            f"file {source!r} has no column {missing[0]!r} (columns: {have}); fix: use one of "
            "these names (they are case-sensitive)."
        )
    raise InputError(
        f"Column {missing[0]!r} is not in the data (columns: {have}). "
        "Choose an existing column or rename it in the column mapping."
    )


def _numeric(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Column as float64 plus a mask of present values that are not numbers."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(col):
        arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return arr, np.zeros(len(arr), dtype=bool)
    if pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return arr, np.zeros(len(arr), dtype=bool)
    coerced = pd.to_numeric(col.astype(object), errors="coerce")
    arr = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(arr) & col.notna().to_numpy()
    return arr, bad


def _plain(col: pd.Series) -> np.ndarray | None:
    """The column as a plain float or int numpy array without missing values, else None."""
    if col.dtype.kind in "iu":
        return col.to_numpy()
    if col.dtype.kind == "f":
        arr = col.to_numpy()
        return arr if not np.isnan(arr.min(initial=0.0)) else None
    return None


def survival_arrays(
    data: pd.DataFrame, time: str, event: str, *, id_column: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (float64), events (int8) and a mask of rows missing either, checking the rest.

    Missing values are not errors here (analyses drop them as incomplete cases); every
    present value must be a valid time or event code.

    Raises
    ------
    hccdash.errors.InputError
        Non-numeric, negative or infinite times, or event codes other than 0/1.
    """
    _require_columns(data, [time, event])
    # fast path (plain numeric columns, nothing missing or out of range): a few reductions
    t_raw, e_raw = _plain(data[time]), _plain(data[event])
    if t_raw is not None and e_raw is not None and t_raw.size:
        t_lo, t_hi = t_raw.min(), t_raw.max()
        e_lo, e_hi = e_raw.min(), e_raw.max()
        ok_e = e_lo >= 0 and e_hi <= 1 and (e_raw.dtype.kind in "iu" or np.all(e_raw == e_raw // 1))
        if t_lo >= 0 and np.isfinite(t_hi) and ok_e:
            # + 0.0 copies (never alias the caller's frame) and turns -0.0 into 0.0, which
            # keeps the bit-pattern sort key of nonparametric monotone
            t = t_raw.astype(np.float64) + 0.0
            return t, e_raw.astype(np.int8), np.zeros(t.size, dtype=bool)
    col = data[time]
    arr, nonnum = _numeric(col)
    if nonnum.any():
        raise InputError(
            f"Column {time!r} (time) has {_rows(int(nonnum.sum()))} with a non-numeric time "
            f"(rows {_labels(data, nonnum, id_column)}; values "
            f"{_values(col.to_numpy()[nonnum])}). Times must be numbers such as 12.5; "
            "correct these cells or map another column as the time."
        )
    with np.errstate(invalid="ignore"):
        bad = (arr < 0) | np.isinf(arr)
    if bad.any():
        raise InputError(
            f"Column {time!r} (time) has {_rows(int(bad.sum()))} with a negative or infinite "
            f"time (rows {_labels(data, bad, id_column)}; values {_values(arr[bad])}). Times "
            "must be finite and >= 0; correct these cells (check the start and end dates)."
        )
    col = data[event]
    ev, nonnum = _numeric(col)
    bad = nonnum | ((ev != 0) & (ev != 1) & ~np.isnan(ev))
    if bad.any():
        raise InputError(
            f"Column {event!r} (event) has {_rows(int(bad.sum()))} with codes other than 0/1 "
            f"(rows {_labels(data, bad, id_column)}; values {_values(col.to_numpy()[bad])}). "
            "Code events as 1 (event happened) and 0 (censored), e.g. map 'dead' -> 1, "
            "'alive' -> 0 in the column mapping."
        )
    missing = np.isnan(arr) | np.isnan(ev)
    return arr + 0.0, np.nan_to_num(ev).astype(np.int8), missing


def validate_survival(
    data: pd.DataFrame,
    time: str,
    event: str,
    *,
    group: str | None = None,
    covariates: Sequence[str] = (),
    id_column: str | None = None,
) -> None:
    """Check survival data at the boundary; raise one readable error on the first problem.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    time : str
        Column of follow-up times: numeric, finite, ``>= 0``, not missing.
    event : str
        Column of event indicators: ``1`` (event) or ``0`` (censored), booleans allowed.
    group : str, optional
        Grouping column: no missing values.
    covariates : sequence of str
        Model covariates: no missing values.
    id_column : str, optional
        Column whose values label rows in messages (default: the frame's index).

    Raises
    ------
    hccdash.errors.InputError
        Zero rows, a missing column, missing/non-numeric/negative/infinite times, event codes
        other than 0/1, or missing group or covariate values. The message names the column,
        counts the bad rows, lists the first row labels and bad values and says the fix.
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    extra = [c for c in (group,) if c is not None] + list(covariates)
    _require_columns(data, [time, event, *extra])
    if len(data) == 0:
        raise InputError(
            "The data have 0 rows. Load a file with at least one patient, or widen the filters."
        )
    survival_arrays(data, time, event, id_column=id_column)
    for name, role in [(time, "time"), (event, "event")] + [
        (c, "group" if c == group else "covariate") for c in extra
    ]:
        missing = data[name].isna().to_numpy()
        if missing.any():
            raise InputError(
                f"Column {name!r} ({role}) has {_rows(int(missing.sum()))} with a missing value "
                f"(rows {_labels(data, missing, id_column)}). Fill in these cells or remove "
                "the rows (analyses use complete cases)."
            )


def complete_cases(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Rows with a value in every one of ``columns``, and how many rows were dropped.

    Parameters
    ----------
    data : pandas.DataFrame
        The data.
    columns : sequence of str
        Columns the analysis needs.

    Returns
    -------
    tuple of (pandas.DataFrame, int)
        The complete rows (the original frame itself when nothing is missing) and the number
        of rows dropped.

    Raises
    ------
    hccdash.errors.InputError
        A column is not in the data.
    """
    cols = list(dict.fromkeys(columns))
    _require_columns(data, cols)
    keep = None
    for c in cols:
        ok = data[c].notna().to_numpy()
        keep = ok if keep is None else keep & ok
    if keep is None or keep.all():
        return data, 0
    return data.loc[keep], int((~keep).sum())

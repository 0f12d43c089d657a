"""The header checked and each column typed: numeric only when every non-empty cell is a number.

Decimal commas are converted (and reported), leading zeros ("007") keep a column as text, the
missing-value strings are :data:`NA_VALUES`, dates stay text until the mapping step parses
them. Shared by the text, XLSX and Parquet readers. Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

from hccdash import schema
from hccdash.errors import FileReadError, preview_labels

MAX_COLUMNS = 500
# Cells read as missing: the bundled cohort's list (pandas' defaults minus "None", which is a
# value in clinical sheets: failure pattern "None"), plus "na", "." and "-" (SPSS/Stata exports).
NA_VALUES = schema.NA_STRINGS | {"na", ".", "-"}

_NUM_DOT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d+$")


def _check_header(header: list[object], name: str) -> list[str]:
    cols = [
        "" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip()
        for c in header
    ]
    blank = [i + 1 for i, c in enumerate(cols) if c == ""]
    if blank and len(blank) == len(cols):
        raise FileReadError(
            f"file {name!r}: the first row is empty; fix: put the column names in the first row."
        )
    if blank:
        raise FileReadError(
            f"file {name!r}: {len(blank)} columns have no name (column "
            f"{preview_labels(blank)}); fix: give every column a name in the header row "
            "(one header row, no merged cells)."
        )
    seen: dict[str, int] = {}
    dups: list[str] = []
    for c in cols:
        seen[c] = seen.get(c, 0) + 1
        if seen[c] == 2:
            dups.append(c)
    if dups:
        raise FileReadError(
            f"file {name!r}: duplicated column names {preview_labels(dups)}; fix: rename the "
            "columns so every name is unique."
        )
    if len(cols) > MAX_COLUMNS:
        raise FileReadError(
            f"file {name!r} has {len(cols)} columns, more than {MAX_COLUMNS}; fix: keep only "
            "the columns needed (or the file is transposed: one row per patient is expected)."
        )
    return cols


def _is_missing(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v.strip() in NA_VALUES


def _infer_column(values: pd.Series) -> tuple[pd.Series, bool]:
    """Numeric when every non-missing cell is a number; decimal comma handled.

    Returns the converted column and whether decimal commas were converted.
    """
    if values.map(type).eq(str).all():
        return _infer_text(values)
    mask = values.map(_is_missing)
    present = values[~mask]
    out_missing = values.where(~mask, None)
    if present.empty:
        return pd.Series(np.nan, index=values.index, dtype=float), False
    if not all(isinstance(v, str) for v in present):
        nums = pd.to_numeric(present, errors="coerce")
        if nums.notna().all() and not any(isinstance(v, bool) for v in present):
            return pd.to_numeric(out_missing, errors="coerce").astype(float), False
        return out_missing.map(lambda v: v if v is None else _cell_text(v)).astype(object), False
    text = present.str.strip()
    if text.str.match(r"^0\d+$").any():
        # Leading zeros ("007") mark identifiers or codes: keep them as text.
        return out_missing.map(lambda v: v if v is None else str(v).strip()).astype(object), False
    if text.map(lambda s: bool(_NUM_DOT.match(s))).all():
        out = pd.Series(np.nan, index=values.index, dtype=float)
        out[text.index] = text.astype(float)
        return _maybe_int(out), False
    if text.map(lambda s: bool(_NUM_COMMA.match(s) or (_NUM_DOT.match(s) and "." not in s))).all():
        out = pd.Series(np.nan, index=values.index, dtype=float)
        out[text.index] = text.str.replace(".", "", regex=False).str.replace(",", ".").astype(float)
        return _maybe_int(out), True
    return out_missing.map(lambda v: v if v is None else str(v).strip()).astype(object), False


_COMMA_NUMBER = r"[+-]?\d{1,3}(?:\.\d{3})*,\d+|[+-]?\d+(?:,\d+)?"


def _infer_text(values: pd.Series) -> tuple[pd.Series, bool]:
    """:func:`_infer_column` for an all-text column, vectorised (large CSV files)."""
    text = values.str.strip()
    missing = text.isin(NA_VALUES)
    present = text[~missing]
    as_text = text.where(~missing, None).astype(object)
    if present.empty:
        return pd.Series(np.nan, index=values.index, dtype=float), False
    nums = pd.to_numeric(present, errors="coerce")
    if nums.notna().all() and present.str.match(r"0\d").any():
        # Leading zeros ("007") mark identifiers or codes: keep them as text.
        return as_text, False
    if nums.notna().all():
        out = pd.Series(np.nan, index=values.index, dtype=float)
        try:
            # pd.to_numeric's parser can be 1 ulp off (13.371663244353183 -> ...185); Python's
            # float() rounds correctly, as R's read.csv does.
            out[present.index] = present.astype(float)
        except ValueError:
            out[present.index] = nums.astype(float)
        return _maybe_int(out), False
    if present.str.contains(",", regex=False).any() and present.str.fullmatch(_COMMA_NUMBER).all():
        out = pd.Series(np.nan, index=values.index, dtype=float)
        dotted = present.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        out[present.index] = dotted.astype(float)
        return _maybe_int(out), True
    return as_text, False


def _cell_text(v: object) -> str:
    if isinstance(v, datetime):  # also pandas Timestamp
        return v.isoformat() if (v.hour or v.minute or v.second) else v.date().isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v).strip()


def _maybe_int(s: pd.Series) -> pd.Series:
    finite = s.dropna()
    if (
        not s.isna().any()
        and len(finite)
        and np.all(np.isfinite(finite))
        and (finite == np.round(finite)).all()
        and finite.abs().max() < 2**53
    ):
        return s.astype(np.int64)
    return s


def infer_series(values: pd.Series) -> tuple[pd.Series, bool]:
    """:func:`hccdash.io.distinct.infer_series` (typed per distinct value)."""
    from hccdash.io.distinct import infer_series as by_distinct

    return by_distinct(values)


def _frame_from_rows(
    header: list[str], body: list[list[object]], name: str
) -> tuple[pd.DataFrame, bool]:
    if not body:
        raise FileReadError(
            f"file {name!r} has a header ({preview_labels(header, 4)}) but no data rows; fix: "
            "export the sheet with one row per patient under the header."
        )
    raw = pd.DataFrame(body, columns=header, dtype=object)
    comma = False
    cols = {}
    for c in header:
        cols[c], used = infer_series(raw[c])
        comma = comma or used
    data = pd.DataFrame(cols, index=pd.RangeIndex(len(raw)))
    return data, comma


def _frame_from_frame(body: pd.DataFrame, name: str) -> tuple[pd.DataFrame, bool]:
    if body.empty:
        return _frame_from_rows(list(body.columns), [], name)
    comma = False
    cols = {}
    for c in body.columns:
        cols[c], used = infer_series(body[c])
        comma = comma or used
    return pd.DataFrame(cols, index=pd.RangeIndex(len(body))), comma

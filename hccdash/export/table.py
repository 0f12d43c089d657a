"""Tables as files: CSV (UTF-8 with BOM) and XLSX, numbers kept, formulas defused."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from hccdash.errors import InputError
from hccdash.textsafe import defuse_cell

TABLE_FORMATS = ("csv", "xlsx")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"Expected a table (pandas DataFrame), got {type(df).__name__}.")
    out = df.copy()
    if not isinstance(out.index, pd.RangeIndex) or out.index.name is not None:
        out = out.reset_index()
    out.columns = [defuse_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(defuse_cell)
    return out


def _cell(value: object) -> object:
    """A Python value openpyxl writes as a number, text or empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, str):
        # Control characters (NUL ...) are illegal in XLSX XML: shown as U+FFFD, not a crash.
        return _XML_ILLEGAL.sub("\ufffd", value)
    if isinstance(value, int):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return str(value)


def table_bytes(df: pd.DataFrame, fmt: str = "csv", *, sheet: str = "table") -> bytes:
    """A table as CSV (UTF-8 with BOM, so Excel reads accents) or XLSX (openpyxl).

    Numbers stay numbers at full precision (the on-screen numbers, unrounded); text cells that
    start with ``= + - @`` are prefixed with ``'`` so a spreadsheet never runs them as formulas.

    Parameters
    ----------
    df : pandas.DataFrame
    fmt : {"csv", "xlsx"}
    sheet : str
        XLSX sheet name.
    """
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in TABLE_FORMATS:
        raise InputError(f"Table format {fmt!r} is not supported: use one of {TABLE_FORMATS}.")
    out = _prepare(df)
    if fmt == "csv":
        text = out.to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        return ("\ufeff" + text).encode("utf-8")
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "table"
    ws.append([_cell(str(c)) for c in out.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in out.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    # Text cells are written as data, never as formulas (openpyxl treats "=..." as formula).
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    for j, col in enumerate(out.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in out[col].head(200)]) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(60, width)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

"""Parquet files (pyarrow): dates as ISO text, text columns typed as in CSV files.

Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import pandas as pd

from hccdash.errors import FileReadError, preview_labels
from hccdash.io.columns import _cell_text, _check_header, _infer_column
from hccdash.io.formats import TableFile


def _read_parquet(raw: bytes, name: str) -> TableFile:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FileReadError(
            f"file {name!r} is not a readable Parquet file ({exc}); fix: write it again with "
            "pandas.DataFrame.to_parquet or export CSV."
        ) from exc
    header = _check_header(list(table.column_names), name)
    data = table.to_pandas()
    if data.empty:
        raise FileReadError(
            f"file {name!r} has columns ({preview_labels(header, 4)}) but no rows; fix: "
            "write the table with one row per patient."
        )
    data = data.reset_index(drop=True)
    for c in data.columns:
        s = data[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
            data[c] = s.map(lambda v: None if pd.isna(v) else _cell_text(v)).astype(object)
        elif pd.api.types.is_bool_dtype(s):
            data[c] = s.astype(object)
        elif not pd.api.types.is_numeric_dtype(s):
            data[c] = _infer_column(s.astype(object))[0]
    return TableFile(data=data, name=name, format="parquet")

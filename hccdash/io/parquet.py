"""Parquet files (pyarrow): dates as ISO text, text columns typed as in CSV files.

Text columns are read dictionary-encoded and typed on their distinct values
(:mod:`hccdash.io.distinct`, in arrow compute when there are many), so text comes back as
Categoricals; the other columns are converted by ``pyarrow.Table.to_pandas`` with the file's
pandas metadata. ``per_cell=True`` is the careful reader (every cell through
:func:`~hccdash.io.columns._infer_column`), kept as the reference the tests compare with.
Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.errors import FileReadError, preview_labels
from hccdash.io.columns import _cell_text, _check_header, _infer_column
from hccdash.io.distinct import categorical, dictionary_codes, infer_coded, infer_dictionary
from hccdash.io.formats import TableFile


def _read_parquet(raw: bytes, name: str, *, per_cell: bool = False) -> TableFile:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        strings = [] if per_cell else _string_columns(pq.read_schema(pa.BufferReader(raw)))
    except (pa.ArrowException, OSError, ValueError):
        strings = []  # read_table below says what is wrong, as it always did
    try:
        table = pq.read_table(pa.BufferReader(raw), read_dictionary=strings or None)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FileReadError(
            f"file {name!r} is not a readable Parquet file ({exc}); fix: write it again with "
            "pandas.DataFrame.to_parquet or export CSV."
        ) from exc
    header = _check_header(list(table.column_names), name)
    if table.num_rows == 0:
        raise FileReadError(
            f"file {name!r} has columns ({preview_labels(header, 4)}) but no rows; fix: "
            "write the table with one row per patient."
        )
    meta = (table.schema.pandas_metadata or {}).get("index_columns", [])
    index = {c for c in meta if isinstance(c, str)}  # (a RangeIndex is a dict)
    text = {c: table.column(c) for c in strings if c not in index}
    data = table.drop_columns(list(text)).to_pandas().reset_index(drop=True)
    order = [c for c in table.column_names if c not in index]
    if list(data.columns) != [c for c in order if c not in text]:
        # names the pandas metadata restores differently (numbers ...): convert as a whole
        data, text, order = table.to_pandas().reset_index(drop=True), {}, None
    del table
    order = list(data.columns) if order is None else order
    typed = {c: _text_column(col) for c, col in text.items()}
    data = pd.DataFrame(
        {c: typed[c] if c in typed else data[c] for c in order}, index=data.index, copy=False
    )
    for c in data.columns:
        if c in typed:
            continue
        s = data[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
            if per_cell:
                data[c] = s.map(lambda v: None if pd.isna(v) else _cell_text(v)).astype(object)
            else:
                codes, uniques = pd.factorize(s, use_na_sentinel=True)
                cells = np.array([_cell_text(v) for v in uniques] + [None], dtype=object)
                data[c] = pd.Series(
                    categorical(cells, np.where(codes < 0, len(uniques), codes)), index=data.index
                )
        elif pd.api.types.is_bool_dtype(s):
            data[c] = s.astype(object)
        elif isinstance(s.dtype, pd.CategoricalDtype) and not per_cell:
            cats = pd.Series(s.cat.categories.to_numpy(dtype=object), dtype=object)
            data[c] = infer_coded(cats, s.cat.codes.to_numpy())[0].set_axis(data.index)
        elif not pd.api.types.is_numeric_dtype(s):
            data[c] = _infer_column(s.astype(object))[0]
    return TableFile(data=data, name=name, format="parquet")


def _text_column(chunked) -> pd.Series:  # pyarrow.ChunkedArray of dictionary<string>
    """A text column typed on its dictionary; null cells are missing."""
    dictionary, codes = dictionary_codes(chunked)
    if chunked.null_count == 0:
        return infer_dictionary(dictionary, codes)[0]
    uniques = pd.Series(dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return infer_coded(uniques, codes)[0]


def _string_columns(schema) -> list[str]:  # pyarrow.Schema -> names of its text columns
    import pyarrow as pa

    return [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]

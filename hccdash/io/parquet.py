"""Parquet files (pyarrow): dates as ISO text, text columns typed as in CSV files.

Text columns are read dictionary-encoded and typed on their distinct values
(:mod:`hccdash.io.distinct`, in arrow compute when there are many), so text comes back as
Categoricals; the other columns are converted by ``pyarrow.Table.to_pandas`` with the file's
pandas metadata. ``per_cell=True`` is the careful reader (every cell through
:func:`~hccdash.io.columns._infer_column`), kept as the reference the tests compare with.

:func:`footprint` bounds, from the footer alone, the memory a read can take; a file under
:func:`hccdash.io.worker.in_process`'s bound is read in the calling process, any other in the
bounded worker. Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.errors import FileReadError, preview_labels
from hccdash.io.columns import _cell_text, _check_header, _infer_column
from hccdash.io.distinct import (
    categorical,
    dictionary_codes,
    encode_sorted,
    infer_coded,
    infer_dictionary,
    map_columns,
    release_arrow_memory,
)
from hccdash.io.formats import TableFile


def _read_parquet(raw: bytes, name: str, *, per_cell: bool = False) -> TableFile:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(pa.BufferReader(raw)).metadata
        strings = [] if per_cell else _string_columns(meta.schema.to_arrow_schema())
        plain = _plain_text(meta, strings)
    except (pa.ArrowException, OSError, ValueError):
        strings = plain = []  # read_table below says what is wrong, as it always did
    try:
        table = pq.read_table(
            pa.BufferReader(raw), read_dictionary=[c for c in strings if c not in plain] or None
        )
        for c in plain:  # encoded here: one dictionary, not one per page
            i = table.schema.get_field_index(c)
            table = table.set_column(i, c, encode_sorted(table.column(i)))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FileReadError(
            f"file {name!r} is not a readable Parquet file ({exc}); fix: write it again with "
            "pandas.DataFrame.to_parquet or export CSV."
        ) from exc
    release_arrow_memory()
    header = _check_header(list(table.column_names), name)
    if table.num_rows == 0:
        raise FileReadError(
            f"file {name!r} has columns ({preview_labels(header, 4)}) but no rows; fix: "
            "write the table with one row per patient."
        )
    meta = (table.schema.pandas_metadata or {}).get("index_columns", [])
    index = {c for c in meta if isinstance(c, str)}  # (a RangeIndex is a dict)
    text = {c: table.column(c) for c in strings if c not in index}
    data = _pandas(table.drop_columns(list(text)))
    order = [c for c in table.column_names if c not in index]
    if list(data.columns) != [c for c in order if c not in text]:
        # names the pandas metadata restores differently (numbers ...): convert as a whole
        data, text, order = _pandas(table), {}, None
    del table
    order = list(data.columns) if order is None else order
    names = list(text)  # each column freed once typed; side by side when large
    typed = dict(
        zip(names, map_columns(lambda c: _text_column(text.pop(c)), names, len(data)), strict=True)
    )
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


# What a column chunk's compressed bytes can expand to, per codec. Snappy's densest tag copies
# 64 bytes for 3 (21.3x); the footer's own uncompressed sizes are not trusted (a file can
# lie). gzip, zstd, brotli and lz4 can expand a few bytes into gigabytes: not bounded here.
_EXPANSION = {"UNCOMPRESSED": 1, "SNAPPY": 22}
_VALUE_BYTES = 8  # one decoded cell: a number, a timestamp, a text's code and its pointer


def footprint(raw: bytes) -> int | None:
    """An upper bound, from the footer, of the bytes reading ``raw`` takes; None when unknown.

    Per column chunk: the larger of its declared uncompressed size and what its codec can
    expand its compressed bytes to (:data:`_EXPANSION`), plus 8 bytes per row. None (read it
    in the worker) when the footer does not parse, a column is not a number, boolean,
    timestamp or UTF-8 text (dates, decimals, binary and nested values become Python objects,
    or expand without a bound the footer shows), or a chunk uses another codec.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"t": [1.5, 2.0], "arm": ["A", "B"]}).to_parquet(index=False)
    >>> 2 * 2 * 8 < footprint(raw) < 100_000
    True
    >>> footprint(raw[:-12]) is None  # a damaged footer
    True
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(pa.BufferReader(raw)).metadata
        schema = meta.schema.to_arrow_schema()
        total = 0
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            for j in range(group.num_columns):
                chunk = group.column(j)
                expansion = _EXPANSION.get(chunk.compression)
                if expansion is None:
                    return None
                size = max(chunk.total_uncompressed_size, expansion * chunk.total_compressed_size)
                total += size + _VALUE_BYTES * max(group.num_rows, chunk.num_values)
    except (pa.ArrowException, OSError, ValueError, IndexError):
        return None
    if not all(_flat(f.type) for f in schema):
        return None
    return total


def _flat(kind) -> bool:  # pyarrow.DataType read without a Python object per cell
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(kind):
        kind = kind.value_type
    return (
        t.is_integer(kind)
        or t.is_floating(kind)
        or t.is_boolean(kind)
        or t.is_timestamp(kind)
        or t.is_string(kind)
        or t.is_large_string(kind)
        or t.is_null(kind)
    )


def _pandas(table) -> pd.DataFrame:  # pyarrow.Table -> its frame, on a RangeIndex
    """``table.to_pandas()`` with a RangeIndex (what ``reset_index(drop=True)`` gave, without
    its copy of every column), one block per column (no consolidating copy either)."""
    data = table.to_pandas(split_blocks=True)
    data.index = pd.RangeIndex(len(data))
    return data


def _text_column(chunked) -> pd.Series:  # pyarrow.ChunkedArray of dictionary<string>
    """A text column typed on its dictionary; null cells are missing."""
    dictionary, codes = dictionary_codes(chunked)
    if chunked.null_count == 0:
        return infer_dictionary(dictionary, codes)[0]
    uniques = pd.Series(dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return infer_coded(uniques, codes)[0]


# A text column whose dictionary page is this large has most likely outgrown the writer's
# dictionary (pyarrow's default limit: 1 MiB) and continued in plain pages: arrow would give
# it one dictionary per page (10x the memory and time), so it is read plain and encoded once.
_BIG_DICTIONARY_PAGE = 1 << 18


def _plain_text(meta, strings: list[str]) -> list[str]:
    """The text columns read as plain strings (then dictionary-encoded): those with a chunk
    without a dictionary page or with a large one."""
    wanted = set(strings)
    plain = set()
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            chunk = group.column(j)
            if chunk.path_in_schema not in wanted:
                continue
            page = chunk.data_page_offset - (chunk.dictionary_page_offset or 0)
            if not chunk.has_dictionary_page or page >= _BIG_DICTIONARY_PAGE:
                plain.add(chunk.path_in_schema)
    return [c for c in strings if c in plain]


def _string_columns(schema) -> list[str]:  # pyarrow.Schema -> names of its text columns
    import pyarrow as pa

    return [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]

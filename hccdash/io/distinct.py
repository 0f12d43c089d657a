"""A column typed from its distinct values: the cost per cell is one integer take.

Every rule of :mod:`hccdash.io.columns` (missing strings, stripping, leading-zero codes,
decimal commas, whole numbers as integers) decides on *all* or *any* of a column's cells, so it
decides the same on the column's distinct values. :func:`infer_coded` applies those rules (the
very functions :func:`~hccdash.io.columns._infer_column` and
:func:`~hccdash.io.columns._infer_text`, not a copy) to the distinct values and expands the
result with the codes: numbers as ``float64``/``int64`` arrays, text as a pandas
``Categorical`` whose categories are in R's ``factor()`` order (numbers numerically, text
sorted by code point), so a Cox model's reference level is the one an object column gives.

Used by the columnar CSV reader (:mod:`hccdash.io.arrowcsv`), the Parquet reader, and the
careful readers' all-text columns. Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")
R = TypeVar("R")

# Columns with at least this many rows are typed on a thread pool; at most this many at once
# (each holds its column's copies). From 2^20 rows only: a registry read gains (1e7 CSV 2.06x
# -> 1.40x DuckDB's time), while an upload (<= 50 MB) keeps one thread, whose freed memory the
# session's release gives back to the system (test_e2e_sessions: with the pool from 2^16 rows,
# 107 MB of a 207 MB upload stayed resident after its session closed, over the 50% bound).
POOL_ROWS = 1 << 20
POOL_WORKERS = 4


def infer_coded(uniques: pd.Series, codes: np.ndarray) -> tuple[pd.Series, bool]:
    """The typed column of ``uniques[codes]`` (code ``-1``: a null cell).

    Parameters
    ----------
    uniques : pandas.Series
        Distinct cell values (object: ``str``, or any cell type of the careful readers).
    codes : numpy.ndarray of int
        One position in ``uniques`` per row; ``-1`` for a null cell (``None``).

    Returns
    -------
    tuple of (pandas.Series, bool)
        The column (RangeIndex) and whether decimal commas were converted.

    Examples
    --------
    >>> col, comma = infer_coded(pd.Series([" 1,5", "2", "NA"]), np.array([0, 1, 1, 2]))
    >>> col.tolist(), comma
    ([1.5, 2.0, 2.0, nan], True)
    >>> infer_coded(pd.Series(["b", "a "]), np.array([0, 1, -1]))[0].cat.categories.tolist()
    ['a', 'b']
    """
    from hccdash.io.columns import _infer_column

    codes = np.asarray(codes)
    values = pd.Series(uniques.to_numpy(dtype=object), dtype=object)
    nulls = bool(codes.min(initial=0) < 0)
    used = np.bincount(codes[codes >= 0] if nulls else codes, minlength=len(values)) > 0
    if not used.all():  # rules decide on the cells present, not on unused entries
        keep = np.flatnonzero(used)
        remap = np.full(len(values) + 1, -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep))
        codes = remap[codes]
        values = pd.Series(values.to_numpy()[keep], dtype=object)
    if nulls:
        values = pd.concat([values, pd.Series([None], dtype=object)], ignore_index=True)
        codes = np.where(codes < 0, len(values) - 1, codes)
    typed, comma = _infer_column(values)
    return expand(typed, codes), comma


def expand(typed: pd.Series, codes: np.ndarray) -> pd.Series:
    """``typed`` (one value per distinct cell) taken at ``codes``; text as a Categorical."""
    arr = typed.to_numpy()
    if typed.dtype != object:
        return pd.Series(arr[codes], dtype=typed.dtype)
    if not all(v is None or isinstance(v, str) for v in arr):
        return pd.Series(arr[codes], dtype=object)
    return pd.Series(categorical(arr, codes))


MANY = 65_536  # distinct texts above which (and above half the rows) a column is identifiers


def identifiers(distinct: int, rows: int) -> bool:
    """Text with more than :data:`MANY` distinct values, more than half the rows: patient
    ids and the like stay object columns (a Categorical would save nothing and cost a hash
    of every level)."""
    return distinct > max(MANY, rows // 2)


def categorical(text: np.ndarray, codes: np.ndarray) -> pd.Categorical | np.ndarray:
    """``text[codes]`` (str or None) as a Categorical in R's level order (an object array
    for :func:`identifiers`)."""
    inner, cats = pd.factorize(text, use_na_sentinel=True)
    if identifiers(len(cats), len(codes)):
        return np.append(cats.astype(object), None)[inner][codes]
    order = r_order(cats)
    rank = np.empty(len(order) + 1, dtype=np.intp)
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # factorize's sentinel (-1) indexes the last slot
    final = rank[inner][codes]
    small = np.int8 if len(cats) < 127 else np.int16 if len(cats) < 32_000 else np.int32
    return pd.Categorical.from_codes(final.astype(small), categories=pd.Index(cats[order]))


def r_order(cats: np.ndarray) -> np.ndarray:
    """Positions of distinct texts in R's ``factor()`` order (as
    :func:`hccdash.codebook.infer.r_levels`): numbers numerically, else sorted by code point."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(cats) == 0:
        return np.arange(0)
    num = pd.to_numeric(pd.Series(cats, dtype=object), errors="coerce")
    if num.notna().all():
        return np.argsort(num.to_numpy(dtype=float), kind="stable")
    # UTF-8 byte order is code point order, Python's str order; arrow sorts in C++.
    return pc.array_sort_indices(pa.array(cats, type=pa.string())).to_numpy()


def infer_series(values: pd.Series) -> tuple[pd.Series, bool]:
    """:func:`~hccdash.io.columns._infer_column` of a whole column, decided per distinct value
    when every cell is text (exact: factorizing strings merges only equal strings); cells of
    mixed types (XLSX numbers, dates, booleans, which hash alike: ``1 == 1.0 == True``) are
    typed cell by cell, and a text result becomes a Categorical."""
    from hccdash.io.columns import _infer_column

    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return infer_coded(pd.Series(uniques, dtype=object), codes)
    typed, comma = _infer_column(values)
    if typed.dtype == object:
        typed = expand(typed, np.arange(len(typed)))
    return typed.set_axis(values.index), comma


# -- dictionaries with many entries (identifiers, exact times): the rules' outcome proven in
# arrow compute, else decided by the rules themselves ------------------------------------------
BIG = 2048  # distinct values above which a dictionary tries the arrow shortcuts
_ASCII_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "  # what str.strip() removes from ASCII text
_NUM_DOT_RE2 = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"  # columns._NUM_DOT, ASCII digits


def dictionary_codes(chunked) -> tuple[object, np.ndarray]:
    """(dictionary, int32 codes with -1 for null) of a ChunkedArray of dictionary arrays.

    Chunks that share one dictionary (Parquet's reader hands out the same buffers) are taken
    as they are; others are unified first (``pyarrow.Table.unify_dictionaries``)."""
    import pyarrow as pa

    def key(arr) -> tuple:
        return tuple(b.address if b is not None else 0 for b in arr.dictionary.buffers())

    first = key(chunked.chunk(0))
    if any(key(c) != first for c in chunked.chunks[1:]):
        chunked = pa.Table.from_arrays([chunked], names=["c"]).unify_dictionaries().column(0)
    codes = [c.indices.fill_null(-1).to_numpy() if c.null_count else c.indices.to_numpy()
             for c in chunked.chunks]  # fmt: skip
    return chunked.chunk(0).dictionary, np.concatenate(codes).astype(np.int32, copy=False)


def map_columns(fn: Callable[[T], R], items: Sequence[T], rows: int) -> list[R]:
    """``[fn(item) for item in items]``, on a thread pool when the columns are large.

    The per-column work is arrow compute and numpy (both release the GIL), so columns are
    typed side by side on every core, as pyarrow parsed them; results keep the items' order.

    Examples
    --------
    >>> map_columns(len, ["a", "bb"], rows=10)
    [1, 2]
    """
    workers = min(POOL_WORKERS, os.cpu_count() or 1, len(items))
    if rows < POOL_ROWS or workers < 2:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hccdash-type") as pool:
        return list(pool.map(fn, items))


def release_arrow_memory() -> None:
    """Give the memory arrow freed back to the system (its allocator keeps freed pages for
    reuse, which numpy and Python never reuse: a read's peak would count them twice)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def encode_sorted(chunked):  # pyarrow.ChunkedArray of strings -> of dictionary<string>
    """The column dictionary-encoded by sorting it: for the many distinct values of a text
    column (ids), arrow's sort is 2-3x faster than its hash (``pc.dictionary_encode``, or
    unifying per-block dictionaries: 4-5 s for 1e7 distinct ids). Equal strings are adjacent
    once sorted (byte order), so the entries are exactly the distinct values, in code point
    order; nulls are null codes.

    Examples
    --------
    >>> import pyarrow as pa
    >>> enc = encode_sorted(pa.chunked_array([["b", None, "a"], ["b"]]))
    >>> enc.chunk(0).dictionary.to_pylist(), enc.to_pylist()
    (['a', 'b'], ['b', None, 'a', 'b'])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if sum(c.nbytes for c in chunked.chunks) >= 1 << 31:  # beyond one string array's offsets
        return pc.dictionary_encode(chunked)
    values = chunked.combine_chunks()
    present = len(values) - values.null_count
    order = pc.array_sort_indices(values, null_placement="at_end").to_numpy()[:present]
    ordered = values.take(pa.array(order))
    new = np.ones(present, dtype=bool)
    if present > 1:
        same = pc.equal(ordered.slice(1), ordered.slice(0, present - 1))
        new[1:] = ~same.to_numpy(zero_copy_only=False)
    codes = np.full(len(values), -1, dtype=np.int32)
    codes[order] = np.cumsum(new, dtype=np.int32) - 1
    indices = pa.array(codes, mask=codes < 0) if values.null_count else pa.array(codes)
    dictionary = ordered.filter(pa.array(new))
    return pa.chunked_array([pa.DictionaryArray.from_arrays(indices, dictionary)])


def strip_text(dictionary):  # pa.StringArray -> pa.StringArray
    """``str.strip()`` of every entry: arrow's trim for ASCII text (the same characters),
    Python's for the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pc.all(pc.string_is_ascii(dictionary)).as_py() is not False:
        return pc.utf8_trim(dictionary, characters=_ASCII_SPACE)
    text = pd.Series(dictionary.to_numpy(zero_copy_only=False), dtype=object).str.strip()
    return pa.array(text, type=pa.string())


def infer_dictionary(dictionary, codes: np.ndarray, *, stripped=None) -> tuple[pd.Series, bool]:
    """:func:`infer_coded` of an arrow string dictionary (no nulls) and its codes.

    ``stripped`` is :func:`strip_text` of ``dictionary`` when the caller has it. A large ASCII
    dictionary whose outcome is certain is typed in arrow compute: *text* when a present value
    is proven not a number (checked with ``pandas.to_numeric``, the rule's own test) and none
    is a decimal-comma number (checked with the rule's regular expression); *numbers* when
    every present value is a plain decimal (``columns._NUM_DOT``, which ``pandas.to_numeric``
    and ``float`` both read) and none has a leading zero. Anything else is decided by
    :func:`hccdash.io.columns._infer_column` on the distinct values.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    used = np.bincount(codes, minlength=len(dictionary)) > 0
    if not used.all():
        keep = np.flatnonzero(used)
        remap = np.full(len(dictionary), -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep))
        codes = remap[codes]
        dictionary = dictionary.take(pa.array(keep))
        stripped = None if stripped is None else stripped.take(pa.array(keep))
    if len(dictionary) >= BIG and pc.all(pc.string_is_ascii(dictionary)).as_py():
        text = strip_text(dictionary) if stripped is None else stripped
        unique = pc.all(pc.equal(text, dictionary)).as_py()  # stripping merged no entries
        done = _arrow_outcome(text, codes, unique)
        if done is not None:
            return done, False
    return infer_coded(pd.Series(dictionary.to_numpy(zero_copy_only=False)), codes)


def _arrow_outcome(text, codes: np.ndarray, unique: bool) -> pd.Series | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from hccdash.io.columns import _COMMA_NUMBER, NA_VALUES, _maybe_int

    missing = pc.is_in(text, value_set=pa.array(sorted(NA_VALUES), type=pa.string()))
    present = pc.filter(text, pc.invert(missing))
    if len(present) == 0:
        return None

    def numeric(values: list) -> pd.Series:
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")

    if numeric(present.slice(0, 16).to_pylist()).notna().all():
        plain = pc.match_substring_regex(present, _NUM_DOT_RE2)
        if pc.all(plain).as_py():
            if pc.any(pc.match_substring_regex(present, r"^0[0-9]")).as_py():
                return None  # leading-zero codes: text, by the rules
            numbers = pc.cast(pc.if_else(missing, "0", text), pa.float64())
            values = pc.if_else(missing, None, numbers).to_numpy(zero_copy_only=False)
            typed = _maybe_int(pd.Series(values, dtype=float))
            return pd.Series(typed.to_numpy()[codes], dtype=typed.dtype)
        others = pc.filter(present, pc.invert(plain)).slice(0, 16).to_pylist()
        if numeric(others).notna().all():
            return None  # "inf", "1e5"-like texts: the rules decide
    if pc.any(pc.match_substring(present, ",")).as_py():
        full = pc.match_substring_regex(present, f"^(?:{_COMMA_NUMBER})$")
        odd = pc.filter(present, pc.invert(full)).slice(0, 16).to_pylist()
        if not any(re.fullmatch(_COMMA_NUMBER, v) is None for v in odd):
            return None  # possibly all decimal-comma numbers: the rules decide
    return dictionary_categorical(pc.if_else(missing, None, text), codes, unique)


def dictionary_categorical(text, codes: np.ndarray, unique: bool = False) -> pd.Series:
    """``text[codes]`` (arrow strings with nulls, not all numbers) as a Categorical whose
    categories are sorted by code point (:func:`r_order` for text that is not all numbers);
    ``unique``: the non-null entries of ``text`` are distinct already. :func:`identifiers`
    are an object column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if unique and identifiers(len(text), len(codes)):  # no sort, no hash: object cells
        return pd.Series(text.to_numpy(zero_copy_only=False)[codes], dtype=object)
    if unique:
        inner = np.where(text.is_null().to_numpy(zero_copy_only=False), -1, 0)
        present = np.flatnonzero(inner == 0)
        inner[present] = np.arange(len(present))
        cats = text.take(pa.array(present))
    else:
        enc = pc.dictionary_encode(text)
        cats = enc.dictionary
        inner = enc.indices.fill_null(-1).to_numpy().astype(np.intp)
    order = pc.array_sort_indices(cats).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    rank[-1] = -1
    final = rank[inner.astype(np.int32)][codes]
    sorted_cats = pd.Index(cats.take(pa.array(order)).to_pandas())
    return pd.Series(pd.Categorical.from_codes(final, categories=sorted_cats))

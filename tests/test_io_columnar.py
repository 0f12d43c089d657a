"""The columnar reader (pyarrow, typed per distinct value) gives today's frame on every file.

Reference: the careful reader with every cell typed by :func:`hccdash.io.columns._infer_column`
(``hccdash.io.text._read_text`` with ``columns.infer_series`` set back to the per-cell rule, and
``_read_parquet(per_cell=True)``). Compared: columns, numbers (dtype and value), text as
strings, missing cells, and the reader's notes, warnings, encoding, delimiter and decimal; a
file either reader refuses must be refused by both with the same message.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hccdash.errors import FileReadError
from hccdash.io import columns as io_columns
from hccdash.io import read_table
from hccdash.io.parquet import _read_parquet
from hccdash.io.text import _read_text

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {".csv", ".tsv", ".txt", ".parquet"}
FILES = sorted(
    p
    for base in (ROOT / "tests" / "data", ROOT / "tests" / "reference", ROOT / "data")
    for p in base.rglob("*")
    if p.suffix.lower() in SUFFIXES and p.is_file()
)


def _reference(raw: bytes, name: str, monkeypatch):
    """``read_table`` as it was: the careful text reader, every cell typed by itself."""
    from hccdash.io import read as io_read

    with monkeypatch.context() as m:
        m.setattr(io_columns, "infer_series", io_columns._infer_column)
        m.setattr(io_read, "read_text_columnar", _read_text)
        m.setattr(io_read, "_read_parquet", lambda r, n: _read_parquet(r, n, per_cell=True))
        return read_table(raw, name, max_mb=1e4)


def _outcome(fn):
    try:
        return fn(), None
    except FileReadError as exc:
        return None, str(exc)


def _text(col: pd.Series) -> list:
    return [None if pd.isna(v) else str(v) for v in col.astype(object)]


def assert_same_table(new, old) -> None:
    """The columnar result ``new`` equals the careful reader's ``old``."""
    for field in ("name", "format", "encoding", "delimiter", "decimal", "notes", "warnings"):
        assert getattr(new, field) == getattr(old, field), field
    a, b = new.data, old.data
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and isinstance(a.index, pd.RangeIndex)
    for c in b.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
            assert x.dtype == y.dtype, c
            np.testing.assert_array_equal(x.to_numpy(), y.to_numpy(), err_msg=c)
        else:
            assert _text(x) == _text(y), c
            if y.dtype == object and all(v is None or isinstance(v, str) for v in y):
                assert isinstance(x.dtype, pd.CategoricalDtype), c  # text: categorical


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_corpus_file_reads_as_the_careful_reader_reads_it(path, monkeypatch):
    raw = path.read_bytes()
    new, new_msg = _outcome(lambda: read_table(raw, path.name, max_mb=1e4))
    old, old_msg = _outcome(lambda: _reference(raw, path.name, monkeypatch))
    assert new_msg == old_msg
    if old is not None:
        assert_same_table(new, old)


def _big(seed: int, n: int = 6000) -> pd.DataFrame:
    """Columns with more distinct values than ``distinct.BIG``: the arrow shortcuts."""
    rng = np.random.default_rng(seed)
    ids = np.array([f" P{i:05d}" if i % 7 == 0 else f"P{i:05d}" for i in range(n)], dtype=object)
    exact = rng.exponential(20, n)
    with_na = np.where(rng.random(n) < 0.1, "NA", np.char.mod("%.6f", rng.exponential(5, n)))
    zeros = np.char.zfill(rng.integers(0, 10**6, n).astype(str), 7)
    comma = np.char.replace(np.char.mod("%.4f", rng.normal(50, 10, n)), ".", ",")
    return pd.DataFrame(
        {
            "id": ids,
            "exact": [repr(float(v)) for v in exact],
            "with_na": with_na,
            "codes": zeros,
            "comma": comma,
            "ints": rng.integers(-(10**9), 10**9, n).astype(str),
            "inf": np.where(np.arange(n) % 500 == 0, "inf", np.char.mod("%.3e", exact)),
            "accents": [f"Müller {i}" for i in range(n)],
            "mixed": np.where(rng.random(n) < 0.5, np.char.mod("%d", np.arange(n)), "x"),
        }
    )


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("pool", [False, True], ids=["one-thread", "thread-pool"])
def test_large_dictionaries_read_as_the_careful_reader_reads_them(seed, crlf, pool, monkeypatch):
    """``pool``: columns typed side by side (``distinct.map_columns``), as a large file is."""
    import threading

    from hccdash.io import arrowcsv, distinct

    frame = _big(seed)
    text = frame.to_csv(index=False, lineterminator="\r\n" if crlf else "\n")
    text += ",,,,,,,,\n" + '"quoted\r\nline",1,2,3,4,5,6,7,8\n'
    raw = text.encode("utf-8")
    threads = set()
    original = arrowcsv.infer_dictionary

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name.startswith("hccdash-type"))
        return original(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(distinct, "POOL_ROWS", 1 if pool else 1 << 40)
        m.setattr(arrowcsv, "infer_dictionary", spy)
        new = read_table(raw, "big.csv")
    assert threads == {pool}
    assert_same_table(new, _reference(raw, "big.csv", monkeypatch))
    d = new.data
    assert d["exact"].dtype == np.float64 and d["ints"].dtype == np.int64
    assert all(isinstance(d[c].dtype, pd.CategoricalDtype) for c in ("id", "codes", "accents"))
    assert d["comma"].dtype == np.float64 and new.decimal == ","
    parquet = frame.to_parquet(index=False)
    assert_same_table(
        read_table(parquet, "big.parquet"), _reference(parquet, "big.parquet", monkeypatch)
    )


@pytest.mark.parametrize("page", [0, 1 << 62], ids=["all-plain", "all-dictionary"])
def test_parquet_text_read_plain_or_as_dictionaries_reads_as_the_careful_reader(page, monkeypatch):
    """Text columns whose dictionary page is large are read plain and encoded once
    (``parquet._BIG_DICTIONARY_PAGE``): either way the table is the careful reader's."""
    from hccdash.io import parquet as io_parquet

    frame = _big(3)
    frame.loc[::50, "accents"] = None
    raw = frame.to_parquet(index=False)
    meta = pq.ParquetFile(pa.BufferReader(raw)).metadata
    with monkeypatch.context() as m:
        m.setattr(io_parquet, "_BIG_DICTIONARY_PAGE", page)
        plain = io_parquet._plain_text(meta, list(frame.columns))
        new = read_table(raw, "big.parquet")
    assert plain == (list(frame.columns) if page == 0 else [])
    assert_same_table(new, _reference(raw, "big.parquet", monkeypatch))
    assert new.data["accents"].isna().sum() == len(frame[::50])


def test_text_categories_are_in_r_order_so_the_reference_level_is_r_s():
    """R's factor(): text sorted by code point, numbers (leading-zero codes) numerically."""
    from hccdash.codebook.infer import r_levels

    raw = "g,code,n\nb,010,1\nB,9,2\na,007,3\nä,010,4\n".encode()
    data = read_table(raw, "r.csv").data
    for c in ("g", "code"):
        assert list(data[c].cat.categories) == list(r_levels(data[c].astype(object)))
    assert list(data["code"].cat.categories) == ["007", "9", "010"]


@pytest.mark.parametrize("module", ["hccdash.io.distinct", "hccdash.io.cells"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("size", [1, 2, 3, 1 << 24])
def test_the_utf8_check_in_slices_accepts_characters_across_a_slice_edge(size, monkeypatch):
    from hccdash.io import arrowcsv

    monkeypatch.setattr(arrowcsv, "_SLICE", size)
    raw = "a,b\nMüller,日本\n".encode()
    assert arrowcsv._utf8_body(raw) == ("utf-8", raw)
    assert arrowcsv._utf8_body(b"\xef\xbb\xbf" + raw) == ("utf-8-sig", raw)
    assert arrowcsv._utf8_body(raw[:-4] + b"\xe6\n") is None  # a cut character
    assert arrowcsv._utf8_body("a,b\nx,é\n".encode("latin-1")) is None


def test_a_plain_text_column_encoded_by_sorting_keeps_every_cell():
    from hccdash.io.distinct import encode_sorted as _encode_sorted

    cells = ["b", None, "a", "", "b", "ä", "a ", "B", None, "a", "日本", "b"]
    chunked = pa.chunked_array([cells[:5], cells[5:], []], type=pa.string())
    encoded = _encode_sorted(chunked)
    assert encoded.to_pylist() == cells
    assert encoded.chunk(0).dictionary.to_pylist() == sorted({c for c in cells if c is not None})
    assert _encode_sorted(pa.chunked_array([[None, None]], type=pa.string())).to_pylist() == [
        None,
        None,
    ]


def test_blocks_of_distinct_ids_are_encoded_once_and_read_as_the_careful_reader(monkeypatch):
    """A CSV over pyarrow's 4 MB block: ids distinct in each block take the sort path
    (``arrowcsv._one_dictionary``), duplicated across blocks and padded with spaces."""
    from hccdash.io import arrowcsv

    n = 300_000
    ids = [f"P{i % 250_000:06d}" + (" " if i % 9 == 0 else "") for i in range(n)]
    frame = pd.DataFrame({"id": ids, "t": np.arange(n) % 97 + 0.5, "arm": ["A", "B"] * (n // 2)})
    raw = frame.to_csv(index=False).encode()
    assert len(raw) > 1 << 22
    chunked = pa.chunked_array(
        [pa.array(ids[:5]).dictionary_encode(), pa.array(ids[5:12]).dictionary_encode()]
    )
    assert arrowcsv._one_dictionary(chunked).to_pylist() == ids[:12]
    sorted_columns = []
    original = arrowcsv.encode_sorted
    spy = lambda c: sorted_columns.append(1) or original(c)  # noqa: E731
    monkeypatch.setattr(arrowcsv, "encode_sorted", spy)
    new = read_table(raw, "ids.csv")
    assert len(sorted_columns) == 1  # the id column only
    assert_same_table(new, _reference(raw, "ids.csv", monkeypatch))
    assert new.data["id"].nunique() == 250_000

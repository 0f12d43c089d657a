"""Where the server's cohort lives: read into memory, or served in place by the engine.

One rule (:func:`serve_in_place`) for the app's pages (:mod:`hccdash.ui.served_view`),
``hccdash serve``'s start-up check (:mod:`hccdash.engine.startup`) and the docs: a cohort
with a codebook is served in place when the operator chose an engine (``HCCDASH_ENGINE``),
when only the engine can read it (a Parquet folder, a DuckDB database), or when it has more
rows than ``HCCDASH_IN_MEMORY_ROWS`` (default 200,000), counted cheaply.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from hccdash.errors import InputError

__all__ = [
    "DEFAULT_IN_MEMORY_ROWS",
    "IN_MEMORY_ENV",
    "in_memory_rows",
    "row_count",
    "serve_in_place",
]

IN_MEMORY_ENV = "HCCDASH_IN_MEMORY_ROWS"
ENGINE_ENV = "HCCDASH_ENGINE"
DEFAULT_IN_MEMORY_ROWS = 200_000
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
_DB_SUFFIXES = {".duckdb", ".db", ".ddb"}


def in_memory_rows(env: Mapping[str, str] | None = None) -> int:
    """The largest cohort read into memory (``HCCDASH_IN_MEMORY_ROWS`` of ``env``, default
    the process environment; 200,000 when unset).

    Raises
    ------
    InputError
        A value that is not a whole number >= 0 (the message names the variable).

    >>> os.environ.pop(IN_MEMORY_ENV, None) and None
    >>> in_memory_rows()
    200000
    """
    env = os.environ if env is None else env
    raw = env.get(IN_MEMORY_ENV, "").strip().replace("_", "").replace(",", "")
    if not raw:
        return DEFAULT_IN_MEMORY_ROWS
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise InputError(
            f"{IN_MEMORY_ENV}={env[IN_MEMORY_ENV]!r} is not a number of rows; fix: a "
            f"whole number such as {DEFAULT_IN_MEMORY_ROWS} (0 serves every file in place)."
        )
    return value


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def _text_rows(path: Path) -> int:
    lines = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)  # the header


def row_count(path: str | os.PathLike, table: str | None = None) -> int | None:
    """Rows of a file the engine can serve in place, read cheaply (Parquet metadata, the
    lines of a CSV/TSV, a DuckDB ``COUNT(*)``); None for another format (XLSX, SPSS ...:
    read into memory) or a path that cannot be read (the in-memory reader says why)."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if p.is_dir() or suffix == ".parquet":
            return _parquet_rows(p)
        if suffix in _TEXT_SUFFIXES:
            return _text_rows(p)
        if suffix in _DB_SUFFIXES:
            from hccdash.engine.source import open_source

            return open_source(p, table=table).count()
    except (OSError, ValueError):  # unreadable: the in-memory reader names the problem
        return None
    return None


def serve_in_place(
    data: str | os.PathLike,
    codebook: str | os.PathLike | None,
    table: str | None = None,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Whether ``HCCDASH_DATA`` is served in place by the engine (the one rule, used by the
    app, ``hccdash serve``'s start-up check and :func:`hccdash.engine.startup.engine_serves`).

    It needs a codebook (what the columns mean must be known without reading them all), and
    then any of: ``HCCDASH_ENGINE`` is set (the operator chose the engine: DuckDB or Spark),
    the data is a folder of Parquet files or a DuckDB database (no in-memory reader), or it
    has more rows than :func:`in_memory_rows`.

    Examples
    --------
    >>> serve_in_place("registry.duckdb", "book.json", env={})
    True
    >>> serve_in_place("registry.parquet", None, env={"HCCDASH_ENGINE": "spark"})
    False
    >>> serve_in_place("missing.parquet", "book.json", env={"HCCDASH_ENGINE": "spark"})
    True
    """
    env = os.environ if env is None else env
    if codebook is None:
        return False
    p = Path(data)
    if (env.get(ENGINE_ENV) or "").strip() or p.is_dir() or p.suffix.lower() in _DB_SUFFIXES:
        return True
    n = row_count(p, table)
    return n is not None and n > in_memory_rows(env)

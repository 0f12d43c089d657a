""":func:`read_table`: any cohort file, from a path or bytes, to a :class:`TableFile`.

The one entry point: the size is checked, the format detected, and the file handed to its
reader (text, XLSX, Parquet, or :mod:`hccdash.readstat` for SPSS/Stata/SAS). Part of
:mod:`hccdash.io`.
"""

from __future__ import annotations

from pathlib import Path

from hccdash import filecheck
from hccdash.io import worker
from hccdash.io.arrowcsv import read_text_columnar
from hccdash.io.formats import DEFAULT_MAX_MB, TableFile, _raw_bytes, detect_format
from hccdash.io.parquet import _read_parquet, footprint
from hccdash.io.xlsx import _read_xlsx


def read_table(
    source: str | Path | bytes,
    name: str | None = None,
    *,
    sheet: str | int | None = None,
    max_mb: float = DEFAULT_MAX_MB,
) -> TableFile:
    """Read a CSV, TSV, XLSX or Parquet file into a :class:`TableFile`.

    Parameters
    ----------
    source : str, Path or bytes
        A path, or the file's bytes (an upload).
    name : str, optional
        The file name (needed with bytes: its extension helps and it is quoted in messages).
    sheet : str or int, optional
        XLSX sheet name or 0-based index; default the first sheet.
    max_mb : float
        Size limit in megabytes, checked before parsing.

    Returns
    -------
    TableFile

    Raises
    ------
    FileReadError
        Empty, binary, too large, no data rows, duplicated or missing column names, merged
        header cells, unreadable workbook, inconsistent delimiters; a workbook, Parquet or
        statistics file whose reading needs more memory or time than a read may take
        (:mod:`hccdash.io.worker`: they are parsed in a bounded worker process, but for a
        Parquet file whose footer bounds its read to a small share of that budget).
    """
    raw, fname = _raw_bytes(source, name, max_mb)
    fmt = detect_format(raw, fname)
    if fmt in worker.WORKER_FORMATS:
        if fmt == "xlsx":  # a bomb is refused here, in bounded memory, before any worker
            filecheck.scan_xlsx(raw, fname)
        if fmt != "parquet" or not worker.in_process(footprint(raw)):
            return worker.read_bounded(raw, fname, fmt, sheet)
    return _read_format(raw, fname, fmt, sheet)


def _read_format(raw: bytes, fname: str, fmt: str, sheet: str | int | None) -> TableFile:
    """The format's reader, in this process (the worker's body for :data:`WORKER_FORMATS`)."""
    if fmt == "xlsx":
        return _read_xlsx(raw, fname, sheet)
    if fmt == "parquet":
        return _read_parquet(raw, fname)
    if fmt in ("sav", "dta", "sas7bdat"):
        from hccdash import readstat

        return readstat.read(raw, fname, fmt)
    return read_text_columnar(raw, fname, fmt)

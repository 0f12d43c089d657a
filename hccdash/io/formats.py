"""Which format a cohort file is, its size limit, and :class:`TableFile`, what a reader returns.

The format is read from the first bytes (ZIP/XLSX, Parquet, SPSS/Stata/SAS, BOMs), falling back
to the extension; binary content that is not a table (old .xls, HTML pages, JSON, archives) is
refused with what to do. Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hccdash import filecheck
from hccdash.errors import FileReadError, preview_labels

# Files larger than this are refused before parsing: the dashboard holds a cohort in memory
# per browser session. The CLI can raise it with --max-mb. Megabytes as users count them
# (1 MB = 1,000,000 bytes, as the browser's uploader does); .streamlit/config.toml's
# server.maxUploadSize is the same number (tests/test_filecheck.py checks).
DEFAULT_MAX_MB = 50.0
MB = filecheck.MB
EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class TableFile:
    """A table read from a file, with how it was read.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per data line; columns numeric where every non-empty cell is a number, text
        otherwise (dates stay text until the mapping step parses them). Text read from
        CSV/TSV, Parquet and XLSX is a pandas Categorical (levels in R's order, missing NaN).
    name : str
        The file name.
    format : str
        ``"csv"``, ``"tsv"``, ``"xlsx"`` or ``"parquet"``.
    encoding, delimiter, decimal : str or None
        What was detected for text files.
    sheet : str or None
        The sheet read (XLSX).
    sheets : tuple of str
        Every sheet of the workbook (XLSX).
    notes : tuple of str
        Plain-language notes on what the reader did (decimal commas converted ...).
    warnings : tuple of str
        Cells the file may have changed without a parse error (NUL bytes, lines in a second
        encoding, formulas without saved values), with the rows counted: shown before the
        user confirms the cohort.
    """

    data: pd.DataFrame = field(repr=False)
    name: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: how the file was read."""
        parts = [f"{self.name}: {len(self.data)} rows x {self.data.shape[1]} columns", self.format]
        if self.encoding:
            parts.append(f"encoding {self.encoding}")
        if self.delimiter:
            parts.append(f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated")
        if self.decimal == ",":
            parts.append("decimal comma")
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        return ", ".join(parts)


def _raw_bytes(source: str | Path | bytes, name: str | None, max_mb: float) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        raw = bytes(source)
        fname = name or "uploaded file"
        size = len(raw)
    else:
        path = Path(source)
        fname = name or path.name
        if not path.is_file():
            raise FileReadError(f"file {str(path)!r} does not exist; fix: check the path.")
        size = path.stat().st_size
        _check_size(fname, size, max_mb)
        raw = path.read_bytes()
    _check_size(fname, size, max_mb)
    if not raw or raw.isspace():  # = not raw.strip(), without copying the file
        raise FileReadError(
            f"file {fname!r} is empty ({size} bytes); fix: upload the exported table itself, "
            "with a header row and one row per patient."
        )
    return raw, fname


def _check_size(fname: str, size: int, max_mb: float) -> None:
    if size > max_mb * MB:
        raise FileReadError(
            f"file {fname!r} is {size / MB:.1f} MB ({size:,} bytes), above the {max_mb:g} MB "
            f"({max_mb * MB:,.0f} bytes) limit for "
            "a cohort file; fix: keep only the columns you need, save it as Parquet or XLSX "
            "(smaller), or raise the limit (CLI: --max-mb)."
        )


def detect_format(raw: bytes, name: str) -> str:
    """The file's format from its first bytes, falling back to its extension.

    Raises
    ------
    FileReadError
        For binary content that is not XLSX or Parquet (old .xls, images, archives ...).
    """
    from hccdash import readstat  # SPSS/Stata/SAS files; documents that are not tables

    stat = readstat.detect(raw, name)
    if stat is not None:
        return stat
    foreign = readstat.what_file(raw, name)
    if foreign is not None:
        raise FileReadError(foreign)
    ext = Path(name).suffix.lower()
    if raw[:4] == b"PAR1":
        return "parquet"
    if raw[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile as exc:
            raise FileReadError(
                f"file {name!r} is a damaged ZIP/XLSX archive ({exc}); fix: open it in Excel "
                "and save it again as .xlsx or CSV."
            ) from exc
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        raise FileReadError(
            f"file {name!r} is a ZIP archive ({len(names)} files: "
            f"{preview_labels(names, 3)}), not a table; fix: unzip it and upload the CSV/XLSX."
        )
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileReadError(
            f"file {name!r} is an old Excel 97-2003 (.xls) workbook, which hccdash does not "
            "read; fix: open it in Excel and save it as .xlsx or CSV."
        )
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "tsv" if ext in (".tsv", ".tab") else "csv"
    head = raw[:8192]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")):
        raise FileReadError(
            f"file {name!r} is an HTML/XML page, not a table (a download that saved a login or "
            "error page?); fix: export the table again as CSV or XLSX."
        )
    if start.startswith((b"{", b"[")):
        raise FileReadError(
            f"file {name!r} is a JSON document, not a table; fix: export the table as CSV, "
            "XLSX or Parquet (one row per patient)."
        )
    # A few NUL bytes in a text file are reported by hccdash.filecheck; many mean binary.
    if head.count(b"\x00") > max(2, len(head) // 100) or _control_fraction(head) > 0.05:
        raise FileReadError(
            f"file {name!r} is binary (not text, XLSX or Parquet); fix: export the table as "
            "CSV, XLSX or Parquet."
        )
    return EXTENSIONS.get(ext, "csv") if EXTENSIONS.get(ext) in ("csv", "tsv") else "csv"


def _control_fraction(head: bytes) -> float:
    bad = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return bad / max(len(head), 1)

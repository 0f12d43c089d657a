"""Read a cohort file (CSV, TSV, XLSX, Parquet) into a DataFrame, from a path or from bytes.

The reader is defensive because spreadsheets from clinics are messy: the delimiter is sniffed
(comma, semicolon, tab, pipe), the encoding detected (UTF-8, UTF-8 with BOM, UTF-16 with BOM,
GB18030/GBK, Windows-1252/Latin-1), decimal commas converted, and every cell is read as text
first so that nothing is guessed silently: a column becomes numeric only when every non-empty
cell parses as a number. The source is never modified; bytes are parsed in memory.

Every failure is a :class:`hccdash.errors.FileReadError` whose message names the file, says what
was found and how to fix it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from hccdash import filecheck, schema
from hccdash.errors import FileReadError, preview_labels
from hccdash.textsafe import defuse_cell, is_formula

# Files larger than this are refused before parsing: the dashboard holds a cohort in memory
# per browser session. The CLI can raise it with --max-mb. Megabytes as users count them
# (1 MB = 1,000,000 bytes, as the browser's uploader does); .streamlit/config.toml's
# server.maxUploadSize is the same number (tests/test_filecheck.py checks).
DEFAULT_MAX_MB = 50.0
MB = filecheck.MB
MAX_COLUMNS = 500
MAX_CELLS = 20_000_000  # an XLSX sheet's used range; a few MB of XML can claim far more
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
# Cells read as missing: the bundled cohort's list (pandas' defaults minus "None", which is a
# value in clinical sheets: failure pattern "None"), plus "na", "." and "-" (SPSS/Stata exports).
NA_VALUES = schema.NA_STRINGS | {"na", ".", "-"}
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

_NUM_DOT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d+$")


@dataclass(frozen=True)
class TableFile:
    """A table read from a file, with how it was read.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per data line; columns numeric where every non-empty cell is a number, text
        otherwise (dates stay text until the mapping step parses them).
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
    if not raw.strip():
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


def detect_encoding(raw: bytes) -> tuple[str, str]:
    """The text encoding of ``raw`` and the decoded text.

    Order: BOMs (UTF-8, UTF-16), strict UTF-8, GB18030 when the non-ASCII characters it gives
    are Chinese (GB18030 would also decode most Latin-1 bytes, as nonsense), then
    Windows-1252, then Latin-1 (which decodes anything).

    Returns
    -------
    tuple of (str, str)
        Encoding label and decoded text.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", raw[3:].decode("utf-8", errors="strict")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16", raw.decode("utf-16")
    try:
        return "utf-8", raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        # Common Chinese text lies in the GB2312 block (both bytes >= 0xA1); Latin-1 letters
        # followed by ASCII decode as rare GBK-extension characters instead.
        non_ascii = [c for c in text if ord(c) > 127]
        common = sum(1 for c in non_ascii if _gb2312(c))
        if non_ascii and common / len(non_ascii) >= 0.8:
            return "gb18030", text
    try:
        return "cp1252", raw.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1", raw.decode("latin-1")


def _gb2312(char: str) -> bool:
    code = char.encode("gb18030")
    return len(code) == 2 and code[0] >= 0xA1 and code[1] >= 0xA1


def sniff_delimiter(text: str, name: str, preferred: str | None = None) -> str:
    """The delimiter giving the same number (> 1) of fields on the first lines.

    Raises
    ------
    FileReadError
        When no candidate splits the header into at least two columns.
    """
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    best: tuple[float, int, str] | None = None
    for delim in DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delim))
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (consistent, width if delim != preferred else width + 0.5, delim)
        if best is None or score[:2] > best[:2]:
            best = (score[0], int(score[1]), delim)
    if best is None:
        header = lines[0] if lines else ""
        raise FileReadError(
            f"file {name!r}: the header {header[:80]!r} is a single column; hccdash reads "
            "comma-, semicolon-, tab- or pipe-separated files; fix: export the sheet as CSV "
            "(one column per variable)."
        )
    return best[2]


def _split_text(text: str, delim: str, name: str) -> tuple[list[str], list[list[str]]]:
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if any(c.strip() for c in r)]
    header = [c.strip() for c in rows[0]]
    body = rows[1:]
    width = len(header)
    fixed, extra = [], []
    for i, r in enumerate(body):
        if len(r) > width:
            # Trailing empty cells (Excel's ";;;") are harmless; real extra fields are not.
            if any(c.strip() for c in r[width:]):
                extra.append(i + 2)
            r = r[:width]
        elif len(r) < width:
            r = r + [""] * (width - len(r))
        fixed.append(r)
    if extra:
        dname = DELIMITER_NAMES.get(delim, repr(delim))
        raise FileReadError(
            f"file {name!r}: {len(extra)} lines have more than the header's {width} "
            f"{dname}-separated fields (lines {preview_labels(extra)}); fix: quote values "
            f"that contain a {dname}, or check the delimiter, and export again."
        )
    body = fixed
    return header, body


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
        cols[c], used = _infer_column(raw[c])
        comma = comma or used
    data = pd.DataFrame(cols, index=pd.RangeIndex(len(raw)))
    return data, comma


def _frame_from_frame(body: pd.DataFrame, name: str) -> tuple[pd.DataFrame, bool]:
    if body.empty:
        return _frame_from_rows(list(body.columns), [], name)
    comma = False
    cols = {}
    for c in body.columns:
        cols[c], used = _infer_column(body[c])
        comma = comma or used
    return pd.DataFrame(cols, index=pd.RangeIndex(len(body))), comma


def _read_text(raw: bytes, name: str, fmt: str) -> TableFile:
    encoding, text, warnings = filecheck.decode_text(raw, name, detect_encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    preferred = "\t" if fmt == "tsv" else None
    delim = sniff_delimiter(text, name, preferred)
    first = next(ln for ln in text.split("\n") if ln.strip())
    header = _check_header(next(csv.reader([first], delimiter=delim)), name)
    try:
        # Fast path: pandas' C parser, every cell as text; inference follows.
        body = pd.read_csv(
            io.StringIO(text), sep=delim, dtype=str, header=0, names=None,
            keep_default_na=False, na_filter=False, skip_blank_lines=True, engine="c",
        )  # fmt: skip
    except (pd.errors.ParserError, ValueError):
        body = None  # ragged lines: the csv module path says which
    # More fields than the header on the first data line makes pandas use them as an index.
    if body is None or body.shape[1] != len(header) or not isinstance(body.index, pd.RangeIndex):
        header, rows = _split_text(text, delim, name)
        header = _check_header(header, name)
        data, comma = _frame_from_rows(header, rows, name)
    else:
        body.columns = header
        body = body.apply(lambda c: c.str.strip())
        body = body[~(body == "").all(axis=1)].reset_index(drop=True)
        data, comma = _frame_from_frame(body, name)
    notes = []
    if comma:
        notes.append("decimal commas (e.g. 12,5) read as decimal numbers (12.5)")
    return TableFile(
        data=data,
        name=name,
        format=fmt,
        encoding=encoding,
        delimiter=delim,
        decimal="," if comma else ".",
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def list_sheets(source: str | Path | bytes, name: str | None = None) -> tuple[str, ...]:
    """Sheet names of an XLSX workbook (empty tuple for other formats)."""
    raw, fname = _raw_bytes(source, name, DEFAULT_MAX_MB * 100)
    if detect_format(raw, fname) != "xlsx":
        return ()
    # From xl/workbook.xml only: loading the workbook here cost seconds at every rerun.
    with filecheck.open_zip(raw, fname) as zf:
        return tuple(filecheck.workbook_sheets(zf, fname))


def _open_workbook(raw: bytes, name: str):  # -> openpyxl Workbook
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about unsupported extensions (data validation, conditional
            # formatting) that do not affect cell values.
            warnings.simplefilter("ignore", UserWarning)
            return openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise FileReadError(
            f"file {name!r} is not a readable XLSX workbook ({type(exc).__name__}: {exc}); "
            "fix: open it in Excel and save it again as .xlsx or CSV."
        ) from exc


def _read_xlsx(raw: bytes, name: str, sheet: str | int | None) -> TableFile:
    scan = filecheck.scan_xlsx(raw, name)  # refuses bombs before openpyxl builds any cell
    wb = _open_workbook(raw, name)
    try:
        sheets = tuple(wb.sheetnames)
        if sheet is None:
            ws = wb[sheets[0]]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(sheets):
                raise FileReadError(
                    f"file {name!r} has {len(sheets)} sheets; sheet number {sheet} does not "
                    f"exist; fix: choose one of {preview_labels(sheets)}."
                )
            ws = wb[sheets[sheet]]
        elif sheet in sheets:
            ws = wb[sheet]
        else:
            raise FileReadError(
                f"file {name!r} has no sheet {sheet!r}; fix: choose one of "
                f"{preview_labels(sheets)}."
            )
        cells = (ws.max_row or 0) * (ws.max_column or 0)
        if cells > MAX_CELLS:
            raise FileReadError(
                f"file {name!r}, sheet {ws.title!r} spans {ws.max_row} rows x {ws.max_column} "
                f"columns ({cells:,} cells, more than {MAX_CELLS:,}); fix: delete the unused "
                "rows and columns (formatting applied to whole columns counts too) or export "
                "CSV."
            )
        merged = [str(r) for r in ws.merged_cells.ranges if r.min_row == 1]
        if merged:
            raise FileReadError(
                f"file {name!r}, sheet {ws.title!r}: merged header cells "
                f"{preview_labels(merged)}; fix: unmerge them and keep exactly one header "
                "row with one name per column."
            )
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    rows = [r for r in rows if any(not _is_missing(v) for v in r)]
    if not rows:
        raise FileReadError(
            f"file {name!r}, sheet {ws.title!r} is empty; fix: choose the sheet with the data "
            f"(sheets: {preview_labels(sheets)})."
        )
    width = max(i + 1 for r in rows for i, v in enumerate(r) if not _is_missing(v))
    rows = [r[:width] + [None] * (width - len(r[:width])) for r in rows]
    header = _check_header(rows[0], name)
    body = [[_cell_text(v) if hasattr(v, "isoformat") else v for v in r] for r in rows[1:]]
    data, comma = _frame_from_rows(header, body, name)
    return TableFile(
        data=data,
        name=name,
        format="xlsx",
        sheet=ws.title,
        sheets=sheets,
        decimal="," if comma else None,
        warnings=_formula_warnings(raw, name, ws.title, scan.members.get(ws.title)),
    )


def _formula_warnings(raw: bytes, name: str, sheet: str, member: str | None) -> tuple[str, ...]:
    if member is None:
        return ()
    try:
        found = filecheck.formulas_without_values(raw, member)
    except (KeyError, zipfile.BadZipFile):
        return ()
    if not found:
        return ()
    rows = sorted({r for rs in found.values() for r in rs})
    cells = sum(len(rs) for rs in found.values())
    return (
        f"file {name!r}, sheet {sheet!r}: {cells} formula cells have no saved value (columns "
        f"{preview_labels(sorted(found))}; {len(rows)} rows, Excel rows {preview_labels(rows)}) "
        "and are read as empty; fix: open the workbook in Excel (or LibreOffice), let it "
        "calculate, save it and upload it again, or export the sheet as CSV.",
    )


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
        header cells, unreadable workbook, inconsistent delimiters.
    """
    raw, fname = _raw_bytes(source, name, max_mb)
    fmt = detect_format(raw, fname)
    if fmt == "xlsx":
        return _read_xlsx(raw, fname, sheet)
    if fmt == "parquet":
        return _read_parquet(raw, fname)
    if fmt in ("sav", "dta", "sas7bdat"):
        from hccdash import readstat

        return readstat.read(raw, fname, fmt)
    return _read_text(raw, fname, fmt)


def map_unique(values: pd.Series, fn) -> pd.Series:  # fn: Callable[[object], object]
    """``values.map(fn)`` computed once per distinct value (missing included as ``None``).

    Cohort columns repeat few values (codes, levels, dates), so this is what keeps checking a
    few hundred thousand rows interactive.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        results[i] = fn(u)
    results[-1] = fn(None)
    return pd.Series(results[codes], index=values.index, dtype=object)


def neutralise_formulas(data: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells that a spreadsheet would run as formulas start with ``'``.

    Use before showing or exporting user data (CSV/XLSX injection): ``=cmd|' /C calc'!A0``
    becomes ``'=cmd|' /C calc'!A0``, shown and saved as text, never evaluated. The rule is
    :func:`hccdash.textsafe.defuse_cell` (the column names are defused too).
    """
    out = data.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = map_unique(out[c], defuse_cell)
    out.columns = [defuse_cell(c) for c in out.columns]
    return out


def formula_cells(data: pd.DataFrame) -> dict[str, list[int]]:
    """Row positions, per column, of text cells that look like spreadsheet formulas."""
    found: dict[str, list[int]] = {}
    for c in data.columns:
        if data[c].dtype != object:
            continue
        flagged = map_unique(data[c], is_formula).to_numpy(dtype=bool)
        pos = np.flatnonzero(flagged).tolist()
        if pos:
            found[str(c)] = pos
    return found

"""Text files (CSV/TSV): the encoding detected, the delimiter sniffed, the cells split.

Every cell is read as text first; :mod:`hccdash.io.columns` decides which columns are numbers.
Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from hccdash import filecheck
from hccdash.errors import FileReadError, preview_labels
from hccdash.io.columns import _check_header, _frame_from_frame, _frame_from_rows
from hccdash.io.formats import DELIMITER_NAMES, DELIMITERS, TableFile


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
    return text_table(data, name, fmt, encoding, delim, comma, warnings)


def text_table(data, name, fmt, encoding, delim, comma, warnings) -> TableFile:
    """The :class:`TableFile` of a CSV/TSV read by either reader (this one or
    :mod:`hccdash.io.arrowcsv`), with the one note on decimal commas."""
    notes = ("decimal commas (e.g. 12,5) read as decimal numbers (12.5)",) if comma else ()
    return TableFile(
        data=data,
        name=name,
        format=fmt,
        encoding=encoding,
        delimiter=delim,
        decimal="," if comma else ".",
        notes=notes,
        warnings=tuple(warnings),
    )

"""CSV/TSV read by pyarrow's multithreaded parser into dictionary-encoded columns, typed per
distinct value (:mod:`hccdash.io.distinct`): the columnar path of :func:`hccdash.io.read_table`.

What it shares with the careful reader (:mod:`hccdash.io.text`), so the two give the same
:class:`~hccdash.io.TableFile`: the encoding and its warnings
(:func:`hccdash.filecheck.decode_text`, called unless the file is plain UTF-8 without NUL
bytes), the delimiter
(:func:`~hccdash.io.text.sniff_delimiter` on the first 200 lines), the header check, the drop
of rows whose cells are all blank, line breaks inside quoted cells as ``\\n``, and every typing
rule (:mod:`hccdash.io.columns`, applied to each column's distinct values).

Fallback: a file this path does not read the same way is handed to the careful reader, which
gives today's frame and today's messages. That is the case for any line whose number of fields
differs from the header's (more fields is an error there, fewer are padded), a header line with
an unbalanced quote, a file pyarrow cannot parse (an unterminated quote ...), and a header
without data rows. Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import codecs
import csv
import re
import threading

import pandas as pd

from hccdash import filecheck
from hccdash.io.columns import _check_header
from hccdash.io.distinct import (
    dictionary_codes,
    encode_sorted,
    infer_dictionary,
    map_columns,
    release_arrow_memory,
    strip_text,
)
from hccdash.io.formats import TableFile
from hccdash.io.text import _read_text, detect_encoding, sniff_delimiter, text_table

_LINE_END = re.compile(r"\r\n|\r|\n")
_SNIFF_LINES = 200  # sniff_delimiter reads this many lines
_SLICE = 1 << 24  # bytes decoded at a time to check that a file is UTF-8


class _Fallback(Exception):
    """This file is read by the careful reader (:func:`hccdash.io.text._read_text`)."""


def read_text_columnar(raw: bytes, name: str, fmt: str) -> TableFile:
    """A CSV/TSV file as :func:`hccdash.io.text._read_text` reads it, column by column.

    Raises
    ------
    FileReadError
        As the careful reader (its messages: the file is read by it whenever a message is due).
    """
    try:
        return _read(raw, name, fmt)
    except _Fallback:
        return _read_text(raw, name, fmt)


def _utf8_body(raw: bytes) -> tuple[str, bytes] | None:
    """(encoding, body) when ``raw`` is UTF-8 (with or without BOM) without NUL bytes: the
    case :func:`~hccdash.filecheck.decode_text` returns unchanged and without warnings."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw:
        return None
    encoding, body = ("utf-8-sig", raw[3:]) if raw.startswith(b"\xef\xbb\xbf") else ("utf-8", raw)
    if body.isascii():  # no copy: ASCII is UTF-8
        return encoding, body
    check = codecs.getincrementaldecoder("utf-8")()
    try:  # in slices: a decoded copy of the whole file would double the read's peak
        for start in range(0, len(body), _SLICE):
            check.decode(body[start : start + _SLICE])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return encoding, body


def _head(body: bytes) -> tuple[str, bool]:
    """The decoded start of ``body`` holding at least the lines the sniffer reads."""
    size = 1 << 16
    while True:
        whole = size >= len(body)
        text = body[:size].decode("utf-8", errors="ignore")
        if whole or len(text.splitlines()) > _SNIFF_LINES:
            return text, whole
        size *= 4


def _read(raw: bytes, name: str, fmt: str) -> TableFile:
    plain = _utf8_body(raw)
    if plain is not None:
        encoding, body = plain
        warnings: list[str] = []
    else:
        encoding, text, warnings = filecheck.decode_text(raw, name, detect_encoding)
        body = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
        del text
    head, whole = _head(body)
    sniff = head if whole else "\n".join(head.splitlines()[:_SNIFF_LINES])
    delim = sniff_delimiter(sniff, name, "\t" if fmt == "tsv" else None)
    found = _header_line(head)
    if found is None or found[0].count('"') % 2:
        raise _Fallback  # no data line, or a header cell spanning lines
    first, end = found
    header = _check_header(next(csv.reader([first], delimiter=delim)), name)
    offset = len(head[:end].encode("utf-8"))
    carriage = b"\r" in body
    # _typed empties the list of columns: each column's codes are freed once it is typed
    data, comma = _typed(_parse(body, offset, delim, len(header)), header, carriage=carriage)
    return text_table(data, name, fmt, encoding, delim, comma, warnings)


def _header_line(head: str) -> tuple[str, int] | None:
    """The first non-blank line and the character offset after its line break; None when no
    line break follows it in ``head`` (no data rows, or a header longer than the head)."""
    pos = 0
    for m in _LINE_END.finditer(head):
        line = head[pos : m.start()]
        if line.strip():
            return line, m.end()
        pos = m.end()
    return None


def _parse(body: bytes, offset: int, delim: str, width: int) -> list:
    """Per column: its dictionary (arrow strings) and one int32 code per row."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    bad: list[int] = []

    def invalid(row) -> str:  # pyarrow.csv.InvalidRow
        if not (row.text or "").strip(" \t" + delim):
            return "skip"  # a blank line: the careful reader drops it too
        bad.append(row.number or 0)
        return "skip"

    data = pa.py_buffer(body)[offset:]
    dict_type = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            data,
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=delim,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=b'"' in body,
                ignore_empty_lines=True,
                invalid_row_handler=invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: dict_type for n in names},
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _Fallback from exc
    if bad or table.num_rows == 0:
        raise _Fallback
    columns = table.columns
    rows = table.num_rows
    del table

    def unify(i: int):  # a column's chunks are freed as soon as it is unified
        chunked, columns[i] = columns[i], None
        out = dictionary_codes(_one_dictionary(chunked))  # num_rows > 0: a chunk
        del chunked
        release_arrow_memory()
        return out

    return map_columns(unify, range(width), rows)


def _one_dictionary(chunked):  # ChunkedArray of dictionary<string>, one dictionary a block
    """Blocks of mostly distinct cells (ids) decoded and encoded once by sorting
    (:func:`~hccdash.io.distinct.encode_sorted`), faster than unifying their dictionaries;
    other columns as they are (:func:`~hccdash.io.distinct.dictionary_codes` unifies them)."""
    import pyarrow as pa

    first = chunked.chunk(0)
    if chunked.num_chunks < 2 or 2 * len(first.dictionary) <= len(first):
        return chunked
    plain = pa.chunked_array([c.dictionary_decode() for c in chunked.chunks], type=pa.string())
    return encode_sorted(plain)


def _typed(columns, header: list[str], carriage: bool) -> tuple[pd.DataFrame, bool]:
    """Rows of blank cells dropped, then each column typed on its distinct values."""
    import pyarrow.compute as pc

    rows = len(columns[0][1]) if columns else 0
    blank_row: list = [None]  # rows whose cells are all blank, and-ed in as columns finish
    lock = threading.Lock()

    def stripped(column):
        values, idx = column
        if carriage:  # a quoted cell's line breaks, as the careful reader normalises them
            values = pc.replace_substring(values, "\r\n", "\n")
            values = pc.replace_substring(values, "\r", "\n")
        text = strip_text(values)
        blank = pc.equal(text, "").to_numpy(zero_copy_only=False)[idx]
        with lock:
            blank_row[0] = blank if blank_row[0] is None else blank_row[0] & blank
        return (values, text), idx

    done = map_columns(stripped, columns, rows)
    columns.clear()  # (the caller holds no other reference: see _read)
    dictionaries = [d for d, _ in done]
    codes = [c for _, c in done]
    del done
    blank_row = blank_row[0]
    if blank_row is not None and blank_row.any():
        keep = ~blank_row
        if not keep.any():
            raise _Fallback
        codes = [c[keep] for c in codes]
    n = len(codes[0]) if codes else 0

    def typed(i: int):  # each column's codes freed once it is typed
        (values, text), idx = dictionaries[i], codes[i]
        dictionaries[i] = codes[i] = None
        return infer_dictionary(values, idx, stripped=text)

    done = map_columns(typed, range(len(header)), n)
    out = {name: series for name, (series, _) in zip(header, done, strict=True)}
    comma = any(used for _, used in done)
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False), comma

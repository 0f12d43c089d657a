"""Checks on a file's bytes before it is parsed: XLSX bombs, broken encodings, hidden changes.

A few hundred KB of XLSX can expand to tens of millions of cells (openpyxl then holds every
cell, about 450 bytes each, for minutes); a UTF-8 file with a byte-order mark and one Latin-1
byte, or a UTF-16 file cut at an odd byte, cannot be decoded at all; a NUL byte, lines in a
second encoding, or formula cells saved without their values would silently change cells.
Everything here reads the bytes with bounded memory and time and either refuses the file
(:class:`hccdash.errors.FileReadError` naming the limit or the byte offset and the fix) or
returns a warning that counts the rows affected, shown before the user confirms the cohort.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from xml.etree import ElementTree

from hccdash.errors import FileReadError, preview_labels

__all__ = [
    "MAX_XLSX_CELLS",
    "MAX_XLSX_XML_MB",
    "MB",
    "XlsxScan",
    "decode_text",
    "formulas_without_values",
    "open_zip",
    "scan_xlsx",
    "workbook_sheets",
]

MB = 1_000_000  # a megabyte as users (and the browser's upload limit) count it
# openpyxl needs about 450 bytes and 25-100 us per cell: a million cells is ~0.5 GB and up
# to a minute on a busy 2-core server, for one upload. Larger tables: CSV or Parquet.
MAX_XLSX_CELLS = 1_000_000
MAX_XLSX_XML_MB = 100  # uncompressed size of the workbook's parts (sheets, shared strings)
_CHUNK = 1 << 20
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_CSV_FIX = "fix: export the sheet as CSV (File > Save As > CSV UTF-8), which has no such limit"


@dataclass(frozen=True)
class XlsxScan:
    """What the workbook holds, read from its XML without building cells.

    Attributes
    ----------
    sheets : tuple of str
        Sheet names in workbook order.
    members : dict
        Sheet name -> zip member of its XML.
    cells : int
        Cells stored in all sheets (what openpyxl would build).
    """

    sheets: tuple[str, ...]
    members: dict[str, str]
    cells: int


def open_zip(raw: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise FileReadError(
            f"file {name!r} is a damaged ZIP/XLSX archive ({exc}); fix: open it in Excel and "
            "save it again as .xlsx or CSV."
        ) from exc


def _small_xml(zf: zipfile.ZipFile, member: str, name: str) -> ElementTree.Element | None:
    try:
        info = zf.getinfo(member)
    except KeyError:
        return None
    if info.file_size > 20 * MB:
        raise FileReadError(
            f"file {name!r}: the workbook part {member!r} is {info.file_size / MB:.0f} MB "
            f"uncompressed, not a plausible workbook; {_CSV_FIX}."
        )
    try:
        return ElementTree.fromstring(zf.read(member))
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError) as exc:
        raise FileReadError(
            f"file {name!r}: the workbook part {member!r} is damaged ({exc}); fix: open it in "
            "Excel and save it again as .xlsx or CSV."
        ) from exc


def workbook_sheets(zf: zipfile.ZipFile, name: str) -> dict[str, str]:
    """Sheet name -> zip member, from ``xl/workbook.xml`` and its relationships."""
    wb = _small_xml(zf, "xl/workbook.xml", name)
    rels = _small_xml(zf, "xl/_rels/workbook.xml.rels", name)
    targets = {}
    if rels is not None:
        for rel in rels.findall("rel:Relationship", _NS):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = target
    out: dict[str, str] = {}
    if wb is None:
        return out
    for i, sheet in enumerate(wb.findall("m:sheets/m:sheet", _NS)):
        rid = sheet.get(f"{{{_NS['r']}}}id")
        default = f"xl/worksheets/sheet{i + 1}.xml"
        out[sheet.get("name", f"Sheet{i + 1}")] = targets.get(rid, default)
    return out


_CELL = re.compile(rb"<c[\s>/]")
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')


def _count_cells(zf: zipfile.ZipFile, member: str, budget: int) -> tuple[int, str | None]:
    """Cells in a sheet's XML (streamed, stops past ``budget``) and its declared dimension."""
    count, tail, dim = 0, b"", None
    with zf.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            data = tail + chunk
            if count == 0 and dim is None and (m := _DIMENSION.search(data[:4096])):
                dim = m[1].decode()
            count += len(_CELL.findall(data))  # a match needs 3 bytes: none ends in tail
            tail = data[-2:]
            if count > budget:
                break
    return count, dim


def scan_xlsx(
    raw: bytes,
    name: str,
    *,
    max_cells: int = MAX_XLSX_CELLS,
    max_xml_mb: float = MAX_XLSX_XML_MB,
) -> XlsxScan:
    """Refuse a workbook too large to load, before openpyxl builds a single cell.

    Checks the uncompressed size of every zip member (from the archive's directory), then
    counts the cells of every sheet by streaming its XML (1 MB at a time, so memory stays
    small whatever the workbook claims), and stops at the limit.

    Raises
    ------
    FileReadError
        Naming the workbook's declared dimension, what was found, the limit and the fix.
    """
    zf = open_zip(raw, name)
    with zf:
        total = sum(i.file_size for i in zf.infolist())
        if total > max_xml_mb * MB:
            raise FileReadError(
                f"file {name!r} is {len(raw) / MB:.1f} MB but expands to {total / MB:,.0f} MB of "
                f"XML, more than the {max_xml_mb:g} MB hccdash reads from a workbook; {_CSV_FIX}."
            )
        members = workbook_sheets(zf, name)
        cells, dims = 0, {}
        for sheet, member in members.items():
            if member not in zf.namelist():
                continue
            n, dims[sheet] = _count_cells(zf, member, max_cells - cells)
            cells += n
            if cells > max_cells:
                declared = f", declared range {dims[sheet]}" if dims[sheet] else ""
                raise FileReadError(
                    f"file {name!r}: sheet {sheet!r} holds more than {max_cells:,} cells "
                    f"(the limit for a workbook{declared}; formatting applied to whole rows or "
                    f"columns counts too); {_CSV_FIX}, or delete the unused rows and columns."
                )
    return XlsxScan(tuple(members), members, cells)


_CELL_XML = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def formulas_without_values(raw: bytes, member: str) -> dict[str, list[int]]:
    """Column letter -> rows (1-based, as Excel shows them) of formula cells with no saved value.

    openpyxl reads such cells (a workbook written by a program that does not calculate) as
    empty; the file is the same, the numbers are missing.
    """
    with zipfile.ZipFile(BytesIO(raw)) as zf:
        data = zf.read(member)
    if b"<f" not in data:
        return {}
    found: dict[str, list[int]] = {}
    for m in _CELL_XML.finditer(data):
        body = m[2] or b""
        if b"<f" in body and not re.search(rb"<v>[^<]", body):
            ref = _REF.search(m[1])
            if ref:
                found.setdefault(ref[1].decode(), []).append(int(ref[2]))
    return found


# -- text encodings ------------------------------------------------------------------------
_SAVE_UTF8 = "fix: open the file in Excel or a text editor and save it again as 'CSV UTF-8'"


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode_text(raw: bytes, name: str, detect) -> tuple[str, str, list[str]]:
    """Decode a text file; ``detect`` is :func:`hccdash.io.detect_encoding` (no BOM case).

    Returns
    -------
    tuple of (str, str, list of str)
        Encoding label, text (NUL bytes removed), warnings counting the rows affected.

    Raises
    ------
    FileReadError
        A byte-order mark followed by bytes that are not in its encoding, or UTF-16 cut at an
        odd byte: the message names the encoding, the byte offset, the line and the fix.
    """
    warnings: list[str] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            encoding, text = "utf-8-sig", raw[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            at = exc.start + 3
            raise FileReadError(
                f"file {name!r} starts with a UTF-8 byte-order mark, but byte {at:,} "
                f"(0x{raw[at]:02X}, line {_line_of(raw, at)}) is not valid UTF-8: part of the "
                f"file is in another encoding; {_SAVE_UTF8}."
            ) from exc
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        if len(raw) % 2:
            raise FileReadError(
                f"file {name!r} is UTF-16 (it starts with a byte-order mark) but has an odd "
                f"number of bytes ({len(raw):,}): it was cut off after byte {len(raw) - 1:,}; "
                f"fix: export the file again, or save it as 'CSV UTF-8'."
            )
        try:
            encoding, text = "utf-16", raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileReadError(
                f"file {name!r} is UTF-16 (byte-order mark) but bytes {exc.start + 2:,}-"
                f"{exc.end + 1:,} are not valid UTF-16 ({exc.reason}); {_SAVE_UTF8}."
            ) from exc
    else:
        encoding, text = detect(raw)
        if encoding not in ("utf-8", "gb18030"):
            mixed = _mixed_lines(raw)
            if mixed is not None:
                text, bad = mixed
                encoding = "utf-8 (some lines windows-1252)"
                warnings.append(
                    f"file {name!r}: {len(bad)} lines are not UTF-8 while the rest of the file "
                    f"is (lines {preview_labels(bad)}); they were read as Windows-1252, so "
                    f"check their accented letters; {_SAVE_UTF8}."
                )
    if "\x00" in text:
        lines = [i + 1 for i, line in enumerate(text.split("\n")) if "\x00" in line]
        text = text.replace("\x00", "")
        warnings.append(
            f"file {name!r}: {len(lines)} lines contain NUL bytes (lines "
            f"{preview_labels(lines)}); they were removed from the cells, so check those "
            "rows; fix: export the file again from the source program."
        )
    return encoding, text, warnings


def _mixed_lines(raw: bytes) -> tuple[str, list[int]] | None:
    """UTF-8 text with some lines in another encoding: (text, 1-based bad lines) or None."""
    good_multibyte = 0
    bad: list[int] = []
    parts = []
    for i, line in enumerate(raw.split(b"\n")):
        try:
            parts.append(line.decode("utf-8"))
            if not line.isascii():
                good_multibyte += 1
        except UnicodeDecodeError:
            parts.append(line.decode("cp1252", errors="replace"))
            bad.append(i + 1)
    if not good_multibyte or not bad:
        return None
    return "\n".join(parts), bad

"""SPSS (.sav, .zsav), Stata (.dta) and SAS (.sas7bdat) files, read with pyreadstat.

Value labels become the cells' values (SPSS ``1 = "Male"`` reads as ``"Male"``) and their
order becomes the level order; variable labels become the columns' labels in the codebook.
The bytes are read from memory (nothing is written to disk). Also here: what a file that is
not a table is ("a Word document, not a table"), for :func:`hccdash.io.detect_format`.

Examples
--------
>>> detect(b"$FL2@(#) IBM SPSS STATISTICS", "x.csv")
'sav'
>>> what_file(b"%PDF-1.7 ...", "cohort.csv").split(";")[0]
"file 'cohort.csv' is a PDF document, not a table"
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hccdash.errors import FileReadError, preview_labels
from hccdash.io import TableFile

FORMATS = ("sav", "dta", "sas7bdat")
EXTENSIONS = {".sav": "sav", ".zsav": "sav", ".dta": "dta", ".sas7bdat": "sas7bdat"}
UPLOAD_TYPES = ("sav", "zsav", "dta", "sas7bdat")
_SAS_MAGIC = bytes.fromhex("000000000000000000000000c2ea8160b31411cfbd92080009c7318c181f1011")
_NAMES = {"sav": "SPSS", "dta": "Stata", "sas7bdat": "SAS"}
_FIX = "fix: export the table from the program that made it as CSV, XLSX or SPSS .sav."


@dataclass(frozen=True)
class StatTableFile(TableFile):
    """A :class:`~hccdash.io.TableFile` read from a statistics package, with its labels.

    Attributes
    ----------
    variable_labels : dict
        Column -> its variable label (SPSS "Label", Stata/SAS label).
    value_levels : dict
        Column -> the value labels in the order of their codes (the column's levels).
    """

    variable_labels: dict[str, str] = field(default_factory=dict, hash=False)
    value_levels: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)


def detect(raw: bytes, name: str) -> str | None:
    """``"sav"``, ``"dta"`` or ``"sas7bdat"`` from the file's first bytes, else None."""
    if raw[:4] in (b"$FL2", b"$FL3"):
        return "sav"
    if raw[:11] == b"<stata_dta>":
        return "dta"
    if raw[:32] == _SAS_MAGIC:
        return "sas7bdat"
    ext = Path(name).suffix.lower()
    # Stata 8-13 (.dta format 113-117 has no text header): version byte, then byte order.
    if ext == ".dta" and len(raw) > 2 and raw[0] in range(104, 120) and raw[1] in (1, 2):
        return "dta"
    return None


def what_file(raw: bytes, name: str) -> str | None:
    """The message for a document that is not a table (Word, PowerPoint, PDF, image ...),
    or None when the bytes may be a table."""
    kind = None
    head = raw[:8]
    if raw[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            return None
        if any(n.startswith("word/") for n in names):
            kind = "a Word document"
        elif any(n.startswith("ppt/") for n in names):
            kind = "a PowerPoint presentation"
        elif "mimetype" in names and "content.xml" in names:
            kind = "an OpenDocument file (LibreOffice)"
            if raw.find(b"spreadsheet") != -1:
                return (
                    f"file {name!r} is an OpenDocument spreadsheet (.ods), which hccdash does "
                    "not read; fix: save it from LibreOffice as .xlsx or CSV."
                )
    elif raw[:4] == b"%PDF":
        kind = "a PDF document"
    elif raw[:5] == b"{\\rtf":
        kind = "a Rich Text (RTF) document"
    elif head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff" or head[:4] == b"GIF8":
        kind = "an image"
    elif raw[:2] == b"\x1f\x8b":
        kind = "a gzip archive"
    elif raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        if "WordDocument".encode("utf-16-le") in raw[:65536]:
            kind = "a Word 97-2003 document"
        elif "PowerPoint Document".encode("utf-16-le") in raw[:65536]:
            kind = "a PowerPoint 97-2003 presentation"
    if kind is None:
        return None
    return f"file {name!r} is {kind}, not a table; {_FIX}"


def read(raw: bytes, name: str, fmt: str) -> StatTableFile:
    """Read an SPSS, Stata or SAS file from its bytes.

    Raises
    ------
    FileReadError
        The file cannot be read by pyreadstat, has no rows, or no column names.
    """
    import pyreadstat

    reader = {
        "sav": pyreadstat.read_sav,
        "dta": pyreadstat.read_dta,
        "sas7bdat": pyreadstat.read_sas7bdat,
    }[fmt]
    try:
        data, meta = reader(io.BytesIO(raw), apply_value_formats=False)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as exc:
        raise FileReadError(
            f"file {name!r} is not a readable {_NAMES[fmt]} file ({exc}); fix: save it again "
            f"from {_NAMES[fmt]}, or export it as CSV."
        ) from exc
    if data.shape[1] == 0:
        raise FileReadError(f"file {name!r} has no columns; fix: save the data set again.")
    if data.empty:
        raise FileReadError(
            f"file {name!r} has columns ({preview_labels(list(data.columns), 4)}) but no rows; "
            "fix: save the data set with one row per patient."
        )
    data.columns = [str(c) for c in data.columns]
    levels: dict[str, tuple[str, ...]] = {}
    for col, labels in (meta.variable_value_labels or {}).items():
        if col not in data.columns or not labels:
            continue
        codes = sorted(labels, key=lambda c: (isinstance(c, str), c))
        mapping = {c: str(labels[c]) for c in codes}
        s = data[col]
        data[col] = s.map(lambda v, m=mapping: m.get(v, v)).where(s.notna(), None).astype(object)
        levels[col] = tuple(dict.fromkeys(mapping[c] for c in codes))
    for col in data.columns:
        s = data[col]
        first = s.dropna().head(1)
        stamp = not first.empty and isinstance(first.iloc[0], datetime.date | datetime.time)
        if pd.api.types.is_datetime64_any_dtype(s) or (s.dtype == object and stamp):
            # dates stay text until the mapping step parses them (as from any other file)
            data[col] = s.map(lambda v: None if pd.isna(v) else str(v)[:19]).astype(object)
    for col in data.columns:
        s = data[col]
        if pd.api.types.is_float_dtype(s) and s.notna().all() and (s == s.round()).all():
            data[col] = s.astype("int64")  # whole numbers stay integers, as from a CSV
    labels = {
        str(k): str(v)
        for k, v in (meta.column_names_to_labels or {}).items()
        if v and str(v) != str(k)
    }
    notes = []
    if levels:
        notes.append(
            f"Value labels read for {len(levels)} columns ({preview_labels(list(levels), 4)}): "
            "the cells show the labels, in the order of their codes."
        )
    if labels:
        notes.append(f"Variable labels read for {len(labels)} columns: they become the labels.")
    return StatTableFile(
        data=data.reset_index(drop=True),
        name=name,
        format=fmt,
        notes=tuple(notes),
        variable_labels=labels,
        value_levels=levels,
    )

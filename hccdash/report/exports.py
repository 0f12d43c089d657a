"""A table model as a file: DOCX (Word table), XLSX (formatted) or CSV (the raw numbers).

- DOCX: :func:`hccdash.report.docx.table_docx`.
- XLSX: the formatted table (bold header, spanners merged, levels indented, footnotes below),
  every text cell defused against spreadsheet formulas.
- CSV: the table's ``details`` (raw, unformatted numbers: coef, se, z, exact p), through
  :func:`hccdash.export.table_bytes`, which defuses formulas too; a table without details
  exports its formatted text.
"""

from __future__ import annotations

import io

import numpy as np

from hccdash.errors import InputError
from hccdash.export import MIME, safe_filename, table_bytes
from hccdash.report.docx import table_docx
from hccdash.report.fmt import is_missing
from hccdash.report.table import Table

# The one import of the formula defuser: a text cell a spreadsheet would run as a formula
# gets a leading apostrophe. (hccdash.io and hccdash.export each have one today; when they
# become one function, change this line only.)
from hccdash.textsafe import defuse_cell

__all__ = ["TABLE_FILE_FORMATS", "table_csv", "table_file", "table_xlsx"]

TABLE_FILE_FORMATS = ("docx", "xlsx", "csv")
MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def table_csv(table: Table) -> bytes:
    """The raw numbers behind ``table`` as CSV (UTF-8 with BOM)."""
    frame = table.details if not table.details.empty else table.to_frame(indent="  ")
    return table_bytes(frame, "csv")


def table_xlsx(table: Table) -> bytes:
    """``table`` as a formatted Excel sheet (openpyxl), with a second sheet of raw details."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = (safe_filename(table.key, "table"))[:31]
    bold = Font(bold=True)
    rule = Side(style="thin", color="000000")
    ws.append([defuse_cell(table.title)])
    ws.cell(1, 1).font = Font(bold=True, size=12)
    r = 2
    for header in table.header:
        c = 1
        for text, span in header:
            cell = ws.cell(r, c, defuse_cell(text))
            cell.font = bold
            cell.alignment = Alignment(horizontal="left" if c == 1 else "center", wrap_text=True)
            cell.border = Border(bottom=rule)
            if span > 1:
                ws.merge_cells(start_row=r, start_column=c, end_row=r, end_column=c + span - 1)
            c += span
        r += 1
    first_body = r
    for row in table.rows:
        label = ws.cell(r, 1, defuse_cell(row.label))
        label.font = Font(bold=row.kind == "header")
        label.alignment = Alignment(indent=2 if row.kind == "level" else 0)
        for j, text in enumerate(row.cells, start=2):
            ws.cell(r, j, defuse_cell(text)).alignment = Alignment(horizontal="center")
        r += 1
    for j in range(1, len(table.columns) + 2):
        ws.cell(r - 1, j).border = Border(bottom=rule)
    for note in table.footnotes:
        ws.cell(r, 1, defuse_cell(note)).font = Font(italic=True, size=9)
        r += 1
    ws.freeze_panes = ws.cell(first_body, 2)
    widths = [len(table.stub), *(len(c) for c in table.columns)]
    for row in table.rows:
        widths[0] = max(widths[0], len(row.label) + 4)
        for j, text in enumerate(row.cells, start=1):
            widths[j] = max(widths[j], len(text))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(60, w + 2)
    # Text is data, never a formula, even where a defused value still starts with "=".
    for line in ws.iter_rows():
        for cell in line:
            if cell.data_type == "f":
                cell.data_type = "s"
    if not table.details.empty:
        raw = wb.create_sheet("details")
        frame = table.details.reset_index(drop=True)
        raw.append([defuse_cell(str(c)) for c in frame.columns])
        for values in frame.itertuples(index=False, name=None):
            raw.append([_raw_cell(v) for v in values])
        for line in raw.iter_rows():
            for cell in line:
                if cell.data_type == "f":
                    cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _raw_cell(value: object) -> object:
    """A raw value openpyxl writes as a number, a boolean, text or an empty cell."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if is_missing(value) else float(value)
    if isinstance(value, str):
        return defuse_cell(value)
    if is_missing(value):
        return None
    return defuse_cell(str(value))


def table_file(table: Table, fmt: str) -> tuple[bytes, str, str]:
    """``(bytes, file name, mime type)`` of ``table`` in ``fmt`` (docx, xlsx or csv)."""
    fmt = str(fmt).lower().lstrip(".")
    stem = safe_filename(table.key, "table")
    if fmt == "docx":
        return table_docx(table), f"{stem}.docx", MIME_DOCX
    if fmt == "xlsx":
        return table_xlsx(table), f"{stem}.xlsx", MIME["xlsx"]
    if fmt == "csv":
        return table_csv(table), f"{stem}.csv", MIME["csv"]
    raise InputError(f"Table format {fmt!r} is not supported: use one of {TABLE_FILE_FORMATS}.")

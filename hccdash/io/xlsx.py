"""XLSX workbooks: sheets listed, one sheet read, formulas without saved values reported.

:func:`hccdash.filecheck.scan_xlsx` refuses ZIP/XML bombs before openpyxl builds any cell.
Part of :mod:`hccdash.io`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hccdash import filecheck
from hccdash.errors import FileReadError, preview_labels
from hccdash.io.columns import _cell_text, _check_header, _frame_from_rows, _is_missing
from hccdash.io.formats import DEFAULT_MAX_MB, TableFile, _raw_bytes, detect_format

MAX_CELLS = 20_000_000  # an XLSX sheet's used range; a few MB of XML can claim far more


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

"""Faults in a file's bytes (hccdash.filecheck): XLSX bombs, broken encodings, hidden changes.

The bombs are generated here (a few hundred KB compressed, millions of cells) and must be
refused before openpyxl builds a cell, with bounded memory (tracemalloc peak).
"""

from __future__ import annotations

import io
import tomllib
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from hccdash import filecheck
from hccdash import io as hio
from hccdash.__main__ import main
from hccdash.errors import FileReadError

ROOT = Path(__file__).resolve().parents[1]
HEADER = "patient_id,os_months,os_event,arm\n"


def _xlsx_bomb(rows: int, cols: int, *, dimension: bool = True) -> bytes:
    """A valid XLSX whose one sheet holds rows x cols numeric cells (deflated, repetitive)."""
    wb = openpyxl.Workbook()
    wb.active.append(["a"])
    buf = io.BytesIO()
    wb.save(buf)
    template = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    cell = b"<c><v>1</v></c>"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for item in template.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(item, template.read(item.filename))
                continue
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                fh.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                    b'openxmlformats.org/spreadsheetml/2006/main">'
                )
                if dimension:
                    fh.write(f'<dimension ref="A1:T{rows}"/>'.encode())
                fh.write(b"<sheetData>")
                row = b"<row>" + cell * cols + b"</row>"
                block = row * 1000
                for _ in range(rows // 1000):
                    fh.write(block)
                fh.write(row * (rows % 1000) + b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.mark.parametrize(("rows", "cols"), [(60_000, 20), (500_000, 20), (1_000_000, 20)])
def test_xlsx_bombs_are_refused_before_loading_with_little_memory(rows, cols):
    bomb = _xlsx_bomb(rows, cols, dimension=rows != 500_000)
    assert len(bomb) < 3_000_000  # small on disk, 1.2e6 to 2e7 cells inside
    tracemalloc.start()
    try:
        with pytest.raises(FileReadError) as info:
            hio.read_table(bomb, "bomb.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "export the sheet as CSV" in message, message
    assert f"{filecheck.MAX_XLSX_CELLS:,} cells" in message or "MB of XML" in message, message
    assert peak < 60_000_000, f"peak {peak / 1e6:.0f} MB while refusing a bomb"


def test_a_normal_workbook_passes_the_scan_and_lists_sheets_without_loading():
    wb = openpyxl.Workbook()
    wb.active.title = "cohort"
    wb.active.append(["patient_id", "os_months", "os_event"])
    wb.active.append(["P1", 3.5, 1])
    wb.create_sheet("notes").append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    scan = filecheck.scan_xlsx(buf.getvalue(), "ok.xlsx")
    assert scan.sheets == ("cohort", "notes") and scan.cells == 7
    assert hio.list_sheets(buf.getvalue(), "ok.xlsx") == ("cohort", "notes")


def test_formula_cells_without_saved_values_are_counted():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "os_months", "os_event"])
    for i in range(5):
        ws.append([f"P{i}", f"=B1*{i}" if i % 2 else 2.5, 1])  # openpyxl saves no values
    buf = io.BytesIO()
    wb.save(buf)
    table = hio.read_table(buf.getvalue(), "calc.xlsx")
    assert table.data["os_months"].isna().sum() == 2
    (warning,) = table.warnings
    assert "2 formula cells have no saved value" in warning
    assert "'B'" in warning and "Excel rows 3, 5" in warning and "calculate" in warning


def test_utf8_bom_with_invalid_bytes_names_the_offset_and_the_fix():
    raw = b"\xef\xbb\xbf" + HEADER.encode() + b"P1,3,1,Caf\xe9\n"
    with pytest.raises(FileReadError) as info:
        hio.read_table(raw, "bom.csv")
    offset = raw.index(b"\xe9")
    assert f"byte {offset:,} (0xE9, line 2)" in str(info.value)
    assert "CSV UTF-8" in str(info.value)


def test_odd_length_utf16_names_the_cut_and_the_fix():
    raw = (HEADER + "P1,3,1,A\n").encode("utf-16")[:-1]
    with pytest.raises(FileReadError, match=r"odd number of bytes \(\d+\).*export the file again"):
        hio.read_table(raw, "u16.csv")


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbf" + HEADER.encode() + b"P1,3,1,Caf\xe9\n",
        (HEADER + "P1,3,1,A\n").encode("utf-16")[:-1],
    ],
)
def test_the_cli_exits_2_with_one_line_on_broken_encodings(raw, tmp_path, capsys):
    path = tmp_path / "broken.csv"
    path.write_bytes(raw)
    assert main(["analyze", str(path), "--time", "os_months", "--event", "os_event"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hccdash: error: file 'broken.csv'"), err


def test_nul_bytes_are_removed_and_reported_with_rows():
    body = "".join(f"P{i},{i + 1},1,A\n" for i in range(600))  # NUL after the first 8 KB
    raw = (HEADER + body).encode().replace(b"P500,", b"P5\x0000,").replace(b"P7,", b"P\x007,")
    table = hio.read_table(raw, "nul.csv")
    assert table.data["patient_id"].iloc[500] == "P500"
    (warning,) = table.warnings
    assert "2 lines contain NUL bytes (lines 9, 502)" in warning


def test_mixed_encodings_are_reported_not_garbled():
    raw = HEADER.encode() + "P1,3,1,Café\n".encode() + b"P2,4,0,Caf\xe9\n" + b"P3,5,1,B\n"
    table = hio.read_table(raw, "mixed.csv")
    assert table.data["arm"].tolist() == ["Café", "Café", "B"]  # not "CafÃ©"
    (warning,) = table.warnings
    assert "1 lines are not UTF-8" in warning and "lines 3" in warning


def test_the_upload_limit_is_one_number_in_megabytes():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == hio.DEFAULT_MAX_MB
    # The browser's uploader counts 1 MB = 1,000,000 bytes; so does the reader (and the CLI).
    limit = int(hio.DEFAULT_MAX_MB * 1_000_000)
    from hccdash.io.formats import _check_size

    _check_size("x.csv", limit, hio.DEFAULT_MAX_MB)
    with pytest.raises(FileReadError, match=r"50 MB \(50,000,000 bytes\) limit"):
        _check_size("x.csv", limit + 1, hio.DEFAULT_MAX_MB)

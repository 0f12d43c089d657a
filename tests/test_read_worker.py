"""Workbooks and statistics files are parsed in a bounded worker process (issue 20).

A small upload must not hold the server's memory or a core: :mod:`hccdash.io.worker` reads
XLSX, Parquet, SPSS/Stata/SAS in a child with an address-space limit and a deadline. These
tests check that a normal file reads the same table as the in-process reader, that a child
past a (tiny) memory limit or past its deadline gives one message naming the limit and the
fix, that the child is gone afterwards, and that the CLI goes through the same worker.
"""

from __future__ import annotations

import io
import multiprocessing
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hccdash import io as hio
from hccdash.__main__ import main
from hccdash.errors import FileReadError
from hccdash.io import worker
from hccdash.io.read import _read_format

PUBLIC = Path(__file__).resolve().parent / "data" / "public"


def _workbook(rows: int = 30) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["patient_id", "os_months", "os_event", "arm"])
    for i in range(rows):
        ws.append([f"P{i}", 0.5 + i % 40, i % 2, "TACE" if i % 3 else "IMRT"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite(raw: bytes, parts: dict[str, bytes]) -> bytes:
    """``raw`` with some zip members replaced (or added), deflated: small on disk."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for item in src.infolist():
            if item.filename not in parts:
                zf.writestr(item, src.read(item.filename))
        for member, data in parts.items():
            zf.writestr(member, data)
    return out.getvalue()


_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
    b'.org/spreadsheetml/2006/main"><sheetData>'
)


def _many_cells(rows: int, cols: int) -> bytes:
    """A workbook of rows x cols numeric cells, under the scan's 1e6-cell cap: slow to load."""
    row = b"<row>" + b"<c><v>1</v></c>" * cols + b"</row>"
    sheet = _HEAD + row * rows + b"</sheetData></worksheet>"
    return _rewrite(_workbook(0), {"xl/worksheets/sheet1.xml": sheet})


def _long_string() -> bytes:
    """A workbook whose one cell is 60 MB of one letter (60 KB compressed): every reader must
    hold it, so it needs far more than a tiny memory limit, at once."""
    header = b'<row><c t="inlineStr"><is><t>note</t></is></c></row>'
    cell = b'<row><c t="inlineStr"><is><t>' + b"A" * 60_000_000 + b"</t></is></c></row>"
    sheet = _HEAD + header + cell + b"</sheetData></worksheet>"
    return _rewrite(_workbook(0), {"xl/worksheets/sheet1.xml": sheet})


def test_a_normal_workbook_reads_the_same_table_through_the_worker():
    raw = _workbook()
    through = hio.read_table(raw, "cohort.xlsx")
    inline = _read_format(raw, "cohort.xlsx", "xlsx", None)
    pd.testing.assert_frame_equal(through.data, inline.data)
    assert (
        through.describe()
        == inline.describe()
        == ("cohort.xlsx: 30 rows x 4 columns, xlsx, sheet 'data'")
    )
    assert through.data["os_months"].sum() == pytest.approx(sum(0.5 + i % 40 for i in range(30)))
    assert worker.startup_seconds()  # the read went through a worker


@pytest.mark.parametrize("path", ["gbsg2.sav", "veterans.dta"])
def test_statistics_files_read_through_the_worker_with_their_labels(path):
    raw = (PUBLIC / path).read_bytes()
    fmt = hio.detect_format(raw, path)
    assert fmt in worker.WORKER_FORMATS
    through = hio.read_table(raw, path)
    inline = _read_format(raw, path, fmt, None)
    pd.testing.assert_frame_equal(through.data, inline.data)
    assert through.variable_labels == inline.variable_labels  # the StatTableFile came back
    assert through.value_levels == inline.value_levels


def test_the_reader_s_own_message_comes_back_from_the_worker():
    with pytest.raises(FileReadError, match=r"file 'w.xlsx' has no sheet 'other'; fix: choose"):
        hio.read_table(_workbook(), "w.xlsx", sheet="other")


def test_a_worker_past_its_memory_limit_gives_one_message_with_the_limit_and_the_fix():
    raw = _long_string()
    assert len(raw) < 1_000_000
    with pytest.raises(FileReadError) as err:
        worker.read_bounded(raw, "big.xlsx", "xlsx", None, worker.ReadLimits(1, 60))
    message = str(err.value)
    assert "needs more than the 1 MB of memory one file read may use" in message
    assert "HCCDASH_READ_MAX_MB" in message and "export the sheet as CSV" in message
    assert not multiprocessing.active_children()


def test_the_same_workbook_reads_under_the_default_limit():
    table = worker.read_bounded(_long_string(), "big.xlsx", "xlsx", None)
    assert table.data.columns.tolist() == ["note"]
    assert len(table.data) == 1 and table.data["note"].str.len().tolist() == [60_000_000]


def test_a_worker_past_its_deadline_is_killed_with_one_message():
    raw = _many_cells(100_000, 5)  # 5e5 cells: seconds of openpyxl, under the scan's cap
    hio.read_table  # noqa: B018 - the scan passes this workbook (checked next)
    from hccdash import filecheck

    assert filecheck.scan_xlsx(raw, "slow.xlsx").cells == 500_000
    with pytest.raises(FileReadError) as err:
        worker.read_bounded(raw, "slow.xlsx", "xlsx", None, worker.ReadLimits(2000, 0.5))
    message = str(err.value)
    assert "took longer than the 0.5 s one file read may take (HCCDASH_READ_TIMEOUT_S)" in message
    assert "export the sheet as CSV" in message
    assert not multiprocessing.active_children()


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HCCDASH_READ_MAX_MB", "512")
    monkeypatch.setenv("HCCDASH_READ_TIMEOUT_S", "30")
    assert worker.limits() == worker.ReadLimits(512.0, 30.0)
    monkeypatch.setenv("HCCDASH_READ_TIMEOUT_S", "soon")
    with pytest.raises(FileReadError, match=r"HCCDASH_READ_TIMEOUT_S='soon' is not a positive"):
        worker.limits()
    monkeypatch.delenv("HCCDASH_READ_MAX_MB")
    monkeypatch.delenv("HCCDASH_READ_TIMEOUT_S")
    assert worker.limits() == worker.ReadLimits(2000.0, 120.0)


def test_the_cli_reads_through_the_same_worker_and_exits_2_on_its_limit(
    tmp_path, monkeypatch, capsys
):
    path = tmp_path / "big.xlsx"
    path.write_bytes(_long_string())
    monkeypatch.setenv("HCCDASH_READ_MAX_MB", "1")
    assert main(["analyze", str(path), "--time", "note", "--event", "note"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 MB of memory" in err[0] and "export the sheet as CSV" in err[0]


@pytest.mark.usefixtures("router_on_every_run")
def test_the_data_page_reads_a_workbook_once_per_upload_not_per_mapping_change(worker_reads):
    """Issue 20: every mapping change re-read the whole XLSX (5.3 s for 20,000 rows)."""
    from streamlit.testing.v1 import AppTest

    reads = worker_reads
    page = str(Path(__file__).resolve().parent.parent / "pages" / "data.py")
    at = AppTest.from_file(page, default_timeout=120)
    at.run()
    at.file_uploader(key="up_file").set_value(("cohort.xlsx", _workbook(), "text/plain"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert reads == ["cohort.xlsx"]
    for column in ("arm", "patient_id", "arm"):
        at.selectbox(key="map_treatment").set_value(column).run()
        assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="map_treatment").value == "arm"
    assert reads == ["cohort.xlsx"]  # one read per upload, whatever the mapping does


def test_a_declared_range_of_17e9_cells_with_two_rows_reads_its_two_rows():
    """The declared dimension is not trusted either way: the cells are counted (the scan) and
    read (the worker); a sheet claiming A1:XFD1048576 with two rows is a two-row table."""
    sheet = (
        _HEAD.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
        + b'<row r="1"><c r="A1" t="inlineStr"><is><t>os_months</t></is></c></row>'
        + b'<row r="2"><c r="A2"><v>12.5</v></c></row></sheetData></worksheet>'
    )
    raw = _rewrite(_workbook(0), {"xl/worksheets/sheet1.xml": sheet})
    table = hio.read_table(raw, "declared.xlsx")
    assert table.data["os_months"].tolist() == [12.5]

"""hccdash.io: encodings, delimiters, decimal commas, XLSX sheets, Parquet, limits, safety."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hccdash import io as hio
from hccdash.errors import FileReadError, HccdashError

ROOT = Path(__file__).resolve().parent.parent
MESSY = ROOT / "tests" / "data" / "messy"

TEXT = "id,name,time,event\n001,Müller,12.5,1\n002,José,3,0\n003,,7.25,NA\n"


def _text(col: pd.Series) -> list:
    """A text column's cells as str, missing as None (whatever the dtype holds)."""
    return col.astype(object).where(col.notna(), None).tolist()


def test_utf8_reads_numbers_text_and_missing():
    t = hio.read_table(TEXT.encode("utf-8"), "x.csv")
    assert (t.format, t.encoding, t.delimiter, t.decimal) == ("csv", "utf-8", ",", ".")
    d = t.data
    assert list(d.columns) == ["id", "name", "time", "event"]
    assert d["id"].tolist() == ["001", "002", "003"]  # leading zeros: kept as text
    # text columns are Categoricals (missing: NaN), read per distinct value
    assert isinstance(d["name"].dtype, pd.CategoricalDtype)
    assert _text(d["name"]) == ["Müller", "José", None]
    assert d["time"].tolist() == [12.5, 3.0, 7.25]
    assert d["event"].iloc[:2].tolist() == [1.0, 0.0] and np.isnan(d["event"].iloc[2])


@pytest.mark.parametrize(
    ("encoded", "label"),
    [
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.encode("latin-1"), "cp1252"),
    ],
)
def test_encodings_give_the_same_table(encoded: bytes, label: str):
    ref = hio.read_table(TEXT.encode("utf-8"), "x.csv").data
    t = hio.read_table(encoded, "x.csv")
    assert t.encoding == label
    pd.testing.assert_frame_equal(t.data, ref)


def test_gbk_chinese_is_detected_as_gb18030():
    text = "编号,生存时间(月),生存状态\nP1,1.5,死亡\nP2,2,存活\n"
    t = hio.read_table(text.encode("gbk"), "zh.csv")
    assert t.encoding == "gb18030"
    assert list(t.data.columns) == ["编号", "生存时间(月)", "生存状态"]
    assert t.data["生存状态"].tolist() == ["死亡", "存活"]


def test_latin1_text_is_not_mistaken_for_chinese():
    """Latin-1 bytes often decode as GB18030 too; the CJK share decides."""
    raw = "name,t\nGaël Ébrard,1\nSøren,2\n".encode("latin-1")
    assert hio.detect_encoding(raw) == ("cp1252", "name,t\nGaël Ébrard,1\nSøren,2\n")


@pytest.mark.parametrize(("sep", "name"), [(";", "x.csv"), ("\t", "x.tsv"), ("|", "x.txt")])
def test_delimiters_are_sniffed(sep: str, name: str):
    t = hio.read_table(TEXT.replace(",", sep).encode(), name)
    assert t.delimiter == sep
    assert t.data["time"].tolist() == [12.5, 3.0, 7.25]


def test_decimal_comma_and_thousands_dot():
    raw = b"id;dose;time\nA;1.234,5;12,5\nB;2,0;3\nC;10;0,25\n"
    t = hio.read_table(raw, "eu.csv")
    assert t.decimal == ","
    assert t.data["dose"].tolist() == [1234.5, 2.0, 10.0]
    assert t.data["time"].tolist() == [12.5, 3.0, 0.25]
    assert "decimal commas" in t.notes[0]


def test_missing_markers_follow_the_bundled_cohort():
    """Same NA list as load_bundled_cohort (pandas' default minus "None") plus '.' and '-'.

    "None" stays a value: failure pattern "None" means no failure, not a missing cell.
    """
    t = hio.read_table(b"id,failure,x\n1,None,.\n2,Local,-\n3,#N/A,4\n", "f.csv")
    assert _text(t.data["failure"]) == ["None", "Local", None]
    assert t.data["x"].iloc[2] == 4 and t.data["x"].isna().tolist() == [True, True, False]


def test_trailing_empty_cells_are_dropped_short_rows_padded():
    t = hio.read_table(b"a;b;c\n1;2;3;;\n4;5\n", "x.csv")
    assert t.data["a"].tolist() == [1, 4]
    assert t.data["c"].iloc[0] == 3 and np.isnan(t.data["c"].iloc[1])


def test_path_and_bytes_agree_and_the_file_is_not_modified(tmp_path: Path):
    path = tmp_path / "cohort.csv"
    path.write_bytes(TEXT.encode("utf-8"))
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    from_path = hio.read_table(path)
    from_bytes = hio.read_table(path.read_bytes(), "cohort.csv")
    pd.testing.assert_frame_equal(from_path.data, from_bytes.data)
    assert from_path.name == "cohort.csv"
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv"]  # no temp files left


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["see sheet 2"])
    ws = wb.create_sheet("data")
    ws.append(["id", "start", "time"])
    ws.append(["P1", datetime(2020, 1, 3), 4.5])
    ws.append(["P2", datetime(2021, 12, 31), 7])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_sheet_choice_and_dates_as_iso_text():
    raw = _workbook()
    assert hio.list_sheets(raw, "w.xlsx") == ("notes", "data")
    t = hio.read_table(raw, "w.xlsx", sheet="data")
    assert (t.format, t.sheet, t.sheets) == ("xlsx", "data", ("notes", "data"))
    assert t.data["start"].tolist() == ["2020-01-03", "2021-12-31"]
    assert t.data["time"].tolist() == [4.5, 7.0]
    assert hio.read_table(raw, "w.xlsx", sheet=1).data.equals(t.data)
    with pytest.raises(FileReadError, match=r"no sheet 'Data'.*'notes', 'data'"):
        hio.read_table(raw, "w.xlsx", sheet="Data")
    with pytest.raises(FileReadError, match="sheet number 5 does not exist"):
        hio.read_table(raw, "w.xlsx", sheet=5)


def test_xlsx_detected_by_content_whatever_the_extension():
    t = hio.read_table(_workbook(), "export.csv", sheet="data")
    assert t.format == "xlsx"


def test_parquet_with_datetime_and_bool_columns():
    df = pd.DataFrame(
        {
            "id": ["a", "b"],
            "start": pd.to_datetime(["2020-01-03", "2020-02-01"]),
            "time": [1.5, 2.0],
            "dead": [True, False],
        }
    )
    buf = io.BytesIO()
    df.to_parquet(buf)
    t = hio.read_table(buf.getvalue(), "c.parquet")
    assert t.format == "parquet"
    assert t.data["start"].tolist() == ["2020-01-03", "2020-02-01"]
    assert t.data["time"].tolist() == [1.5, 2.0]
    assert t.data["dead"].tolist() == [True, False]


def test_size_limit_is_checked_before_parsing():
    expected = r"'x.csv' is 0.0 MB \(\d+ bytes\), above the 1e-05 MB \(10 bytes\) limit"
    with pytest.raises(FileReadError, match=expected):
        hio.read_table(TEXT.encode(), "x.csv", max_mb=0.00001)


def test_formulas_are_neutralised_for_display_and_export():
    df = pd.DataFrame({"a": ["=cmd|' /C calc'!A0", "+1+2", "@SUM(A1)", "-1.5", "ok", None]})
    out = hio.neutralise_formulas(df)
    assert out["a"].tolist() == ["'=cmd|' /C calc'!A0", "'+1+2", "'@SUM(A1)", "-1.5", "ok", None]
    assert df["a"].iloc[0] == "=cmd|' /C calc'!A0"  # the data itself keeps the text
    assert hio.formula_cells(df) == {"a": [0, 1, 2]}


def test_messy_semicolon_file_equals_the_clean_csv():
    clean = hio.read_table(MESSY / "clean.csv").data
    messy = hio.read_table(MESSY / "semicolon_decimal_comma.csv")
    assert (messy.encoding, messy.delimiter, messy.decimal) == ("utf-8-sig", ";", ",")
    pd.testing.assert_frame_equal(messy.data, clean)


def test_numbers_are_correctly_rounded_like_r():
    """pd.to_numeric reads '13.371663244353183' one ulp off; hccdash must not."""
    t = hio.read_table(b"t,e\n13.371663244353183,1\n43.00616016427104,0\n", "x.csv")
    assert t.data["t"].tolist() == [13.371663244353183, 43.00616016427104]


_CELL = st.one_of(
    st.sampled_from(["", "NA", "1", "0", "-3", "12,5", "1e400", "=1+1", "None", "日期", "é"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.tsv", "x.xlsx", "x.parquet"]))
def test_any_bytes_read_or_raise_a_file_error(raw: bytes, name: str):
    """No input makes the reader fail with anything but a message for the user."""
    try:
        t = hio.read_table(raw, name)
    except HccdashError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert t.data.shape[1] >= 2 and len(t.data) >= 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "gb18030", "utf-16"]),
)
def test_random_tables_read_then_check_without_escaping_exceptions(rows, sep, encoding):
    from hccdash.datacheck import check
    from hccdash.mapping import ColumnMapping

    body = "\n".join(sep.join('"' + c.replace('"', '""') + '"' for c in r) for r in rows)
    raw = f"id{sep}time{sep}event\n{body}\n".encode(encoding, errors="replace")
    try:
        t = hio.read_table(raw, "r.csv")
    except HccdashError:
        return
    mapping = ColumnMapping(patient_id="id", os_time="time", os_event="event")
    report = check(t.data, mapping)
    assert report.n_rows == len(t.data)
    assert all(p.message and p.fix for p in report.problems)


def test_xlsx_used_range_limit(monkeypatch):
    from hccdash.io import xlsx

    monkeypatch.setattr(xlsx, "MAX_CELLS", 5)  # the global the XLSX reader reads
    # the reader itself: read_table runs it in a worker process, which the patch does not reach
    with pytest.raises(FileReadError, match=r"sheet 'data' spans 3 rows x 3 columns \(9 cells"):
        xlsx._read_xlsx(_workbook(), "w.xlsx", sheet="data")

"""The table model, journal formatting and the DOCX/XLSX/CSV files of a table."""

from __future__ import annotations

import doctest
import io
import math

import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

import hccdash.report.docx as report_docx
import hccdash.report.fmt as fmt
import hccdash.report.labels as labels_mod
import hccdash.report.report as report_mod
import hccdash.report.table as table_mod
from hccdash.errors import InputError
from hccdash.figures import format_p as figure_p
from hccdash.report.exports import table_csv, table_file, table_xlsx
from hccdash.report.table import Row, Table
from hccdash.ui.common import fmt_p


@pytest.mark.parametrize("module", [fmt, table_mod, report_docx, labels_mod, report_mod])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("p", "journal", "dp3", "nejm"),
    [
        (0.00099, "<0.001", "<0.001", "<0.001"),
        (0.001, "0.0010", "0.001", "0.001"),
        (0.00423, "0.0042", "0.004", "0.004"),
        (0.0456, "0.046", "0.046", "0.05"),
        (0.2245, "0.22", "0.225", "0.22"),
        (0.1, "0.10", "0.100", "0.10"),
        (0.996, "1.0", "0.996", ">0.99"),
        (1.0, "1.0", "1.000", ">0.99"),
        (None, "—", "—", "—"),
        (math.nan, "—", "—", "—"),
    ],
)
def test_p_styles(p, journal, dp3, nejm):
    assert fmt.format_p(p) == journal
    assert fmt.format_p(p, "3dp") == dp3
    assert fmt.format_p(p, "nejm") == nejm


def test_old_p_formatters_delegate():
    assert fmt_p(0.2245) == fmt.format_p(0.2245) == "0.22"
    assert figure_p(0.2245) == "p = 0.22"
    assert figure_p(0.0001) == "p < 0.001"
    with pytest.raises(ValueError, match="style"):
        fmt.format_p(0.3, "apa")


def test_estimates_never_print_none_or_nan():
    assert fmt.format_hr_ci(2.0, 1.0, float("inf")) == "2.00 (1.00–—)"
    assert fmt.format_estimate_ci(21.1, 12.2, None) == "21.1 (12.2–NR)"
    assert fmt.format_pct_ci(None, None, None) == "—"
    assert fmt.format_count_pct(2, 8) == "2 (25%)"
    assert fmt.format_number(pd.NA) == "—"


def _demo(details=None) -> Table:
    return Table(
        key="demo",
        title="Demo table",
        stub="Characteristic",
        columns=("A (N=3)", "B (N=2)", "p"),
        rows=(
            Row("header", "Child-Pugh class", ("", "", "0.22¹")),
            Row("level", "A", ("2 (67%)", "1 (50%)", "")),
            Row("level", "=HYPERLINK(1)", ("1 (33%)", "1 (50%)", "")),
            Row("single", "Age, median (IQR)", ("52 (45–60)", "49 (40–55)", "0.80²")),
        ),
        spanners=(("Arm", 2), ("", 1)),
        footnotes=("¹ Fisher's exact test", "² Mann-Whitney U test"),
        details=details if details is not None else pd.DataFrame({"p": [0.2245, 0.8]}),
    )


def test_table_rejects_unformatted_cells():
    with pytest.raises(InputError, match="not formatted"):
        Table("t", "T", "x", ("a",), (Row("single", "Age", ("nan",)),))
    with pytest.raises(InputError, match="wrong number"):
        Table("t", "T", "x", ("a", "b"), (Row("single", "Age", ("1",)),))
    with pytest.raises(InputError, match="spanners"):
        Table("t", "T", "x", ("a",), (Row("single", "Age", ("1",)),), spanners=(("S", 2),))


def test_frame_indents_levels_and_names_columns_uniquely():
    frame = _demo().to_frame()
    assert list(frame.columns) == ["Characteristic", "Arm: A (N=3)", "Arm: B (N=2)", "p"]
    assert frame.iloc[1, 0] == "    A"
    assert frame.iloc[0, 0] == "Child-Pugh class"


def test_docx_has_real_table_header_indent_and_footnotes():
    doc = Document(io.BytesIO(report_docx.table_docx(_demo(), font="Arial", size=10)))
    assert len(doc.tables) == 1
    word = doc.tables[0]
    assert len(word.rows) == 2 + 4  # spanner row + header row + 4 body rows
    assert len(word.columns) == 4
    assert word.rows[0].cells[1].text == "Arm"  # merged over two columns
    assert word.rows[0].cells[2].text == "Arm"
    assert [c.text for c in word.rows[1].cells] == ["Characteristic", "A (N=3)", "B (N=2)", "p"]
    assert word.rows[3].cells[0].paragraphs[0].paragraph_format.left_indent.pt == 12
    assert word.rows[2].cells[0].paragraphs[0].runs[0].bold
    assert word.rows[2].cells[3].text == "0.22¹"
    run = word.rows[5].cells[1].paragraphs[0].runs[0]
    assert run.font.size.pt == 10
    assert doc.styles["Normal"].font.name == "Arial"
    text = [p.text for p in doc.paragraphs]
    assert "¹ Fisher's exact test" in text
    everything = " ".join(text + [c.text for r in word.rows for c in r.cells])
    assert "None" not in everything
    assert "nan" not in everything


def test_docx_rejects_other_fonts():
    with pytest.raises(InputError, match="Font"):
        report_docx.table_docx(_demo(), font="Comic Sans MS")


def test_xlsx_is_formatted_and_formula_safe():
    wb = load_workbook(io.BytesIO(table_xlsx(_demo())))
    ws = wb["demo"]
    assert ws.cell(1, 1).value == "Demo table"
    assert ws.cell(2, 2).value == "Arm"
    assert "B2:C2" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.cell(3, 1).value == "Characteristic"
    assert ws.cell(4, 1).font.bold
    assert ws.cell(5, 1).alignment.indent == 2
    assert ws.cell(6, 1).value == "'=HYPERLINK(1)"
    assert ws.cell(6, 1).data_type == "s"
    assert ws.cell(8, 1).value == "¹ Fisher's exact test"
    raw = wb["details"]
    assert raw.cell(2, 1).value == pytest.approx(0.2245, rel=1e-12)


def test_csv_holds_raw_values():
    text = table_csv(_demo()).decode("utf-8-sig")
    assert text.splitlines()[1] == "0.2245"
    plain = Table("plain", "T", "x", ("a",), (Row("single", "=SUM(1)", ("1",)),))
    body, name, mime = table_file(plain, "csv")
    assert name == "plain.csv" and mime == "text/csv"
    assert body.decode("utf-8-sig").splitlines()[1] == "'=SUM(1),1"
    with pytest.raises(InputError, match="format"):
        table_file(_demo(), "odt")


def test_a_level_called_none_is_a_label_not_an_error():
    t = Table("t", "T", "x", ("a",), (Row("level", "None", ("3 (14%)",)),))
    assert t.rows[0].label == "None"

"""The hostile corpus (tests/hostile_corpus.py) through the CLI and the table exports.

Every bad file gives exit code 2 and one line on stderr (no traceback); the exported CSV/XLSX of
a hostile cohort open in a spreadsheet without a single live formula.
"""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from hostile_corpus import bad_files, good_cohort

from hccdash import export
from hccdash.__main__ import main
from hccdash.textsafe import FORMULA_PREFIXES

PORT = 9  # nothing listens there; the CLI never fetches anything anyway


@pytest.mark.parametrize("name", sorted(bad_files(PORT)))
def test_each_hostile_file_gives_one_clear_line_and_exit_2(name, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(bad_files(PORT)[name])
    code = main(
        ["analyze", str(path), "--time", "os_months", "--event", "os_event", "--id", "patient_id"]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hccdash: error: "), err
    assert "Traceback" not in err and "fix" in err.lower(), err


def _cells_of_xlsx(data: bytes) -> list[openpyxl.cell.cell.Cell]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_exports_of_a_hostile_cohort_hold_no_live_formula():
    frame = good_cohort(PORT)
    xlsx = export.table_bytes(frame, "xlsx", sheet="=cmd|' /C calc'!A0")
    cells = _cells_of_xlsx(xlsx)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert any("HYPERLINK" in t for t in texts)  # the text is kept, defused
    assert not [t for t in texts if t.lstrip(" ").startswith(FORMULA_PREFIXES)]
    csv = export.table_bytes(frame, "csv")
    back = pd.read_csv(io.BytesIO(csv), dtype=str, encoding="utf-8-sig")
    cells = [*back.columns, *back.to_numpy().ravel().tolist()]
    live = [c for c in cells if isinstance(c, str) and c.lstrip(" ").startswith(("=", "+", "@"))]
    assert live == []
    assert "'=HYPERLINK" in back["patient_id"].iloc[0]

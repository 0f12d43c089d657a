"""The competing-risks journal tables: cells are the formatted cmprsk numbers, the files
(DOCX, XLSX, CSV) and the report build.

Data: R's ``survival::pbc`` (tests/reference/competing/pbc.csv; status 0 censored,
1 transplant, 2 death), whose cmprsk values are checked in tests/test_competing.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.competing import EventCodes, cif_at, cuminc, pairwise_gray
from hccdash.competing.finegray import crr
from hccdash.cox import cox_fit
from hccdash.report.competing_tables import (
    cif_landmark_model,
    finegray_model,
    gray_model,
    pairwise_gray_model,
)
from hccdash.report.exports import table_file
from hccdash.report.fmt import format_hr_ci, format_p, format_pct_ci
from hccdash.report.report import ReportSection, report_docx

PBC = Path(__file__).resolve().parent / "reference" / "competing" / "pbc.csv"
CODES = EventCodes(0, 2, (1,), {1: "Transplant", 2: "Death"})


@pytest.fixture(scope="module")
def pbc() -> pd.DataFrame:
    d = pd.read_csv(PBC)
    d["edema"] = d["edema"].map({0: "none", 0.5: "untreated", 1: "despite diuretics"})
    return d


def test_landmark_cells_are_the_formatted_estimates(pbc):
    res = cuminc(pbc, "time", "status", "edema", codes=CODES)
    t = cif_landmark_model(res, cif_at, [365.0, 1825.0, 99999.0], unit="days")
    assert t.columns == ("365 days", "1825 days", "99999 days")
    frame = t.to_frame()
    assert frame.iloc[0, 0] == "Transplant" and t.rows[0].kind == "header"
    death = [r.label for r in t.rows].index("Death")
    first = t.rows[death + 1]
    want = cif_at(res.curve(first.label, 2), [365.0, 1825.0, 99999.0])
    assert first.cells[0] == format_pct_ci(want.est[0], want.lower[0], want.upper[0])
    assert np.isnan(want.est[2]) and first.cells[2] == "—"  # past follow-up
    assert t.details["est"].dropna().between(0, 1).all()


def test_gray_pairwise_and_finegray_tables(pbc):
    res = cuminc(pbc, "time", "status", "edema", codes=CODES)
    g = gray_model(res, p_style="3dp")
    assert [r.label for r in g.rows] == ["Transplant", "Death"]
    assert g.rows[1].cells == (f"{res.test(2).stat:.2f}", "2", format_p(res.test(2).p_value, "3dp"))
    pw = pairwise_gray(pbc, "time", "status", "edema", cause=2, codes=CODES, adjust="holm")
    pt = pairwise_gray_model(pw, "Death")
    assert len(pt.rows) == 3 and pt.columns[-1] == "p (Holm)"
    assert pt.rows[0].cells[2] == format_p(pw.rows[0][4])
    fit = crr(pbc, "time", "status", ["age", "edema"], codes=CODES)
    cs = pbc.assign(ev=(pbc["status"] == 2).astype(float))
    cox = cox_fit(cs, "time", "ev", ["age", "edema"])
    fg = finegray_model(fit, cox, labels={"age": "Age (years)", "edema": "Oedema"})
    labels = [r.label for r in fg.rows]
    assert labels[0] == "Age (years)" and "Oedema" in labels
    age = fit.term("age")
    assert fg.rows[0].cells[0] == format_hr_ci(age.shr, age.lower, age.upper)
    cox_age = next(t for t in cox.terms if t.term == "age")
    assert fg.rows[0].cells[2] == format_hr_ci(cox_age.hr, cox_age.lower, cox_age.upper)
    assert fg.spanners == (("Fine-Gray", 2), ("Cause-specific Cox", 2))
    assert fg.details["coef"].tolist() == pytest.approx([t.coef for t in fit.terms], rel=1e-12)
    for fmt in ("docx", "xlsx", "csv"):
        data, name, _ = table_file(fg, fmt)
        assert len(data) > 100 and name.endswith(fmt)
    section = ReportSection("competing", "Competing risks", "none", "cmprsk", (g, fg))
    docx = report_docx("r", "pbc", [section])
    from docx import Document

    text = " ".join(
        c.text for t in Document(io.BytesIO(docx)).tables for r in t.rows for c in r.cells
    )
    assert format_hr_ci(age.shr, age.lower, age.upper) in text and "Cause-specific Cox" in text

"""The one-click report: DOCX read back with python-docx, PDF through LibreOffice, the ZIP."""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from importlib.metadata import version

import pytest
from docx import Document

from hccdash.baseline import baseline_table
from hccdash.cox import cox_fit
from hccdash.figures import km_figure
from hccdash.nonparametric import kaplan_meier
from hccdash.report.fmt import format_p
from hccdash.report.labels import label_lookup
from hccdash.report.report import (
    ReportFigure,
    ReportSection,
    report_docx,
    report_pdf,
    report_zip,
    software_paragraph,
)
from hccdash.report.summary_tables import baseline_model
from hccdash.report.survival_tables import cox_merge_model
from hccdash.schema import OS, load_bundled_cohort

BAD = re.compile(r"\b(None|nan|NaN|<NA>)\b")


def tiny_png(fig=None) -> bytes:
    """A valid 2x2 grey PNG (stands in for kaleido where chromium is not needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80\x80" for _ in range(2))
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + (chunk(b"IEND", b""))
    )


@pytest.fixture(scope="module")
def sections():
    cohort = load_bundled_cohort()
    labels = label_lookup(cohort)
    bt = baseline_table(cohort.data, by="treatment")
    base = baseline_model(bt, labels, by_label="Treatment", p_style="3dp")
    covs = ["child_pugh", "age_years"]
    uni = {c: cox_fit(cohort.data, OS.time, OS.event, [c]) for c in covs}
    multi = cox_fit(cohort.data, OS.time, OS.event, covs)
    cox = cox_merge_model(uni, multi, labels, endpoint=OS, p_style="3dp")
    fig = km_figure(kaplan_meier(cohort.data, OS.time, OS.event, group="treatment"))
    return (
        (
            ReportSection("cohort", "Cohort", "Child-Pugh class A", "Baseline tests.", (base,)),
            ReportSection(
                "cox",
                "Cox model",
                "Child-Pugh class A",
                "Cox models, efron ties.",
                (cox,),
                (ReportFigure("km_os", fig, "Overall survival by arm."),),
                packages=("scikit-survival", "scikit-learn"),
            ),
        ),
        bt,
        multi,
    )


def _all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def test_report_docx_reads_back_with_tables_legends_methods(sections):
    secs, bt, multi = sections
    data = report_docx("hccdash report: demo", "Bundled", secs, render=tiny_png, notice="Not real.")
    doc = Document(io.BytesIO(data))
    text = _all_text(doc)
    assert doc.paragraphs[0].text == "hccdash report: demo"
    assert "Filters: Child-Pugh class A" in text
    assert "Cohort: Baseline tests." in text
    assert "Not real." in text
    assert "Table 1. Baseline characteristics by Treatment" in text
    assert "Table 2. Overall survival: univariable and multivariable Cox models" in text
    assert "Figure 1. Overall survival by arm." in text
    assert f"scikit-survival {version('scikit-survival')}" in text
    assert f"scikit-learn {version('scikit-learn')}" in text
    assert "lifelines" not in text  # a test dependency: it computes nothing shown
    assert len(doc.tables) == 2
    assert len(doc.inline_shapes) == 1
    base = doc.tables[0]
    assert len(base.columns) == 1 + 1 + len(bt.groups) + 1
    # the chosen p style (3 decimals) everywhere
    p = bt.test("child_pugh").p_value
    assert any(c.text.startswith(format_p(p, "3dp")) for r in base.rows for c in r.cells)
    b = multi.term("child_pugh: B vs A")
    cox_cells = [c.text for r in doc.tables[1].rows for c in r.cells]
    assert f"{b.p_value:.3f}" in cox_cells or "<0.001" in cox_cells
    assert not BAD.search(text), BAD.findall(text)


def test_software_paragraph_names_models_packages_only_when_used():
    assert "scikit-survival" not in software_paragraph()
    assert "scikit-survival" in software_paragraph(["scikit-survival"])


def test_figure_that_cannot_be_rendered_is_a_sentence(sections):
    from hccdash.export import ExportUnavailable

    def broken(fig):
        raise ExportUnavailable("no chromium")

    secs, _, _ = sections
    doc = Document(io.BytesIO(report_docx("T", "C", secs, render=broken)))
    assert "[Figure 1 could not be rendered here: no chromium]" in _all_text(doc)


def test_zip_keeps_every_file(sections):
    secs, _, _ = sections
    docx = report_docx("T", "C", secs, render=tiny_png)
    data = report_zip(docx, secs, pdf=b"%PDF-1.4", render=tiny_png)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"report.docx", "report.pdf", "figures/km_os.png"} <= names
    for ext in ("docx", "xlsx", "csv"):
        assert f"tables/baseline_characteristics.{ext}" in names
        assert f"tables/cox_table.{ext}" in names


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_report_pdf_through_libreoffice(sections, tmp_path):
    secs, bt, _ = sections
    pdf = report_pdf(report_docx("hccdash report", "Bundled", secs, render=tiny_png))
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        return
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Table 1. Baseline characteristics by Treatment" in text
    assert "Figure 1. Overall survival by arm." in text
    assert format_p(bt.test("child_pugh").p_value, "3dp") in text
    assert not BAD.search(text)

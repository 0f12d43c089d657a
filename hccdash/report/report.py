"""The one-click report: a Word document (and the same as PDF) of what the pages show.

A report is a title, the cohort and its filters in words, a methods paragraph (the tests, CI
methods and ties each section used, the software and versions), then every table and figure
of the chosen sections, numbered (Table 1, Figure 1) with their legends. The PDF is the DOCX
converted by LibreOffice (``soffice --headless --convert-to pdf``), so both show the same
thing. The ZIP holds the report and every table (DOCX, XLSX, CSV) and figure (PNG) on its own.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from docx.shared import Inches, Pt

from hccdash.errors import HccdashError
from hccdash.export import (
    ExportUnavailable,
    PresetFigure,
    figure_bytes,
    safe_filename,
    software_versions,
)
from hccdash.report.docx import add_table, new_document, table_docx
from hccdash.report.exports import table_csv, table_xlsx
from hccdash.report.table import Table

__all__ = [
    "ReportFigure",
    "ReportSection",
    "ReportUnavailable",
    "figure_legend",
    "report_docx",
    "report_pdf",
    "report_zip",
    "soffice_path",
    "software_paragraph",
]

FIGURE_SIZE = (960, 640)  # CSS px, rendered at scale 2 and placed 6 inches wide
PDF_TIMEOUT = 120
# Packages named in the methods when a section used them (scikit-survival for risk models).
_EXTRA_PACKAGES = {"scikit-survival": "scikit-survival", "scikit-learn": "scikit-learn"}


class ReportUnavailable(HccdashError):
    """The PDF cannot be made here (LibreOffice is not installed or failed)."""


@dataclass(frozen=True)
class ReportFigure:
    """A figure of the report: plotly figure, file-name stem and legend."""

    name: str
    figure: object = field(repr=False)
    legend: str


@dataclass(frozen=True)
class ReportSection:
    """What one page contributes: its heading, filters, methods, tables and figures.

    ``packages`` names extra software the section used (``"scikit-survival"``), so the
    methods list its version.
    """

    page: str
    heading: str
    filters: str
    methods: str
    tables: tuple[Table, ...] = ()
    figures: tuple[ReportFigure, ...] = ()
    packages: tuple[str, ...] = ()


KM_LEGEND = (
    "Kaplan-Meier estimates with 95% pointwise confidence bands; ticks mark censored "
    "patients; numbers at risk, cumulative events and censored below the axis."
)


def figure_legend(fig, fallback: str, detail: str = "") -> str:
    """A numbered figure's legend: its title (markup removed), then ``detail``.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> fig = go.Figure(layout={"title": {"text": "<b>Overall survival</b>"}})
    >>> figure_legend(fig, "x", "By arm.")
    'Overall survival. By arm.'
    """
    if isinstance(fig, PresetFigure):  # the pages hand over figures built for a size preset
        fig = fig.figure
    title = getattr(getattr(getattr(fig, "layout", None), "title", None), "text", None)
    title = re.sub(r"<[^>]+>", " ", str(title or fallback)).strip()
    title = re.sub(r"\s+", " ", title).rstrip(".")
    return f"{title}. {detail}".strip()


def software_paragraph(packages: Sequence[str] = ()) -> str:
    """Software and versions from the one shared list (:mod:`hccdash.versions`); the
    risk-model packages are named only when a section used them (``packages``).

    Examples
    --------
    >>> "scikit-survival" in software_paragraph(["scikit-survival"])
    True
    >>> "scikit-survival" in software_paragraph()
    False
    """
    from hccdash.versions import MODEL_PACKAGES

    used = {_EXTRA_PACKAGES.get(name, name) for name in packages} | set(packages)
    return software_versions(models=bool(used & MODEL_PACKAGES))


def _png(fig) -> bytes:
    w, h = FIGURE_SIZE
    return figure_bytes(fig, "png", w, h, 2)


def report_docx(
    title: str,
    cohort: str,
    sections: Sequence[ReportSection],
    *,
    font: str = "Times New Roman",
    size: float = 10,
    render: Callable[[object], bytes] = _png,
    notice: str | None = None,
) -> bytes:
    """The report as a Word document.

    Parameters
    ----------
    title : str
    cohort : str
        The cohort's name (and where it came from).
    sections : sequence of ReportSection
        In report order.
    font, size
        Times New Roman or Arial, 6-16 pt.
    render : callable
        Figure -> PNG bytes (default: kaleido through :func:`hccdash.export.figure_bytes`).
        A figure that cannot be rendered (no chromium) is replaced by a sentence saying so.
    notice : str, optional
        A sentence printed under the title (the reconstructed-cohort notice).
    """
    doc = new_document(font, size)
    doc.add_heading(title, level=1)
    meta = doc.add_paragraph()
    meta.add_run(f"Cohort: {cohort}. Report made on {date.today().isoformat()} with hccdash.")
    if notice:
        doc.add_paragraph(notice)
    filters = list(dict.fromkeys(s.filters for s in sections if s.filters))
    doc.add_heading("Patients", level=2)
    if len(filters) <= 1:
        text = "Filters: " + (filters[0] if filters else "none (all patients).")
    else:  # sections shown at different times with different filters
        text = "Filters per section: " + "; ".join(
            f"{s.heading}: {s.filters}" for s in sections if s.filters
        )
    doc.add_paragraph(text)
    doc.add_heading("Methods", level=2)
    for s in sections:
        if s.methods:
            doc.add_paragraph(f"{s.heading}: {s.methods}")
    packages = [p for s in sections for p in s.packages]
    doc.add_paragraph(software_paragraph(packages))
    n_table = n_fig = 0
    for s in sections:
        doc.add_heading(s.heading, level=2)
        for t in s.tables:
            n_table += 1
            add_table(doc, t, number=n_table, size=size)
        for f in s.figures:
            n_fig += 1
            try:
                png = render(f.figure)
            except (ExportUnavailable, HccdashError) as exc:
                doc.add_paragraph(f"[Figure {n_fig} could not be rendered here: {exc}]")
            else:
                doc.add_picture(io.BytesIO(png), width=Inches(6))
            legend = doc.add_paragraph()
            run = legend.add_run(f"Figure {n_fig}. ")
            run.bold = True
            legend.add_run(f.legend).font.size = Pt(size)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def soffice_path() -> str | None:
    """LibreOffice's ``soffice`` on this machine, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def report_pdf(docx: bytes, timeout: float = PDF_TIMEOUT) -> bytes:
    """Convert a DOCX to PDF with LibreOffice (``soffice --headless --convert-to pdf``).

    Runs in a private temporary directory with its own LibreOffice profile, so several
    sessions can convert at once; nothing is left behind.

    Raises
    ------
    ReportUnavailable
        LibreOffice is not installed, timed out or produced no PDF.
    """
    exe = soffice_path()
    if exe is None:
        raise ReportUnavailable(
            "PDF export needs LibreOffice, which is not installed on this server "
            "(apt-get install libreoffice-writer-nogui). The Word report works without it."
        )
    with tempfile.TemporaryDirectory(prefix="hccdash-report-") as tmp:
        src = os.path.join(tmp, "report.docx")
        with open(src, "wb") as fh:
            fh.write(docx)
        profile = "file://" + os.path.join(tmp, "profile")
        cmd = [
            exe,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            tmp,
            src,
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportUnavailable(f"LibreOffice could not convert the report ({exc}).") from exc
        out = os.path.join(tmp, "report.pdf")
        if not os.path.exists(out):
            raise ReportUnavailable(
                "LibreOffice produced no PDF; download the Word report instead."
            )
        with open(out, "rb") as fh:
            return fh.read()


def report_zip(
    docx: bytes,
    sections: Sequence[ReportSection],
    *,
    pdf: bytes | None = None,
    render: Callable[[object], bytes] = _png,
) -> bytes:
    """A ZIP: the report (DOCX, PDF when given) and every table and figure as its own file."""
    buf = io.BytesIO()
    used: set[str] = set()

    def unique(name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        out, i = name, 2
        while out in used:
            out = f"{stem}_{i}{dot}{ext}"
            i += 1
        used.add(out)
        return out

    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(unique("report.docx"), docx)
        if pdf is not None:
            zf.writestr(unique("report.pdf"), pdf)
        for s in sections:
            for t in s.tables:
                stem = safe_filename(t.key, "table")
                zf.writestr(unique(f"tables/{stem}.docx"), table_docx(t))
                zf.writestr(unique(f"tables/{stem}.xlsx"), table_xlsx(t))
                zf.writestr(unique(f"tables/{stem}.csv"), table_csv(t))
            for f in s.figures:
                try:
                    png = render(f.figure)
                except (ExportUnavailable, HccdashError):
                    continue
                zf.writestr(unique(f"figures/{safe_filename(f.name, 'figure')}.png"), png)
    return buf.getvalue()

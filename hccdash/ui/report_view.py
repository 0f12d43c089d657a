"""The report box at the foot of a page: p-value style, font, sections, DOCX / PDF / ZIP.

Each page hands over what it shows as a :class:`hccdash.report.report.ReportSection`; the
section is kept in the session (the last view of each page), so a report can hold the pages
visited in this session, each as it was last shown. Files are built on click.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from hccdash.report.docx import FONTS
from hccdash.report.exports import MIME_DOCX
from hccdash.report.report import (
    ReportSection,
    figure_legend,
    report_docx,
    report_pdf,
    report_zip,
    soffice_path,
)
from hccdash.schema import Cohort
from hccdash.ui.table_view import p_style_picker

SECTIONS_KEY = "hccdash_report_sections"
PAGE_ORDER = ("cohort", "univariate", "km", "cox", "response", "models", "competing")


def _build(title, cohort_name, sections, font, notice, fmt) -> bytes:
    docx = report_docx(title, cohort_name, sections, font=font, notice=notice)
    if fmt == "docx":
        return docx
    if fmt == "pdf":
        return report_pdf(docx)
    pdf = report_pdf(docx) if soffice_path() else None
    return report_zip(docx, sections, pdf=pdf)


def _build_now(title, cohort_name, store, pages, font, notice, fmt) -> bytes:
    """The report of the sections as they are at the click (a figure fragment may have
    redrawn a figure since the page's last full run: :func:`update_report_figure`)."""
    return _build(title, cohort_name, [store[p] for p in pages if p in store], font, notice, fmt)


def update_report_figure(page: str, name: str, figure: object) -> None:
    """Put a redrawn figure into this session's stored section of ``page`` (same legend text
    after the figure's title). Called by a figure's fragment, which reruns without the page."""
    store = st.session_state.setdefault(SECTIONS_KEY, {})
    section = store.get(page)
    if section is None:
        return
    figures = []
    for rf in section.figures:
        if rf.name == name and rf.figure is not figure:
            detail = rf.legend[len(figure_legend(rf.figure, name)) :].strip()
            rf = replace(rf, figure=figure, legend=figure_legend(figure, name, detail))
        figures.append(rf)
    store[page] = replace(section, figures=tuple(figures))


def update_report_table(page: str, table: object) -> None:
    """Put a fragment's table (e.g. the risk models' bootstrap) into the stored section of
    ``page``: it replaces the table with the same ``key``, or is appended."""
    store = st.session_state.setdefault(SECTIONS_KEY, {})
    section = store.get(page)
    if section is None:
        return
    key = getattr(table, "key", None)
    kept = [t for t in section.tables if getattr(t, "key", None) != key]
    store[page] = replace(section, tables=(*kept, table))


def report_box(section: ReportSection, cohort: Cohort, key: str) -> None:
    """Remember this page's section and draw the report widgets.

    Parameters
    ----------
    section : ReportSection
        What this page shows now (its tables, figures, methods and filters).
    cohort : Cohort
    key : str
        Widget key prefix.
    """
    store = st.session_state.setdefault(SECTIONS_KEY, {})
    store[section.page] = section
    order = sorted(store, key=lambda p: PAGE_ORDER.index(p) if p in PAGE_ORDER else 99)
    st.divider()
    with st.expander("Report (Word, PDF) and table style", icon=":material/description:"):
        c1, c2 = st.columns(2)
        with c1:
            p_style_picker(key)
        font = c2.selectbox("Report font (10 pt)", FONTS, key=f"{key}_font")
        pages = st.multiselect(
            "Sections (pages visited in this session, each as last shown)",
            order,
            default=[section.page],
            format_func=lambda p: store[p].heading,
            key=f"{key}_pages",
        )
        chosen = [store[p] for p in order if p in pages]
        title = f"hccdash report: {cohort.name}"
        notice = cohort.notice or None  # the codebook's notice (the bundled cohort: reconstructed)
        build = partial(_build_now, title, cohort.name, store, [s.page for s in chosen], font,
                        notice)  # fmt: skip
        n_tables = sum(len(s.tables) for s in chosen)
        n_figs = sum(len(s.figures) for s in chosen)
        st.caption(
            f"{len(chosen)} section(s): {n_tables} table(s) and {n_figs} figure(s), numbered, "
            "with the filters in words and a methods paragraph."
        )
        if not chosen:
            return
        b1, b2, b3 = st.columns(3)
        b1.download_button(
            "Report (DOCX)",
            data=partial(build, "docx"),
            file_name="hccdash_report.docx",
            mime=MIME_DOCX,
            key=f"{key}_report_docx",
            on_click="ignore",
            icon=":material/description:",
            type="primary",
        )
        if soffice_path():
            b2.download_button(
                "Report (PDF)",
                data=partial(build, "pdf"),
                file_name="hccdash_report.pdf",
                mime="application/pdf",
                key=f"{key}_report_pdf",
                on_click="ignore",
                icon=":material/picture_as_pdf:",
            )
        else:
            b2.caption("PDF needs LibreOffice on the server; the Word report has the same.")
        b3.download_button(
            "Report and every file (ZIP)",
            data=partial(build, "zip"),
            file_name="hccdash_report.zip",
            mime="application/zip",
            key=f"{key}_report_zip",
            on_click="ignore",
            icon=":material/folder_zip:",
        )

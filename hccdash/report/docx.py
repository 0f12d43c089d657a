"""Tables as real Word tables (python-docx), in the layout journals ask for.

A :class:`hccdash.report.table.Table` becomes a Word table with its header row(s) (spanners
merged across their columns, repeated on every page), level rows indented under their variable,
three horizontal rules (above and below the header, below the body) and no vertical lines, in
Times New Roman (or Arial) at 10 pt; its footnotes follow as paragraphs. It pastes into a
manuscript as a table, not as an image or tab-separated text.

python-docx is used because it writes the Office Open XML that Word and LibreOffice read,
without a running office program.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt

from hccdash.errors import InputError
from hccdash.report.table import Table

__all__ = ["FONTS", "add_table", "new_document", "table_docx"]

FONTS = ("Times New Roman", "Arial")
INDENT_PT = 12
EMU_PER_PT = 12700  # Word's unit: English Metric Units


def _check_font(font: str, size: float) -> None:
    if font not in FONTS:
        raise InputError(f"Font {font!r} is not offered: use one of {FONTS}.")
    if not 6 <= float(size) <= 16:
        raise InputError(f"Font size {size!r} pt is out of range: use 6 to 16 pt.")


def new_document(font: str = "Times New Roman", size: float = 10):
    """An empty Word document whose normal text is ``font`` at ``size`` pt."""
    _check_font(font, size)
    doc = Document()
    for section in doc.sections:  # manuscript margins: one inch
        section.left_margin = section.right_margin = Inches(1)
        section.top_margin = section.bottom_margin = Inches(1)
    for name in ("Normal", "Caption"):
        try:
            style = doc.styles[name]
        except KeyError:
            continue
        style.font.name = font
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), font)
    return doc


def _border(tc, **edges: str) -> None:
    """Set the given edges (top/bottom) of a ``w:tc`` element to a single line; others none."""
    tc_pr = tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        if edge in edges:
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), edges[edge])
            el.set(qn("w:color"), "000000")
        else:
            el.set(qn("w:val"), "nil")
        borders.append(el)


def _repeat_header(tr) -> None:
    tr_pr = tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


CHAR_PT = 0.56  # mean width of a digit or letter, in em (Times New Roman / Arial)
CELL_PAD_PT = 12.0  # left + right cell margins


def needed_widths(table: Table, size: float = 10) -> list[float]:
    """Points each column needs: numbers on one line, headers wrapped at their words, the
    label column up to 30 characters (longer labels wrap)."""
    char = CHAR_PT * size
    bold = 1.1 * char
    widths = [bold * max(len(w) for w in (table.stub or " ").split()) + CELL_PAD_PT]
    widths += [bold * max(len(w) for w in (c or " ").split()) + CELL_PAD_PT for c in table.columns]
    for r in table.rows:
        label = min(30, len(r.label)) * (bold if r.kind == "header" else char)
        label += INDENT_PT if r.kind == "level" else 0.0
        widths[0] = max(widths[0], label + CELL_PAD_PT)
        for k, text in enumerate(r.cells, start=1):
            widths[k] = max(widths[k], char * len(text) + CELL_PAD_PT)
    return widths


def _fit(needed: list[float], usable: float) -> list[float]:
    """Widths within ``usable``: the numeric columns keep what they need, the label column
    takes the rest (at least 60 pt); if still too wide, everything shrinks in proportion."""
    rest = usable - sum(needed[1:])
    if rest >= needed[0]:
        extra = usable - sum(needed)
        return [needed[0] + extra, *needed[1:]] if extra > 0 else needed
    if rest >= 60:
        return [rest, *needed[1:]]
    scale = usable / sum(needed)
    return [w * scale for w in needed]


def is_wide(table: Table, size: float, section) -> bool:
    """True when the numeric columns (and a label column of 110 pt, which may wrap) do not
    fit the text width of a portrait page."""
    needed = needed_widths(table, size)
    portrait = min(section.page_width, section.page_height)
    usable = (portrait - section.left_margin - section.right_margin) / EMU_PER_PT
    return sum(needed[1:]) + min(needed[0], 110.0) > usable


def _orient(doc, landscape: bool, *, new_page: bool = True) -> None:
    """Landscape or portrait from here on: a new section (page), or the current one when
    ``new_page`` is False (an empty document)."""
    section = doc.sections[-1]
    if (section.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    new = doc.add_section(WD_SECTION.NEW_PAGE) if new_page else section
    width, height = new.page_width, new.page_height
    new.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    new.page_width, new.page_height = height, width


def _write(cell, text: str, size: float, *, bold=False, indent=False, align=None) -> None:
    para = cell.paragraphs[0]  # a new cell holds one empty paragraph
    para.paragraph_format.space_before = Pt(0)
    para.paragraph_format.space_after = Pt(0)
    if indent:
        para.paragraph_format.left_indent = Pt(INDENT_PT)
    if align is not None:
        para.alignment = align
    run = para.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def add_table(doc, table: Table, *, number: int | None = None, size: float = 10):
    """Append ``table`` to ``doc``: its title (``Table n.``), the Word table and footnotes.

    A table too wide for a portrait page starts a landscape page.

    Returns
    -------
    docx.table.Table
        The Word table added.
    """
    # A table wider than a portrait page goes on a landscape page (as journals set them);
    # the pages after it stay landscape (no blank page between two wide tables).
    needed = needed_widths(table, size)
    if is_wide(table, size, doc.sections[-1]):
        _orient(doc, landscape=True)
    title = f"Table {number}. {table.title}" if number is not None else table.title
    cap = doc.add_paragraph()
    cap.paragraph_format.keep_with_next = True
    run = cap.add_run(title)
    run.bold = True
    run.font.size = Pt(size)

    header = table.header
    n_cols = 1 + len(table.columns)
    word = doc.add_table(rows=len(header) + len(table.rows), cols=n_cols)
    word.alignment = WD_TABLE_ALIGNMENT.CENTER
    word.autofit = True
    centre = WD_ALIGN_PARAGRAPH.CENTER
    for i, cells in enumerate(header):
        row = word.rows[i]
        j = 0
        for text, span in cells:
            cell = row.cells[j]
            if span > 1:
                cell = cell.merge(row.cells[j + span - 1])
            _write(cell, text, size, bold=True, align=None if j == 0 else centre)
            j += span
    for i, r in enumerate(table.rows, start=len(header)):
        row = word.rows[i]
        _write(row.cells[0], r.label, size, bold=r.kind == "header", indent=r.kind == "level")
        for j, text in enumerate(r.cells, start=1):
            _write(row.cells[j], text, size, align=centre)
    # Three rules (above the header, below the header, below the body) and a header that
    # repeats on every page: set on the table's XML (the document's public element tree),
    # which python-docx has no higher-level call for.
    tbl = doc.element.body.xpath("./w:tbl")[-1]
    trs = tbl.xpath("./w:tr")
    last_header, last = len(header) - 1, len(trs) - 1
    for i, tr in enumerate(trs):
        if i <= last_header:
            _repeat_header(tr)
        edges: dict[str, str] = {}
        if i == 0:
            edges["top"] = "8"
        if i == last_header:
            edges["bottom"] = "4"
        if i == last:
            edges["bottom"] = "8"
        for tc in tr.xpath("./w:tc"):
            _border(tc, **edges)
    # Column widths follow their content (a header wraps at its words), scaled to the text
    # width: set on the grid and on every cell, as Word and LibreOffice each read one of them.
    section = doc.sections[-1]
    usable = (section.page_width - section.left_margin - section.right_margin) / EMU_PER_PT
    widths = [Pt(w) for w in _fit(needed, usable)]
    word.autofit = False
    for j, col in enumerate(word.columns):
        col.width = widths[j]
    for row in word.rows:
        for j, cell in enumerate(row.cells):
            cell.width = widths[j]
    for note in table.footnotes:
        para = doc.add_paragraph()
        para.paragraph_format.space_after = Pt(0)
        note_run = para.add_run(note)
        note_run.font.size = Pt(size - 1)
    doc.add_paragraph()
    return word


def table_docx(table: Table, *, font: str = "Times New Roman", size: float = 10) -> bytes:
    """One table as a Word document (``.docx`` bytes).

    Examples
    --------
    >>> from hccdash.report.table import Row, Table
    >>> t = Table("t", "Demo", "Characteristic", ("Overall",), (Row("single", "Age", ("52",)),))
    >>> table_docx(t)[:2]
    b'PK'
    """
    doc = new_document(font, size)
    if is_wide(table, size, doc.sections[-1]):
        _orient(doc, landscape=True, new_page=False)
    add_table(doc, table, size=size)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

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
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from hccdash.errors import InputError
from hccdash.report.table import Table

__all__ = ["FONTS", "add_table", "new_document", "table_docx"]

FONTS = ("Times New Roman", "Arial")
INDENT_PT = 12


def _check_font(font: str, size: float) -> None:
    if font not in FONTS:
        raise InputError(f"Font {font!r} is not offered: use one of {FONTS}.")
    if not 6 <= float(size) <= 16:
        raise InputError(f"Font size {size!r} pt is out of range: use 6 to 16 pt.")


def new_document(font: str = "Times New Roman", size: float = 10):
    """An empty Word document whose normal text is ``font`` at ``size`` pt."""
    _check_font(font, size)
    doc = Document()
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


def _content_widths(table: Table) -> list[float]:
    """Relative column widths: the longest cell (or header word) of each column."""
    pad = 4.0  # cell margins, in characters
    widths = [1.2 * max(len(w) for w in (table.stub or " ").split()) + pad]
    widths += [1.2 * max(len(w) for w in (c or " ").split()) + pad for c in table.columns]
    for r in table.rows:
        label = min(30.0, len(r.label) + (3 if r.kind == "level" else 0))
        widths[0] = max(widths[0], label + pad)
        for j, text in enumerate(r.cells, start=1):
            widths[j] = max(widths[j], len(text) + pad)
    return [max(5.0, w) for w in widths]


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

    Returns
    -------
    docx.table.Table
        The Word table added.
    """
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
    usable = section.page_width - section.left_margin - section.right_margin
    weights = _content_widths(table)
    total = sum(weights)
    widths = [int(usable * w / total) for w in weights]
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
    add_table(doc, table, size=size)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

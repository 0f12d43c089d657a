"""Show a table model on a page: readable at 1280 px, with details and DOCX/XLSX/CSV downloads.

Tables are drawn with ``st.table`` (a static table whose cells wrap, so no column is clipped
at 1280 px, unlike the scrolling grid of ``st.dataframe``), styled through a pandas Styler:
header rows bold, levels indented. Streamlit renders every cell as text, never as HTML, so
labels and levels from the user's file are shown literally. great-tables was considered: it
renders HTML, which would have to go through ``st.html`` and our own escaping; the static
table gives the same layout without building HTML.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from hccdash.io import neutralise_formulas
from hccdash.report.exports import table_file
from hccdash.report.fmt import P_STYLES
from hccdash.report.table import Table
from hccdash.ui.common import esc_label, esc_md

P_STYLE_KEY = "hccdash_p_style"
NBSP_INDENT = "\u00a0" * 5


def p_style() -> str:
    """The p-value style chosen in this session (default ``"journal"``)."""
    style = st.session_state.get(P_STYLE_KEY, "journal")
    return style if style in P_STYLES else "journal"


def p_style_picker(key: str) -> str:
    """A select box for the p-value style, shared by every page of the session."""
    widget = f"{key}_p_style"
    if widget not in st.session_state:
        st.session_state[widget] = p_style()

    def _store() -> None:
        st.session_state[P_STYLE_KEY] = st.session_state[widget]

    st.selectbox(
        "P-value style",
        list(P_STYLES),
        format_func=lambda s: f"{s}: {P_STYLES[s]}",
        key=widget,
        on_change=_store,
    )
    return p_style()


def display_frame(table: Table) -> pd.DataFrame:
    """The table as shown: the label column first, levels indented with non-breaking spaces."""
    return table.to_frame(indent=NBSP_INDENT)


def _styler(table: Table, frame: pd.DataFrame):
    bold = [r.kind == "header" for r in table.rows]

    def row_style(row: pd.Series) -> list[str]:
        # a variable's header row: its label in bold (as in the Word table)
        weight = "font-weight: bold" if bold[row.name] else ""
        return [weight] + [""] * (len(row) - 1)

    return frame.style.apply(row_style, axis=1).hide(axis="index")


def render_table_model(
    table: Table,
    key: str,
    *,
    title: bool = True,
    details: bool = True,
    downloads: bool = True,
) -> None:
    """Draw ``table``: title, the table, its footnotes, a details expander, downloads.

    Parameters
    ----------
    table : Table
    key : str
        Unique widget key prefix on the page.
    title : bool
        Show the table's title above it.
    details : bool
        A "Details" expander with the raw numbers (coef, se, z, exact p).
    downloads : bool
        DOCX, XLSX and CSV download buttons (each file built on click).
    """
    if title:
        st.markdown(f"**{esc_md(table.title)}**")
    frame = display_frame(table)
    # st.table renders markdown in its cells and headers: a level such as ![x](http://host)
    # would make the browser fetch; esc_label breaks links, images and autolinks only, so the
    # numbers read as formatted ("0.043", "1.20 (0.80–1.81)").
    frame = frame.rename(columns=lambda c: esc_label(c)).map(
        lambda v: esc_label(v) if isinstance(v, str) else v
    )
    st.table(_styler(table, frame))
    if table.footnotes:
        st.caption("  \n".join(esc_md(n) for n in table.footnotes))
    if details and not table.details.empty:
        with st.expander("Details: raw numbers"):
            st.dataframe(neutralise_formulas(table.details), hide_index=True, key=f"{key}_details")
    if downloads:
        table_download_buttons(table, key)


def _file(table: Table, fmt: str) -> bytes:
    return table_file(table, fmt)[0]


def table_download_buttons(table: Table, key: str) -> None:
    """DOCX (Word table), XLSX (formatted) and CSV (raw numbers) buttons, built on click."""
    cols = st.columns(3)
    labels = {"docx": "DOCX", "xlsx": "XLSX", "csv": "CSV"}
    helps = {
        "docx": "A Word table (header row, indented levels, footnotes, Times 10 pt).",
        "xlsx": "A formatted Excel sheet, with the raw numbers on a second sheet.",
        "csv": "The raw, unformatted numbers (coef, se, z, exact p).",
    }
    for col, fmt in zip(cols, ("docx", "xlsx", "csv"), strict=True):
        _, name, mime = _name_mime(table, fmt)
        col.download_button(
            labels[fmt],
            data=partial(_file, table, fmt),
            file_name=name,
            mime=mime,
            key=f"{key}_{fmt}",
            on_click="ignore",
            icon=":material/download:",
            help=helps[fmt],
        )


def _name_mime(table: Table, fmt: str) -> tuple[None, str, str]:
    from hccdash.export import MIME, safe_filename
    from hccdash.report.exports import MIME_DOCX

    stem = safe_filename(table.key, "table")
    mime = MIME_DOCX if fmt == "docx" else MIME[fmt]
    return None, f"{stem}.{fmt}", mime

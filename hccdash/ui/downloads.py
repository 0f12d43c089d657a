"""Download widgets for figures, tables and the page's "Download all" ZIP.

Figures are rendered lazily (a callable ``data``) so nothing is exported until the user clicks.
Each figure with its export panel, and the "Download all" button, is an ``st.fragment``: a size
change or a download reruns only that panel. A figure download's click reruns its fragment,
which waits for the export the browser requested and, when chromium is missing, would not
start or died, says so in one line (the figure toolbar's camera still exports in the
browser); the next export after chromium is back works without restarting the app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from hccdash.export import (
    MAX_SIDE,
    MIME,
    MIN_SIDE,
    PRESETS,
    RENDER_TIMEOUT,
    bundle_zip,
    chromium_available,
    export_problem,
    figure_bytes,
    modebar_config,
    safe_filename,
    table_bytes,
)
from hccdash.style import DEFAULT_PRESET
from hccdash.ui.common import esc_md
from hccdash.ui.fragments import session_fragment

CUSTOM = "Custom"
NO_CHROMIUM_NOTE = (
    "Server-side PNG/SVG/PDF export is not available: chromium is not installed on this "
    "server. Use the camera button in the figure's toolbar; it downloads a PNG at the size "
    "chosen here."
)


class _Export:
    """One export requested by a download click: set when it starts and when it ends."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.done = threading.Event()


def _deferred(job: _Export, fn: Callable[[], bytes]) -> bytes:
    """The download's data callable (runs in Streamlit's worker thread on click)."""
    job.started.set()
    try:
        return fn()
    finally:
        job.done.set()


def _await_export(job: _Export) -> None:
    """The click's callback, at the start of the fragment rerun: wait for the export to end.

    The browser asks for the file and for the rerun at the same moment; waiting here lets the
    rerun show the export's failure (``export_problem``) instead of racing past it.
    """
    if job.started.wait(5):
        job.done.wait(2 * RENDER_TIMEOUT + 10)


def _lazy(fn: Callable[[], bytes]) -> tuple[Callable[[], bytes], Callable[[], None]]:
    """A download's data callable and its click callback, sharing one :class:`_Export`."""
    job = _Export()
    return partial(_deferred, job, fn), partial(_await_export, job)


def export_problem_line() -> None:
    """One line when server-side image export does not work now (and what to use instead)."""
    problem = export_problem()
    if problem and chromium_available():
        st.warning(
            esc_md(
                f"PNG/SVG/PDF export is not working on the server right now: {problem} The "
                "figure toolbar's camera button still downloads a PNG; the next export tries "
                "chromium again."
            ),
            icon=":material/broken_image:",
        )


def figure_size(key: str) -> tuple[int, int, int]:
    """The export size (width, height, scale) chosen in the widgets of ``key``.

    Read from session state so the chart (drawn above its download widgets) already uses the
    chosen size for its toolbar camera.
    """
    preset = st.session_state.get(f"{key}_preset", DEFAULT_PRESET)
    if preset in PRESETS:
        w, h = PRESETS[preset]
    else:
        w = int(st.session_state.get(f"{key}_width", PRESETS[DEFAULT_PRESET][0]))
        h = int(st.session_state.get(f"{key}_height", PRESETS[DEFAULT_PRESET][1]))
    scale = int(st.session_state.get(f"{key}_scale", 1))
    return w, h, scale


@session_fragment(slot="key")
def show_figure(fig: go.Figure, name: str, key: str) -> None:
    """Draw a figure with its toolbar camera set to the export size, then its downloads."""
    w, h, scale = figure_size(key)
    st.plotly_chart(
        fig,
        width="stretch",
        theme=None,  # our template, so the screen matches the exported file
        config=modebar_config(name, w, h, scale),
        key=f"{key}_chart",
    )
    figure_downloads(fig, name, key)


def figure_downloads(fig: go.Figure, name: str, key: str) -> None:
    """Size preset or custom width/height, scale 1-4, and PNG/SVG/PDF download buttons.

    Parameters
    ----------
    fig : plotly Figure
    name : str
        File name stem (sanitised).
    key : str
        Unique widget key prefix on the page.
    """
    options = [*PRESETS, CUSTOM]
    c1, c2, c3 = st.columns([2, 2, 1])
    preset = c1.selectbox("Export size", options, key=f"{key}_preset")
    if preset == CUSTOM:
        default_w, default_h = PRESETS[DEFAULT_PRESET]
        c2a, c2b = c2.columns(2)
        c2a.number_input("Width (px)", MIN_SIDE, MAX_SIDE, default_w, step=10, key=f"{key}_width")
        c2b.number_input("Height (px)", MIN_SIDE, MAX_SIDE, default_h, step=10, key=f"{key}_height")
    c3.select_slider("Scale", options=[1, 2, 3, 4], key=f"{key}_scale")
    w, h, scale = figure_size(key)
    stem = f"{safe_filename(name)}_{w}x{h}" + (f"@{scale}x" if scale != 1 else "")
    if not chromium_available():
        st.info(NO_CHROMIUM_NOTE)
        return
    export_problem_line()
    cols = st.columns(3)
    for col, fmt in zip(cols, ("png", "svg", "pdf"), strict=True):
        data, wait = _lazy(partial(figure_bytes, fig, fmt, w, h, scale))
        col.download_button(
            f"Download {fmt.upper()}",
            data=data,
            file_name=f"{stem}.{fmt}",
            mime=MIME[fmt],
            key=f"{key}_{fmt}",
            on_click=wait,
            icon=":material/download:",
        )


def table_downloads(df: pd.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX download buttons for a table (the same numbers as on screen).

    The files are built on click (callables), not on every rerun: an XLSX through openpyxl is
    the slowest part of a table's rendering.
    """
    stem = safe_filename(name, "table")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download CSV",
        data=partial(table_bytes, df, "csv"),
        file_name=f"{stem}.csv",
        mime=MIME["csv"],
        key=f"{key}_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    c2.download_button(
        "Download XLSX",
        data=partial(table_bytes, df, "xlsx", sheet=stem),
        file_name=f"{stem}.xlsx",
        mime=MIME["xlsx"],
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )


def _bundle_now(figures: Mapping, tables: Mapping, methods: str) -> bytes:
    return bundle_zip(dict(figures), dict(tables), methods)


@session_fragment(slot="key")
def download_all(
    figures: Mapping[str, go.Figure],
    tables: Mapping[str, pd.DataFrame],
    methods: str,
    key: str,
    *,
    name: str = "hccdash_export",
) -> None:
    """One button: a ZIP of every figure (PNG+SVG), every table (CSV+XLSX) and methods.txt."""
    if not chromium_available() and figures:
        st.caption(
            "Without chromium on the server the ZIP holds the figures as plotly JSON; "
            "use each figure's camera button for PNG."
        )
    elif figures:
        export_problem_line()
    # read at the click: a figure's fragment may have redrawn it since the page's full run
    data, wait = _lazy(partial(_bundle_now, figures, tables, methods))
    st.download_button(
        "Download all (ZIP)",
        data=data,
        file_name=f"{safe_filename(name)}.zip",
        mime=MIME["zip"],
        key=f"{key}_zip",
        on_click=wait,
        icon=":material/folder_zip:",
        type="primary",
    )

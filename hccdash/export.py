"""Figures and tables as files: PNG/SVG/PDF through kaleido, CSV/XLSX, and a ZIP of everything.

Static images are rendered by kaleido 1.x driving Debian's chromium (``BROWSER_PATH``, default
``/usr/bin/chromium``); we never download a browser. One kaleido browser is started on first use
and kept warm on a background event loop, so repeated exports skip chromium's start-up
(~2-3 s) and cost only the render (~0.1-0.3 s). MathJax is disabled and plotly.js is read from
the plotly package, so rendering needs nothing from the network; chromium is started through
:func:`offline_launcher`, which also switches off its own background requests (Debian's
launcher leaves them on) and resolves no host name at all.
"""

from __future__ import annotations

import asyncio
import atexit
import csv
import gc
import io
import logging
import os
import re
import shlex
import shutil
import stat
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from concurrent.futures import CancelledError as FutureCancelled
from concurrent.futures import TimeoutError as FutureTimeout
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hccdash.errors import HccdashError, InputError
from hccdash.style import DEFAULT_PRESET, PRESETS
from hccdash.textsafe import defuse_cell

__all__ = [
    "PRESETS",
    "ExportUnavailable",
    "PresetFigure",
    "bundle_zip",
    "chromium_available",
    "chromium_path",
    "export_problem",
    "figure_bytes",
    "modebar_config",
    "offline_launcher",
    "safe_filename",
    "table_bytes",
]

FIGURE_FORMATS = ("png", "svg", "pdf")
# Formats of a figure exported at a size preset (journals ask for TIFF).
PRESET_FORMATS = ("png", "svg", "pdf", "tiff")
TABLE_FORMATS = ("csv", "xlsx")
MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "json": "application/json",
}
MIN_SIDE, MAX_SIDE = 100, 8000
MAX_SCALE = 4
# Journal presets print at 600 dpi: 6.25 PNG pixels per CSS pixel.
MAX_PRESET_SCALE = 8
RENDER_TIMEOUT = 90.0
START_TIMEOUT = 60.0
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# kaleido reads BROWSER_PATH when it starts chromium; set it before kaleido is imported.
os.environ.setdefault("BROWSER_PATH", shutil.which("chromium") or "/usr/bin/chromium")

# Chromium's own traffic, off: background networking (variations, component and safe-browsing
# updates, which Debian's /usr/bin/chromium leaves on because it passes
# --enable-remote-extensions), pings, domain reliability reports, and every DNS lookup. The
# kaleido page is a local file that reads plotly.js from disk, so it needs no host name; with
# ``MAP * ~NOTFOUND`` a stray lookup fails inside chromium instead of reaching the network.
OFFLINE_CHROMIUM_FLAGS = (
    "--disable-background-networking",
    "--disable-client-side-phishing-detection",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-features=OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
)
_LAUNCHER_LOCK = threading.Lock()
_LAUNCHERS: dict[str, str] = {}


class PresetFigure(NamedTuple):
    """A figure built for a size preset: exported at that preset's size, dpi and formats."""

    figure: go.Figure
    preset: str

    def to_json(self) -> str:
        return self.figure.to_json()


class ExportUnavailable(HccdashError):
    """Server-side image export cannot run (no chromium on this machine, or it failed)."""


def chromium_path() -> str:
    """The chromium kaleido will use (``BROWSER_PATH``)."""
    return os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def chromium_available() -> bool:
    """True when an executable chromium is at ``BROWSER_PATH`` (server-side export possible)."""
    path = chromium_path()
    return os.path.isfile(path) and os.access(path, os.X_OK)


def offline_launcher(browser: str | None = None) -> str:
    """An executable that starts ``browser`` with :data:`OFFLINE_CHROMIUM_FLAGS` added.

    kaleido (through choreographer) starts chromium with a fixed list of flags and no way to add
    one, so kaleido is given this launcher as its browser path. It is a two-line shell script in
    a private temporary directory (mode 0700), written once per process and removed at exit.

    Parameters
    ----------
    browser : str, optional
        The chromium to start; default :func:`chromium_path`.

    Returns
    -------
    str
        The launcher's path; ``browser`` itself on Windows, which has no ``sh``.

    Examples
    --------
    >>> path = offline_launcher("/usr/bin/chromium")
    >>> "--disable-background-networking" in open(path).read()
    True
    """
    browser = browser or chromium_path()
    if os.name == "nt":
        return browser
    with _LAUNCHER_LOCK:
        path = _LAUNCHERS.get(browser)
        if path is not None and os.path.isfile(path):
            return path
        folder = tempfile.mkdtemp(prefix="hccdash-chromium-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = os.path.join(folder, "chromium-offline")
        flags = " ".join(shlex.quote(f) for f in OFFLINE_CHROMIUM_FLAGS)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(f'#!/bin/sh\nexec {shlex.quote(browser)} {flags} "$@"\n')
        os.chmod(path, stat.S_IRWXU)
        _LAUNCHERS[browser] = path
        return path


# --------------------------------------------------------------------------------------------
# the warm kaleido session
_LOG = logging.getLogger(__name__)


def _one_line_loop_problem(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Log an asyncio problem of the kaleido loop in one line, without a traceback.

    When chromium dies, kaleido leaves tasks whose exception nobody retrieves; asyncio reports
    them when they are garbage-collected, which can happen inside any thread. Its default
    handler formats a traceback, and CPython 3.11's traceback formatting calls ``ast.parse``:
    nested inside another thread's ``ast.parse`` (Streamlit compiling a page) that corrupts
    the AST recursion counter and the page fails with "SystemError: AST constructor recursion
    depth mismatch". The browser death itself is reported by ``render``.
    """
    exc = context.get("exception")
    detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    _LOG.info("kaleido: %s%s", context.get("message", "asyncio problem"), detail)


class _WarmKaleido:
    """One kaleido browser on a private event loop thread, reused by every export.

    kaleido's own ``start_sync_server`` matches requests to answers through two shared queues,
    which is unsafe when several Streamlit sessions export at once; here each request is a
    coroutine submitted with ``run_coroutine_threadsafe`` and gets its own future, kaleido's tab
    queue serialises the renders, and a dead browser is restarted once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self.starts = 0
        # The last export's failure (None after a success): the page says so in one line.
        self.problem: str | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or not self._loop.is_running():
            loop = asyncio.new_event_loop()
            loop.set_exception_handler(_one_line_loop_problem)
            thread = threading.Thread(target=loop.run_forever, name="hccdash-kaleido", daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    def _ensure_started(self):
        with self._lock:
            if self._kaleido is not None:
                return self._kaleido
            if not chromium_available():
                raise ExportUnavailable(
                    f"Server-side image export needs chromium, which is not installed at "
                    f"{chromium_path()!r}. Install it (apt-get install chromium) or set "
                    "BROWSER_PATH; meanwhile use the camera button of the figure toolbar."
                )
            import kaleido

            async def start():
                # mathjax=False: never fetch MathJax from a CDN (no external URLs).
                k = kaleido.Kaleido(
                    n=1, timeout=RENDER_TIMEOUT, mathjax=False, path=offline_launcher()
                )
                await k.open()
                return k

            loop = self._ensure_loop()
            fut = asyncio.run_coroutine_threadsafe(start(), loop)
            try:
                self._kaleido = fut.result(START_TIMEOUT)
            except (OSError, RuntimeError, FutureTimeout, FutureCancelled, ValueError) as exc:
                fut.cancel()
                raise ExportUnavailable(
                    f"chromium at {chromium_path()!r} did not start for image export "
                    f"({type(exc).__name__}: {exc}). Use the figure toolbar's camera button."
                ) from exc
            self.starts += 1
            # atexit runs handlers last-in first-out: re-register now, after kaleido created
            # its temporary profile directories (whose cleanup is also an atexit hook), so the
            # browser is closed before those directories are removed.
            atexit.unregister(self.close)
            atexit.register(self.close)
            return self._kaleido

    def render(self, fig_dict: dict, opts: dict) -> bytes:
        try:
            data = self._render(fig_dict, opts)
        except ExportUnavailable as exc:
            self.problem = str(exc)
            raise
        self.problem = None
        return data

    def _render(self, fig_dict: dict, opts: dict) -> bytes:
        from choreographer.errors import BrowserClosedError, BrowserFailedError
        from choreographer.protocol import DevtoolsProtocolError
        from kaleido.errors import JavascriptError, KaleidoError

        error: BaseException | None = None
        for attempt in (1, 2):
            k = self._ensure_started()
            fut = asyncio.run_coroutine_threadsafe(k.calc_fig(fig_dict, opts=opts), self._loop)
            try:
                return fut.result(RENDER_TIMEOUT + 5)
            except (KaleidoError, JavascriptError, DevtoolsProtocolError) as exc:
                # plotly.js refused the figure: the browser is fine, retrying will not help.
                raise ExportUnavailable(
                    f"The figure could not be rendered ({type(exc).__name__}: {exc})."
                ) from exc
            except (
                BrowserClosedError,
                BrowserFailedError,
                OSError,  # includes TimeoutError and choreographer's ChannelClosedError
                FutureTimeout,
                FutureCancelled,  # the coroutine was cancelled when chromium died
                asyncio.CancelledError,
            ) as exc:
                # The browser died or hung (killed, out of memory): restart it once.
                fut.cancel()
                self.close()
                error = exc
                # Finalise kaleido's orphaned tasks here, at a safe point, rather than in a
                # later garbage collection that may fall inside another thread's compile.
                del k
                gc.collect()
                if attempt == 2:
                    break
        raise ExportUnavailable(
            f"Image export failed twice ({type(error).__name__}: {error}). Try again, or use "
            "the figure toolbar's camera button."
        ) from error

    def close(self) -> None:
        with self._lock:
            k, self._kaleido = self._kaleido, None
            if k is not None and self._loop is not None and self._loop.is_running():
                fut = asyncio.run_coroutine_threadsafe(k.close(), self._loop)
                try:
                    fut.result(15)
                except (OSError, RuntimeError, FutureTimeout, FutureCancelled):
                    fut.cancel()

    @property
    def running(self) -> bool:
        return self._kaleido is not None


_SESSION = _WarmKaleido()


def warm_session_starts() -> int:
    """How many times the kaleido browser has been started in this process (for tests)."""
    return _SESSION.starts


def export_problem() -> str | None:
    """Why server-side image export does not work now, in one sentence, or None.

    No chromium at ``BROWSER_PATH``, or the last export failed (chromium would not start or
    died twice); cleared by the next export that works, so a chromium that comes back is used
    without restarting the app.
    """
    if not chromium_available():
        return (
            f"Server-side image export needs chromium, which is not installed at "
            f"{chromium_path()!r}."
        )
    return _SESSION.problem


def close_session() -> None:
    """Stop the warm kaleido browser (it restarts on the next export)."""
    _SESSION.close()


def _check_size(
    width: object, height: object, scale: object, max_scale: float = MAX_SCALE
) -> tuple[int, int, float]:
    bad = []
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, (int, np.integer)) or not MIN_SIDE <= int(value) <= MAX_SIDE:
            bad.append(f"{name}={value!r}")
    if not isinstance(scale, (int, float, np.number)) or not 1 <= float(scale) <= max_scale:
        bad.append(f"scale={scale!r}")
    if bad:
        raise InputError(
            f"Export size {', '.join(bad)} is out of range: use whole pixels from {MIN_SIDE} to "
            f"{MAX_SIDE} for width and height, and a scale from 1 to {max_scale:g}."
        )
    return int(width), int(height), float(scale)


def figure_bytes(
    fig: go.Figure | dict,
    fmt: str = "png",
    width: int | None = None,
    height: int | None = None,
    scale: float = 1,
) -> bytes:
    """Render a figure to PNG, SVG or PDF with the warm kaleido session.

    Parameters
    ----------
    fig : plotly Figure or its dict
    fmt : {"png", "svg", "pdf"}
    width, height : int, optional
        Size in CSS pixels (default the 16:9 1920x1080 preset); a PNG is
        ``width*scale x height*scale`` pixels.
    scale : float
        1 to 4.

    Returns
    -------
    bytes

    Raises
    ------
    InputError
        Unknown format or size out of range.
    ExportUnavailable
        No chromium on the server, or it failed to start or render.
    """
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise InputError(f"Figure format {fmt!r} is not supported: use one of {FIGURE_FORMATS}.")
    dw, dh = PRESETS[DEFAULT_PRESET]
    w, h, sc = _check_size(width if width is not None else dw, height or dh, scale)
    if isinstance(fig, PresetFigure):  # a page's figure built for a preset: the figure itself
        fig = fig.figure
    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    # The export size wins over a height set for the screen.
    layout = dict(fig_dict.get("layout", {}))
    layout.pop("width", None)
    layout.pop("height", None)
    layout["autosize"] = False
    fig_dict = {**fig_dict, "layout": layout}
    return _SESSION.render(fig_dict, {"format": fmt, "width": w, "height": h, "scale": sc})


def preset_figure_bytes(fig: go.Figure | dict, fmt: str, preset: str) -> bytes:
    """Render a figure built for a size preset at that preset (its layout size and scale).

    ``fig`` comes from a figure builder given ``FigureSpec(preset=...)``: its layout holds the
    canvas size in CSS pixels, which is also the size of the SVG and the PDF page (96 px per
    inch, so an 85 mm journal column is 85 mm wide). PNG and TIFF are ``scale`` times larger
    (the preset's dpi / 96); TIFF is the PNG converted by Pillow (LZW, with the dpi stored).

    Parameters
    ----------
    fig : plotly Figure or its dict
    fmt : {"png", "svg", "pdf", "tiff"}
    preset : str
        A key of :data:`hccdash.style.SIZE_PRESETS`.
    """
    from hccdash.style import size_preset

    fmt = str(fmt).lower().lstrip(".")
    if fmt == "tif":
        fmt = "tiff"
    if fmt not in PRESET_FORMATS:
        raise InputError(f"Figure format {fmt!r} is not supported: use one of {PRESET_FORMATS}.")
    p = size_preset(preset)
    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    # plotly.js names each trace's SVG group after its uid, random unless set: fix them so
    # the same figure gives the same bytes.
    fig_dict = {
        **fig_dict,
        "data": [{**t, "uid": t.get("uid") or f"t{i}"} for i, t in enumerate(fig_dict["data"])],
    }
    layout = fig_dict.get("layout", {})
    w, h, sc = _check_size(
        int(layout.get("width") or p.width),
        int(layout.get("height") or p.height),
        float(p.scale),
        MAX_PRESET_SCALE,
    )
    render_fmt = "png" if fmt == "tiff" else fmt
    # SVG and PDF keep the physical size (CSS px at 96 dpi); only rasters are scaled.
    opts = {
        "format": render_fmt,
        "width": w,
        "height": h,
        "scale": sc if fmt in ("png", "tiff") else 1,
    }
    data = _SESSION.render(fig_dict, opts)
    if fmt == "svg":
        return stable_svg(data)
    if fmt != "tiff":
        return data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        out = io.BytesIO()
        dpi = p.dpi or CSS_DPI_DEFAULT
        im.convert("RGB").save(out, format="TIFF", compression="tiff_lzw", dpi=(dpi, dpi))
        return out.getvalue()


CSS_DPI_DEFAULT = 96
_SVG_UID = re.compile(rb'id="defs-([0-9a-f]+)"')


def stable_svg(svg: bytes) -> bytes:
    """The SVG with plotly's random per-render id replaced by a digest of the drawing.

    plotly.js names clip paths and defs after a random id (``clip4eda01xyplot``), so two
    renders of one figure differ in those bytes only; with the digest the same figure gives
    the same file on the page, from the CLI and in the ZIP.
    """
    import hashlib

    m = _SVG_UID.search(svg)
    if m is None:
        return svg
    uid = m.group(1)
    refs = re.compile(rb"(clip|defs-|topdefs-|legend)" + re.escape(uid))
    blank = refs.sub(rb"\1", svg)
    digest = hashlib.sha1(blank).hexdigest()[:6].encode()
    return refs.sub(rb"\1h" + digest, svg)


def safe_filename(name: str, default: str = "figure") -> str:
    """A file name from a label: letters, digits, ``._-`` only (no paths, no spaces)."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._")
    return out[:120] or default


def modebar_config(name: str, width: int, height: int, scale: float = 1) -> dict:
    """``st.plotly_chart`` config: the camera button exports a PNG of this size and name.

    This is the browser-side export path, which works without chromium on the server.
    """
    return {
        "displaylogo": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        "toImageButtonOptions": {
            "format": "png",
            "filename": safe_filename(name),
            "width": int(width),
            "height": int(height),
            "scale": scale,
        },
    }


# --------------------------------------------------------------------------------------------
# tables
def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"Expected a table (pandas DataFrame), got {type(df).__name__}.")
    out = df.copy()
    if not isinstance(out.index, pd.RangeIndex) or out.index.name is not None:
        out = out.reset_index()
    out.columns = [defuse_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(defuse_cell)
    return out


def _cell(value: object) -> object:
    """A Python value openpyxl writes as a number, text or empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, str):
        # Control characters (NUL ...) are illegal in XLSX XML: shown as U+FFFD, not a crash.
        return _XML_ILLEGAL.sub("\ufffd", value)
    if isinstance(value, int):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return str(value)


def table_bytes(df: pd.DataFrame, fmt: str = "csv", *, sheet: str = "table") -> bytes:
    """A table as CSV (UTF-8 with BOM, so Excel reads accents) or XLSX (openpyxl).

    Numbers stay numbers at full precision (the on-screen numbers, unrounded); text cells that
    start with ``= + - @`` are prefixed with ``'`` so a spreadsheet never runs them as formulas.

    Parameters
    ----------
    df : pandas.DataFrame
    fmt : {"csv", "xlsx"}
    sheet : str
        XLSX sheet name.
    """
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in TABLE_FORMATS:
        raise InputError(f"Table format {fmt!r} is not supported: use one of {TABLE_FORMATS}.")
    out = _prepare(df)
    if fmt == "csv":
        text = out.to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        return ("\ufeff" + text).encode("utf-8")
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "table"
    ws.append([_cell(str(c)) for c in out.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in out.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    # Text cells are written as data, never as formulas (openpyxl treats "=..." as formula).
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    for j, col in enumerate(out.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in out[col].head(200)]) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(60, width)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# everything at once
def software_versions(models: bool = True) -> str:
    """One paragraph naming the software and versions behind the numbers and figures.

    The list is :mod:`hccdash.versions` (the About page shows the same one); ``models=False``
    leaves out the risk-model packages.
    """
    from hccdash.versions import versions_sentence

    return versions_sentence(models)


def bundle_zip(
    figures: Mapping[str, go.Figure],
    tables: Mapping[str, pd.DataFrame],
    methods: str,
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1,
) -> bytes:
    """A ZIP of every figure (PNG + SVG), every table (CSV + XLSX) and ``methods.txt``.

    Members: ``figures/<name>.png``, ``figures/<name>.svg``, ``tables/<name>.csv``,
    ``tables/<name>.xlsx``, ``methods.txt``. Without chromium on the server the figures are
    written as plotly JSON (``figures/<name>.json``) and ``methods.txt`` says so.

    Parameters
    ----------
    figures : mapping of name to Figure or PresetFigure
        A :class:`PresetFigure` is written in its preset's formats at its preset's size
        (TIFF, PDF, PNG, SVG for journals); a plain Figure as PNG and SVG at ``width`` x
        ``height``.
    tables : mapping of name to DataFrame
    methods : str
        The methods paragraph (data source, filters, methods, software versions).
    width, height, scale
        Figure export size (default the 16:9 1920x1080 preset).
    """
    buf = io.BytesIO()
    used: set[str] = set()

    def unique(name: str) -> str:
        base = safe_filename(name)
        cand, i = base, 2
        while cand in used:
            cand, i = f"{base}_{i}", i + 1
        used.add(cand)
        return cand

    text = methods.rstrip() + "\n\n" + software_versions() + "\n"
    can_render = chromium_available()
    failed: str | None = None
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, fig in figures.items():
            stem = unique(name)
            if can_render and failed is None:
                try:
                    if isinstance(fig, PresetFigure):
                        # Built for a size preset: the files the figure's own buttons give.
                        from hccdash.style import size_preset

                        images = {
                            ("tif" if fmt == "tiff" else fmt): preset_figure_bytes(
                                fig.figure, fmt, fig.preset
                            )
                            for fmt in size_preset(fig.preset).formats
                        }
                    else:
                        images = {
                            f: figure_bytes(fig, f, width, height, scale) for f in ("png", "svg")
                        }
                except ExportUnavailable as exc:  # chromium died or would not start
                    failed = str(exc)
                else:
                    for fmt, data in images.items():
                        zf.writestr(f"figures/{stem}.{fmt}", data)
                    continue
            zf.writestr(f"figures/{stem}.json", fig.to_json())
        if failed is not None:
            text += (
                f"\nImage export failed ({failed}); the figures that follow are plotly JSON: "
                "open them with plotly.io.read_json, or export PNG from the page.\n"
            )
        elif figures and not can_render:
            text += (
                "\nFigures are plotly JSON (no chromium on the server for PNG/SVG): open them "
                "with plotly.io.read_json, or export PNG from the page's figure toolbar.\n"
            )
        used.clear()
        for name, df in tables.items():
            stem = unique(name)
            zf.writestr(f"tables/{stem}.csv", table_bytes(df, "csv"))
            zf.writestr(f"tables/{stem}.xlsx", table_bytes(df, "xlsx", sheet=stem))
        zf.writestr("methods.txt", text)
    return buf.getvalue()

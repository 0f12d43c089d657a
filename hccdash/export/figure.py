"""Figures as PNG/SVG/PDF/TIFF: sizes, presets, stable SVG bytes, file names, modebar config."""

from __future__ import annotations

import io
import re
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from hccdash.errors import InputError
from hccdash.export.session import _SESSION
from hccdash.style import DEFAULT_PRESET, PRESETS

FIGURE_FORMATS = ("png", "svg", "pdf")
# Formats of a figure exported at a size preset (journals ask for TIFF).
PRESET_FORMATS = ("png", "svg", "pdf", "tiff")
MIN_SIDE, MAX_SIDE = 100, 8000
MAX_SCALE = 4
# Journal presets print at 600 dpi: 6.25 PNG pixels per CSS pixel.
MAX_PRESET_SCALE = 8
CSS_DPI_DEFAULT = 96
_SVG_UID = re.compile(rb'id="defs-([0-9a-f]+)"')


class PresetFigure(NamedTuple):
    """A figure built for a size preset: exported at that preset's size, dpi and formats."""

    figure: go.Figure
    preset: str

    def to_json(self) -> str:
        return self.figure.to_json()


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

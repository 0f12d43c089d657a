"""Everything at once: a ZIP of every figure, every table and the methods text."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from hccdash.export.chromium import ExportUnavailable, chromium_available
from hccdash.export.figure import PresetFigure, figure_bytes, preset_figure_bytes, safe_filename
from hccdash.export.table import table_bytes


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

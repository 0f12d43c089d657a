"""Figures and tables as files: PNG/SVG/PDF through kaleido, CSV/XLSX, and a ZIP of everything.

One job per module:

- :mod:`~hccdash.export.chromium`: where chromium is, and its offline launcher;
- :mod:`~hccdash.export.session`: the warm kaleido session (one browser, reused);
- :mod:`~hccdash.export.figure`: figure bytes at a size or a preset, stable SVG, file names;
- :mod:`~hccdash.export.table`: CSV and XLSX of a table (numbers kept, formulas defused);
- :mod:`~hccdash.export.bundle`: the ZIP of every figure, table and the methods text.

The public names are imported from here (``from hccdash.export import figure_bytes``).
"""

from __future__ import annotations

from hccdash.export.bundle import bundle_zip, software_versions
from hccdash.export.chromium import (
    OFFLINE_CHROMIUM_FLAGS,
    ExportUnavailable,
    chromium_available,
    chromium_path,
    offline_launcher,
)
from hccdash.export.figure import (
    CSS_DPI_DEFAULT,
    FIGURE_FORMATS,
    MAX_PRESET_SCALE,
    MAX_SCALE,
    MAX_SIDE,
    MIN_SIDE,
    PRESET_FORMATS,
    PresetFigure,
    figure_bytes,
    modebar_config,
    preset_figure_bytes,
    safe_filename,
    stable_svg,
)
from hccdash.export.session import (
    _SESSION,
    RENDER_TIMEOUT,
    START_TIMEOUT,
    close_session,
    export_problem,
    warm_session_starts,
)
from hccdash.export.table import TABLE_FORMATS, table_bytes
from hccdash.style import PRESETS

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

__all__ = [
    "CSS_DPI_DEFAULT",
    "FIGURE_FORMATS",
    "MAX_PRESET_SCALE",
    "MAX_SCALE",
    "MAX_SIDE",
    "MIME",
    "MIN_SIDE",
    "OFFLINE_CHROMIUM_FLAGS",
    "PRESETS",
    "PRESET_FORMATS",
    "RENDER_TIMEOUT",
    "START_TIMEOUT",
    "TABLE_FORMATS",
    "_SESSION",
    "ExportUnavailable",
    "PresetFigure",
    "bundle_zip",
    "chromium_available",
    "chromium_path",
    "close_session",
    "export_problem",
    "figure_bytes",
    "modebar_config",
    "offline_launcher",
    "preset_figure_bytes",
    "safe_filename",
    "software_versions",
    "stable_svg",
    "table_bytes",
    "warm_session_starts",
]

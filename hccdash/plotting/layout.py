"""Pixel layout of a figure: reserved bands that never overlap, measured with the real font.

Plotly places titles, legends and annotations where it is told, in fractions of the canvas;
it does not know that a 40-character legend entry wraps or that a caption needs three lines.
Here every text is measured with DejaVu Sans (the font the figures are drawn in, by Pillow's
``ImageFont``), the canvas is cut into bands from the top (title, legend, annotation, plot, x
axis, risk table, caption) and from the left (y tick labels, y title, row labels), and each
band is converted to the fractions plotly wants. Margins are zero and ``automargin`` off, so
plotly moves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hccdash.plotting.common import esc
from hccdash.style import FONT_FAMILY, SLIDE_MIN_PX, SizePreset

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
)
_TAG = re.compile(r"<[^>]+>")
LINE = 1.3  # line height in font sizes
PAD_FRAC = 0.02  # outer padding as a fraction of the smaller canvas side


@lru_cache(maxsize=4)
def _font(bold: bool, size_tenths: int):
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in _FONT_DIRS:
        if (d / name).is_file():
            return ImageFont.truetype(str(d / name), size_tenths / 10)
    return None


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in px of one line of plain text in DejaVu Sans at ``size`` px.

    Falls back to 0.62 em per character when the font file is missing (wider than DejaVu's
    average, so the layout errs on the roomy side).
    """
    plain = _TAG.sub("", str(text)).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    font = _font(bool(bold), 100)
    if font is None:
        return 0.62 * size * len(plain)
    # Measured at 10 px and scaled: glyph advances are linear in the size.
    return font.getlength(plain) * size / 10.0 * 1.03


def wrap_to_width(text: str, size: float, width: float) -> list[str]:
    """Greedy word wrap of plain text to lines narrower than ``width`` px (words never cut,
    except a single word wider than the line, which is cut by characters)."""
    lines: list[str] = []
    for para in str(text).splitlines() or [""]:
        words = para.split()
        cur = ""
        for w in words:
            cand = f"{cur} {w}" if cur else w
            if text_width(cand, size) <= width:
                cur = cand
                continue
            if cur:
                lines.append(cur)
            while text_width(w, size) > width and len(w) > 1:
                cut = len(w)
                while cut > 1 and text_width(w[:cut], size) > width:
                    cut -= 1
                lines.append(w[:cut])
                w = w[cut:]
            cur = w
        lines.append(cur)
    return lines


def fit_label(text: str, size: float, width: float, *, bold: bool = False) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` px (the legend keeps it whole)."""
    if text_width(text, size, bold=bold) <= width:
        return text
    cut = len(text)
    while cut > 1 and text_width(text[:cut] + "…", size, bold=bold) > width:
        cut -= 1
    return text[:cut].rstrip() + "…"


@dataclass
class Frame:
    """A canvas being cut into bands; positions in px from the top-left corner."""

    preset: SizePreset
    width: float
    height: float
    top: float = 0.0
    bottom: float = 0.0
    pad: float = 0.0
    bands: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def start(
        cls, preset: SizePreset, width: float | None = None, height: float | None = None
    ) -> Frame:
        w = float(width or preset.width)
        h = float(height or preset.height)
        pad = max(4.0, PAD_FRAC * min(w, preset.height))
        return cls(preset, w, h, top=pad, bottom=h - pad, pad=pad)

    def take_top(self, name: str, px: float) -> tuple[float, float]:
        band = (self.top, self.top + px)
        self.top += px
        self.bands[name] = band
        return band

    def take_bottom(self, name: str, px: float) -> tuple[float, float]:
        band = (self.bottom - px, self.bottom)
        self.bottom -= px
        self.bands[name] = band
        return band

    @property
    def plot_px(self) -> float:
        """Height left between the top and bottom bands."""
        return self.bottom - self.top

    def deficit(self, min_plot: float = 0.0) -> float:
        """Pixels the canvas must grow for the plot to get ``min_plot`` (0 on fixed slides)."""
        if self.preset.fixed_height:
            return 0.0
        return max(0.0, max(self.preset.min_plot, min_plot) - self.plot_px)

    # ---- conversion ---------------------------------------------------------------------
    def fy(self, px: float) -> float:
        """px from the top -> plotly paper fraction (0 bottom, 1 top); margins are zero."""
        return 1.0 - px / self.height

    def fx(self, px: float) -> float:
        return px / self.width


def fit_attempts(base: SizePreset) -> list[tuple[SizePreset, tuple[str, ...]]]:
    """Layouts to try, in order, until the plot gets ``min_plot`` px on a fixed-height slide.

    First the preset's own text sizes; then text shrunk to the preset's minimum (22 px on a
    slide); then leaving out, in turn, the caption (it is in the ZIP's methods.txt), the HR
    lines and the risk table. The figure's ``layout.meta["omitted"]`` names what was left out
    so the page can say so. Presets that grow with their content need only the first.
    """
    from dataclasses import replace

    floor = SLIDE_MIN_PX if base.key.startswith("slide") else base.min_text_px
    f = min(1.0, floor / base.min_text_px) if base.min_text_px else 1.0
    small = replace(
        base,
        font_size=max(floor, base.font_size * f),
        title_size=max(floor, base.title_size * f),
        small_size=max(floor, base.small_size * f),
    )
    out = [(base, ())]
    if not base.fixed_height:
        return out
    if small != base:
        out.append((small, ()))
    for omit in (("caption",), ("caption", "hr"), ("caption", "hr", "risk")):
        out.append((small, omit))
    return out


@dataclass(frozen=True)
class Legend:
    rows: int
    per_row: int
    entry_px: float
    height: float


def legend_layout(
    labels: list[str], title: str | None, size: float, avail: float, *, symbol_px: float = 0
) -> Legend:
    """How a horizontal legend of ``labels`` wraps within ``avail`` px (title on its own line)."""
    # plotly draws the symbol 40 px wide whatever the font (itemwidth 30 + gap): at journal
    # sizes 2.6 em is narrower than that, and the legend wrapped into a row more than measured
    sym = symbol_px or max(2.6 * size, 40.0)
    widest = max((text_width(esc(s), size) for s in labels), default=0.0)
    entry = widest + sym + 0.8 * size
    per_row = max(1, min(len(labels), int(avail // entry)))
    rows = -(-len(labels) // per_row) if labels else 0
    row = legend_row(size)
    height = rows * row + (row if title else 0.0) + 0.3 * size
    return Legend(rows, per_row, entry, height)


def legend_row(size: float) -> float:
    """Height of one legend row as plotly draws it (1.3 em line plus its 5 px item gap)."""
    return 1.3 * size + 6.0


def legend_dict(fr: Frame, band: tuple[float, float], left: float, leg: Legend, title, s) -> dict:
    """The plotly legend placed at the top-left of ``band`` in a grid of ``leg``."""
    return {
        "orientation": "h",
        "x": fr.fx(left),
        "xanchor": "left",
        "y": fr.fy(band[0]),
        "yanchor": "top",
        "xref": "paper",
        "yref": "paper",
        "entrywidth": leg.entry_px - 2.6 * s.font_size,
        "entrywidthmode": "pixels",
        "font": {"size": s.font_size},
        "tracegroupgap": 0,
        "title": {"text": f"{esc(title)}", "side": "top", "font": {"size": s.font_size}}
        if title
        else {"text": ""},
        "bgcolor": "rgba(255,255,255,0)",
        "traceorder": "normal",
    }


def base_layout(fr: Frame, s: SizePreset) -> dict:
    """Layout keys common to every figure: zero margins, fixed size, fonts, no automargin."""
    return {
        "font": {"family": FONT_FAMILY, "size": s.font_size, "color": "black"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0, "pad": 0, "autoexpand": False},
        "width": round(fr.width),
        "height": round(fr.height),
        "autosize": False,
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": max(12, s.small_size)}},
    }


def axis_style(s: SizePreset, screen: bool) -> dict:
    return {
        "showline": True,
        "linecolor": "black",
        "linewidth": max(1.0, s.line_width * 0.4),
        "ticks": "outside",
        "tickcolor": "black",
        "ticklen": round(0.35 * s.font_size),
        "tickwidth": max(1.0, s.line_width * 0.35),
        "showgrid": screen,
        "gridcolor": "#E5E5E5",
        "zeroline": False,
        "tickfont": {"size": s.font_size},
        "automargin": False,
    }


def title_block(fr: Frame, title: str, s: SizePreset, left: float) -> dict | None:
    """Reserve the title band (wrapped to the width) and return its annotation.

    An annotation rather than ``layout.title``: plotly anchors a multi-line title by its first
    line, so a wrapped title would climb out of the canvas.
    """
    if not title:
        return None
    lines = wrap_to_width(title, s.title_size, fr.width - left - fr.pad)
    band = fr.take_top("title", len(lines) * s.title_size * LINE + 0.4 * s.title_size)
    return {
        "text": "<br>".join(esc(line) for line in lines),
        "name": "title",
        "x": fr.fx(left),
        "xanchor": "left",
        "xref": "paper",
        "y": fr.fy(band[0]),
        "yanchor": "top",
        "yref": "paper",
        "align": "left",
        "showarrow": False,
        "font": {"size": s.title_size},
    }


def fit_ylabel(label: str, s: SizePreset, plot_px: float) -> str:
    """A y-axis title that fits along the plot's height (shortened only on fixed slides)."""
    return fit_label(label, s.font_size, max(plot_px - 4, 10))


def caption_block(fr: Frame, parts: list[str], s: SizePreset, left: float) -> dict | None:
    """Reserve the caption band at the bottom and return its annotation (wrapped text)."""
    parts = [p for p in parts if p]
    if not parts:
        return None
    lines: list[str] = []
    for p in parts:
        lines.extend(wrap_to_width(p, s.small_size, fr.width - left - fr.pad))
    band = fr.take_bottom("caption", len(lines) * s.small_size * LINE + 0.5 * s.small_size)
    return {
        "text": "<br>".join(esc(line) for line in lines),
        "xref": "paper",
        "yref": "paper",
        "x": fr.fx(left),
        "y": fr.fy(band[0] + 0.5 * s.small_size),
        "xanchor": "left",
        "yanchor": "top",
        "align": "left",
        "showarrow": False,
        "font": {"size": s.small_size, "color": "#333333"},
    }

"""House style of every figure: the Okabe-Ito palette, the screen and slide templates, sizes.

A level keeps its colour on every page (Kaplan-Meier, forest, response) because the colour is a
function of the level's position in the factor's full level order, not of which levels happen
to survive the current filter. Okabe-Ito is distinguishable under the common colour-vision
deficiencies and prints in grey scale with distinct luminance.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

# Okabe & Ito (2008), "Color Universal Design". Ordered for lines on white: yellow is last
# because it has too little contrast against a white background to be a first choice.
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "orange": "#E69F00",
    "reddish_purple": "#CC79A7",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
PALETTE: tuple[str, ...] = tuple(v for k, v in OKABE_ITO.items() if k != "black")
# One curve without groups (the whole cohort) is drawn in black.
OVERALL_COLOR = OKABE_ITO["black"]
GRID_COLOR = "#E5E5E5"
FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif"

# Export sizes in pixels (width, height): the legacy list of the download widgets. The size
# presets that scale the design are SIZE_PRESETS below.
PRESETS: dict[str, tuple[int, int]] = {
    "16:9 1920x1080": (1920, 1080),
    "16:9 1280x720": (1280, 720),
    "4:3 1024x768": (1024, 768),
    "square 1080": (1080, 1080),
}
DEFAULT_PRESET = "16:9 1920x1080"

CSS_DPI = 96  # SVG and PDF lengths are CSS pixels: 96 per inch, 72 points per inch
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class SizePreset:
    """A target medium: canvas size in CSS pixels, text sizes for it, raster scale, formats.

    The design scales with the medium, not only the canvas: a slide gets >= 22 px text and
    thick lines, a journal column >= 7 pt text after the figure is printed at its width.
    ``height`` is the fixed height of slides; journal and screen figures grow with content
    from ``height`` (the plot keeps at least ``min_plot`` pixels).
    """

    key: str
    label: str
    width: int
    height: int
    fixed_height: bool
    font_size: float  # axis titles, tick labels, legend, annotations
    title_size: float
    small_size: float  # risk table, caption
    line_width: float
    marker_size: float
    scale: float  # PNG pixels per CSS pixel
    dpi: int | None = None  # print resolution (journal presets)
    formats: tuple[str, ...] = ("png", "svg", "pdf")
    min_plot: int = 160

    @property
    def min_text_px(self) -> float:
        return min(self.font_size, self.title_size, self.small_size)


def _mm(mm: float) -> int:
    return round(mm / MM_PER_INCH * CSS_DPI)


def _pt(pt: float) -> float:
    return pt * CSS_DPI / 72


def _journal(key: str, label: str, mm: float, dpi: int) -> SizePreset:
    width = _mm(mm)
    return SizePreset(
        key=key,
        label=label,
        width=width,
        height=round(width * 0.75),
        fixed_height=False,
        font_size=_pt(8),
        title_size=_pt(9),
        small_size=_pt(7.5),
        line_width=1.1,
        marker_size=6,
        scale=dpi / CSS_DPI,
        dpi=dpi,
        formats=("tiff", "pdf", "png", "svg"),
        min_plot=110,
    )


SIZE_PRESETS: dict[str, SizePreset] = {
    p.key: p
    for p in (
        SizePreset(
            "screen",
            "Screen (as on the page)",
            1000,
            560,
            False,
            14,
            18,
            12.5,
            2.0,
            9,
            1,
            min_plot=300,
        ),
        SizePreset(
            "slide-1920",
            "Slide 16:9, 1920 × 1080",
            1920,
            1080,
            True,
            30,
            40,
            26,
            4,
            16,
            1,
            min_plot=360,
        ),
        SizePreset(
            "slide-1280",
            "Slide 16:9, 1280 × 720",
            1280,
            720,
            True,
            22,
            28,
            22,
            3,
            12,
            1,
            min_plot=220,
        ),
        SizePreset(
            "slide-4x3",
            "Slide 4:3, 1024 × 768",
            1024,
            768,
            True,
            22,
            28,
            22,
            3,
            12,
            1,
            min_plot=240,
        ),
        _journal("journal-1col-300", "Journal, single column 85 mm, 300 dpi", 85, 300),
        _journal("journal-1col-600", "Journal, single column 85 mm, 600 dpi", 85, 600),
        _journal("journal-2col-300", "Journal, double column 180 mm, 300 dpi", 180, 300),
        _journal("journal-2col-600", "Journal, double column 180 mm, 600 dpi", 180, 600),
    )
}
SLIDE_MIN_PX = 22.0
JOURNAL_MIN_PT = 7.0


def size_preset(key: str) -> SizePreset:
    """Look up a size preset by key (``"screen"``, ``"slide-1920"``, ``"journal-1col-300"`` ...).

    Raises
    ------
    ValueError
        For an unknown key, naming the known ones.
    """
    try:
        return SIZE_PRESETS[key]
    except KeyError:
        raise ValueError(f"size preset {key!r} is not one of {sorted(SIZE_PRESETS)!r}") from None


GREYSCALE: tuple[str, ...] = ("#000000", "#555555", "#999999", "#333333", "#777777", "#BBBBBB")
GREY_DASHES: tuple[str, ...] = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def color_for(level: object, levels: Sequence[object] | None = None) -> str:
    """The colour of a factor level, fixed across pages.

    Parameters
    ----------
    level : object
        The level (compared as ``str``). ``None`` is the ungrouped, whole-cohort curve: black.
    levels : sequence, optional
        The factor's full level order (e.g. ``Factor.levels``). Pass the full order rather than
        the levels left after filtering so that a level keeps its colour when another level is
        filtered out.

    Returns
    -------
    str
        A hex colour from the Okabe-Ito palette. A level not in ``levels`` gets a colour from a
        stable hash of its text, so it is still the same on every page and every run.
    """
    if level is None:
        return OVERALL_COLOR
    names = [str(v) for v in (levels or ())]
    text = str(level)
    if text in names:
        return PALETTE[names.index(text) % len(PALETTE)]
    return PALETTE[zlib.crc32(text.encode("utf-8")) % len(PALETTE)]


@dataclass(frozen=True)
class StyleSpec:
    """Sizes of one style, in CSS pixels of the figure before export scaling."""

    name: str
    font_size: int
    title_size: int
    small_size: int
    line_width: float
    marker_size: int
    margin: int


STYLES: dict[str, StyleSpec] = {
    # On screen a figure is ~900-1200 px wide; 14 px text reads like body text.
    "screen": StyleSpec("screen", 14, 18, 12, 2.0, 9, 40),
    # On a 1920 px slide viewed from the back of a room: >= 22 px text, thick lines.
    "slide": StyleSpec("slide", 24, 32, 20, 3.5, 14, 60),
}


def style_spec(style: str) -> StyleSpec:
    """Look up a style by name ("screen" or "slide").

    Raises
    ------
    ValueError
        For any other name (a programming error, not user input).
    """
    try:
        return STYLES[style]
    except KeyError:
        raise ValueError(f"style {style!r} is not one of {sorted(STYLES)!r}") from None


def template(style: str = "screen") -> go.layout.Template:
    """A plotly template: white background, black axes, light grid, no clutter.

    Parameters
    ----------
    style : {"screen", "slide"}
        "slide" has larger fonts and thicker lines for a 1920 px wide slide.
    """
    s = style_spec(style)
    axis = {
        "showline": True,
        "linecolor": "black",
        "linewidth": 1.5 if style == "slide" else 1,
        "ticks": "outside",
        "tickcolor": "black",
        "ticklen": 8 if style == "slide" else 5,
        "showgrid": style == "screen",
        "gridcolor": GRID_COLOR,
        "zeroline": False,
        "title": {"font": {"size": s.font_size}, "standoff": 10},
        "tickfont": {"size": s.font_size},
        "automargin": True,
    }
    layout = go.Layout(
        font={"family": FONT_FAMILY, "size": s.font_size, "color": "black"},
        title={"font": {"size": s.title_size}, "x": 0.0, "xanchor": "left", "xref": "paper"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        xaxis=axis,
        yaxis=axis,
        legend={
            "bgcolor": "rgba(255,255,255,0)",
            "font": {"size": s.font_size},
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
        },
        hoverlabel={"font": {"family": FONT_FAMILY, "size": s.small_size}},
        margin={"l": s.margin, "r": s.margin, "t": s.margin + s.title_size * 2, "b": s.margin},
    )
    return go.layout.Template(layout=layout)

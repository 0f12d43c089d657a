"""The competing-risks page's figures on the figure specification (options panel, exports).

Three figures, each with its own options panel and URL prefix: the CIF per cause
(``cif_...``), the causes stacked per group (``cifs_...``) and 1 − KM vs CIF (``kmcif_...``).
Each is drawn by :func:`hccdash.competing.views.cr_view_figure` (the CLI's path) from the
page's cached results, shown at the screen preset and exported at the chosen preset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from hccdash.competing.views import cr_view_figure
from hccdash.export import PresetFigure, safe_filename
from hccdash.ui.figure_panel import figure_panel, show_spec_figure

__all__ = ["cif_figures", "overlay_figure", "stacked_figures"]


def _columns(n: int):
    cols = st.columns(min(n, 2)) if n else []
    return cols, (1000 if len(cols) == 1 else 480)  # the page column's width in CSS px


def cif_figures(
    result, counts: Callable, *, group: str | None, legend: str | None,
    colour_levels: Sequence[str], unit: str, filters: str | None,
) -> dict[str, PresetFigure]:  # fmt: skip
    """One CIF figure per cause (one options panel for all)."""
    levels = [str(g) for g in result.groups] if len(result.groups) > 1 else []
    spec = figure_panel(
        f"cr_fig_{group or 'all'}", "cif", prefix="cif", levels=levels,
        color_levels=list(colour_levels) or levels,
        defaults={"title": "Cumulative incidence of (the cause)", "legend_title": legend or "",
                  "xlabel": f"Time ({unit})", "ylabel": "Cumulative incidence"},
    )  # fmt: skip
    out: dict[str, PresetFigure] = {}
    cols, width = _columns(len(result.causes))
    for i, cause in enumerate(result.causes):
        name = f"cif_{safe_filename(str(result.codes.name(cause)))}"

        def build(s, width, cause=cause):
            return cr_view_figure(
                "by-cause", result, s, counts, cause=cause, legend_label=legend,
                color_levels=colour_levels or None, data_unit=unit, filters=filters, width=width,
            )  # fmt: skip

        with cols[i % len(cols)]:
            fig = show_spec_figure(build, spec, name, f"cr_fig_{i}", screen_width=width)
        out[name] = PresetFigure(fig, spec.preset)
    return out


def stacked_figures(
    result, counts: Callable, *, group: str | None, unit: str, filters: str | None
) -> dict[str, PresetFigure]:
    """One stacked figure per group: every cause's band (one options panel for all)."""
    names = [result.codes.name(c) for c in result.causes]
    spec = figure_panel(
        f"cr_stack_{group or 'all'}", "cif", prefix="cifs", levels=names, color_levels=names,
        defaults={"title": "Cumulative incidence by event type (stacked): (the group)",
                  "legend_title": "Event type", "xlabel": f"Time ({unit})",
                  "ylabel": "Cumulative incidence"},
    )  # fmt: skip
    out: dict[str, PresetFigure] = {}
    cols, width = _columns(len(result.groups))
    for i, g in enumerate(result.groups):
        name = "cif_stacked" + (f"_{safe_filename(str(g))}" if len(result.groups) > 1 else "")

        def build(s, width, g=g):
            return cr_view_figure(
                "stacked", result, s, counts, group=g, data_unit=unit, filters=filters,
                width=width,
            )  # fmt: skip

        with cols[i % len(cols)]:
            fig = show_spec_figure(build, spec, name, f"cr_stack_{i}", screen_width=width)
        out[name] = PresetFigure(fig, spec.preset)
    return out


def overlay_figure(
    result, km, cause, counts: Callable, *, group: str | None, legend: str | None,
    colour_levels: Sequence[str], unit: str, filters: str | None,
) -> dict[str, PresetFigure]:  # fmt: skip
    """1 − KM (dashed) vs the CIF (solid) of ``cause``, per group."""
    levels = [str(g) for g in result.groups] if len(result.groups) > 1 else []
    name = result.codes.name(cause)
    spec = figure_panel(
        f"cr_kmcif_{group or 'all'}", "cif", prefix="kmcif", levels=levels,
        color_levels=list(colour_levels) or levels,
        defaults={"title": f"{name}: 1 − Kaplan-Meier vs cumulative incidence",
                  "legend_title": legend or "", "xlabel": f"Time ({unit})",
                  "ylabel": f"Probability of {name}"},
    )  # fmt: skip

    def build(s, width):
        return cr_view_figure(
            "km-vs-cif", result, s, counts, cause=cause, km=km, legend_label=legend,
            color_levels=colour_levels or None, data_unit=unit, filters=filters, width=width,
        )  # fmt: skip

    fig = show_spec_figure(build, spec, "km_vs_cif", "cr_kmfig", screen_width=1000)
    return {"km_vs_cif": PresetFigure(fig, spec.preset)}

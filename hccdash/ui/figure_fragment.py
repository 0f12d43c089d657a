"""A figure with its options popover as one ``st.fragment`` (issue 20: a rerun does only what
changed).

A change of one of the figure's options (title, palette, size, ...) or a click in its export
panel reruns this figure alone: not the sidebar, the model fits, the tables or the other
figures of the page. The page's "Download all" ZIP and its report section read the redrawn
figure at the click (:func:`hccdash.ui.report_view.update_report_figure`; ``figures`` is the
page's own dict, updated in place).

For a figure whose options change nothing else on the page (the Cox page's forest and
residual plots); the Kaplan-Meier page's options also set the HR text and reference level
beside its figures, so its fragment holds those lines too (:mod:`hccdash.ui.km_fragment`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import plotly.graph_objects as go

from hccdash.export import PresetFigure
from hccdash.plotting.spec import FigureSpec
from hccdash.ui.common import guarded
from hccdash.ui.figure_panel import figure_panel, show_spec_figure
from hccdash.ui.fragments import session_fragment
from hccdash.ui.report_view import update_report_figure


@session_fragment(slot="key")
def spec_figure(
    panel: Mapping[str, Any],
    build: Callable[[FigureSpec, float | None], go.Figure],
    name: str,
    key: str,
    figures: MutableMapping[str, object],
    *,
    ident: tuple,
    page: str,
    what: str = "The figure",
) -> None:
    """``figure_panel(**panel)`` and ``show_spec_figure(build, ...)``, rerun on their own.

    Parameters
    ----------
    panel : mapping
        Keyword arguments of :func:`hccdash.ui.figure_panel.figure_panel` (``key``, ``kind``,
        ``prefix``, ``defaults``).
    build, name, key, ident
        As for :func:`hccdash.ui.figure_panel.show_spec_figure`.
    figures : dict
        The page's figures for its "Download all" ZIP: ``figures[name]`` is set on every run.
    page : str
        The page's report section (``ReportSection.page``) that holds this figure.
    """
    with guarded(what):
        spec = figure_panel(**panel)
        fig = PresetFigure(show_spec_figure(build, spec, name, key, ident=ident), spec.preset)
        figures[name] = fig
        update_report_figure(page, name, fig)

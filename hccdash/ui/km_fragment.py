"""The Kaplan-Meier page's figures with their options panel as one ``st.fragment`` (issue 20).

A change of a figure option (title, palette, size, reference level of the HR, ...) reruns
this block alone: the options popover, each endpoint's heading, figure, test and HR lines.
The sidebar, the page's widgets, the median, landmark and pairwise tables, the "Download
all" ZIP and the report box are not rerun; the ZIP and the report read the redrawn figures
(``figures`` is the page's own dict, updated in place; the report's stored section through
:func:`hccdash.ui.report_view.update_report_figure`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

import streamlit as st

from hccdash.schema import Endpoint
from hccdash.ui.common import guarded
from hccdash.ui.figure_panel import figure_panel
from hccdash.ui.fragments import session_fragment
from hccdash.ui.km_view import Grouping, KMOptions, render_km_figure
from hccdash.ui.report_view import update_report_figure


@session_fragment(slot="page")
def km_figures(
    panel: Mapping[str, Any],
    g: Grouping,
    endpoints: Sequence[Endpoint],
    opts: KMOptions,
    entries: Mapping[str, str | None],
    figures: MutableMapping[str, object],
    *,
    page: str = "km",
) -> None:
    """``figure_panel(**panel)``, then side by side per endpoint :func:`render_km_figure`.

    Parameters
    ----------
    panel : mapping
        Keyword arguments of :func:`hccdash.ui.figure_panel.figure_panel`.
    g, opts : the page's grouping and test/table options.
    endpoints : the endpoints drawn (one column each).
    entries : endpoint key -> its delayed-entry column (or None).
    figures : dict
        The page's figures for its ZIP and report: ``figures["km_<endpoint>"]`` is set on
        every run of the fragment.
    page : str
        The report section (``ReportSection.page``) holding these figures.
    """

    def draw(ep: Endpoint, spec, width: float):
        return render_km_figure(
            g, ep, opts, key=f"km_{ep.key}", spec=spec, screen_width=width,
            entry=entries.get(ep.key),
        )  # fmt: skip

    draw_figures(panel, endpoints, figures, page, draw)


def draw_figures(
    panel: Mapping[str, Any],
    endpoints: Sequence[Endpoint],
    figures: MutableMapping[str, object],
    page: str,
    draw: Callable[[Endpoint, Any, float], object | None],
) -> None:
    """The options panel, then side by side per endpoint ``draw(endpoint, spec, width)``;
    each drawn figure goes to ``figures["km_<endpoint>"]`` and the page's report section.
    The one body of the KM figures fragment, rows in memory or served
    (:func:`hccdash.ui.served_km.km_figures`)."""
    with guarded("The figure options"):
        spec = figure_panel(**panel)
        cols = st.columns(len(endpoints))
        width = 1100 if len(endpoints) == 1 else 620
        for col, ep in zip(cols, endpoints, strict=True):
            with col:
                fig = draw(ep, spec, width)
            name = f"km_{ep.key}"
            if fig is None:
                figures.pop(name, None)
                continue
            figures[name] = fig
            update_report_figure(page, name, fig)

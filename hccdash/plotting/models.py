"""Figures of the risk-models page, built from :mod:`hccdash.models` results."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from hccdash.models import PatientPrediction
from hccdash.plotting.common import nice_step
from hccdash.style import OKABE_ITO, style_spec, template

# Okabe-Ito, fixed per model so the three curves keep their colour across figures.
_MODEL_COLOURS = {
    "cox": OKABE_ITO["blue"],
    "coxnet": OKABE_ITO["bluish_green"],
    "rsf": OKABE_ITO["vermillion"],
}


def predicted_survival_figure(
    pred: PatientPrediction,
    *,
    time_unit: str = "months",
    title: str | None = None,
    style: str = "screen",
) -> go.Figure:
    """Step plot of each model's predicted survival, with the matching patients' KM (dashed).

    Takes a computed :class:`~hccdash.models.PatientPrediction`; computes nothing.
    """
    width = style_spec(style).line_width
    fig = go.Figure()
    for c in pred.curves:
        fig.add_trace(
            go.Scatter(
                x=c.time,
                y=c.surv,
                mode="lines",
                line={"shape": "hv", "color": _MODEL_COLOURS.get(c.model), "width": width},
                name=f"{c.label} (predicted)",
            )
        )
    km = pred.matched_km
    if km is not None and km.curves:
        curve = km.curves[0]
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([[0.0], curve.time]),
                y=np.concatenate([[1.0], curve.surv]),
                mode="lines",
                line={"shape": "hv", "color": OKABE_ITO["black"], "dash": "dash", "width": width},
                name=f"Matching patients, Kaplan-Meier (n={pred.matched_n})",
            )
        )
    span = max((float(c.time[-1]) for c in pred.curves), default=0.0)
    fig.update_layout(
        title=title or "Predicted survival for the hypothetical patient",
        xaxis_title=f"Time ({time_unit})",
        xaxis={"dtick": nice_step(span, time_unit)} if span > 0 else {},
        yaxis_title="Survival probability",
        yaxis={"range": [0, 1.02]},
        template=template(style),
        legend={"y": -0.18, "yanchor": "top"},
    )
    return fig

"""The KM page's landmark and RMST tables, shared by the in-memory and the served paths.

Both take a computed :class:`~hccdash.nonparametric.KMResult` (from the rows or from the
engine's count table), so the two paths show the same tables from one piece of code.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from hccdash.nonparametric import landmark_table, rmst_table
from hccdash.report.survival_tables import landmark_model, rmst_model
from hccdash.schema import Endpoint
from hccdash.ui.common import guarded
from hccdash.ui.table_view import p_style, render_table_model

__all__ = ["render_landmarks", "render_rmst"]


def render_landmarks(
    km, endpoint: Endpoint, opts, divisor: float, group_label: str | None, key: str,
    out: dict[str, pd.DataFrame], report: list | None,
) -> None:  # fmt: skip
    """Survival at ``opts.landmarks`` per group (R ``summary(fit, times =)``)."""
    if not opts.landmarks:
        return
    with guarded("The landmark table"):
        lt = landmark_table(km, list(opts.landmarks))
        lm = lt.to_frame()
        lm["time"] = lm["time"] / divisor
        lm["group"] = lm["group"].fillna("All")
        lm = lm.rename(columns={"time": f"time ({opts.time_unit})"})
        out[f"landmarks_{endpoint.key}"] = lm
        model = landmark_model(
            lt, endpoint, group_label=group_label, divisor=divisor, unit=opts.time_unit
        )
        model = replace(model, details=lm)
        render_table_model(model, f"{key}_landmarks")
        if report is not None:
            report.append(model)


def render_rmst(
    km, endpoint: Endpoint, opts, divisor: float, group_label: str | None, key: str,
    out: dict[str, pd.DataFrame], report: list | None,
) -> None:  # fmt: skip
    """Restricted mean survival per group up to ``opts.rmst_tau`` (months; None: the shortest
    group follow-up) and each group's difference from the reference."""
    with guarded("The restricted mean survival table"):
        model = rmst_model(
            rmst_table(km, opts.rmst_tau),
            endpoint,
            group_label=group_label,
            divisor=divisor,
            unit=opts.time_unit,
            p_style=p_style(),
        )
        out[f"rmst_{endpoint.key}"] = model.details
        render_table_model(model, f"{key}_rmst")
        if report is not None:
            report.append(model)

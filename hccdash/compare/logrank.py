"""The overall, stratified and trend tests across groups (R ``survdiff``, Stata trend)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hccdash.compare.kernel import (
    _check_method,
    _compute,
    check_groups,
    default_scores,
    no_events_error,
    survdiff_result,
    trend_result,
)
from hccdash.compare.results import SurvdiffResult, TrendResult
from hccdash.errors import InputError
from hccdash.nonparametric import _prepare, group_codes

if TYPE_CHECKING:
    import pandas as pd

    from hccdash.survdata import SurvData


def _need_group(group: str | None) -> str:
    if group is None:
        raise InputError("Comparing curves needs a group column; choose one.")
    return group


def _groups_or_raise(group: str, labels: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    sizes = np.bincount(codes, minlength=len(labels))
    check_groups(group, labels, sizes)
    return sizes


def survdiff(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    *,
    method: str = "logrank",
    p: float = 0.0,
    q: float = 0.0,
    strata: str | None = None,
    levels: Sequence[str] | None = None,
) -> SurvdiffResult:
    """Test equality of survival curves across groups, as R ``survdiff``.

    Parameters
    ----------
    data : pandas.DataFrame or hccdash.survdata.SurvData
        One row per patient, or the validated survival data (``time`` and ``event`` may
        then be left out; the group column comes from its frame).
    time, event, group : str
        Columns: follow-up time, event (1/0) and the grouping variable.
    method : {"logrank", "wilcoxon", "tarone-ware", "peto", "fleming-harrington"}
        Weights (module docstring): log-rank = ``survdiff(rho=0)``, "peto" =
        ``survdiff(rho=1)``, "wilcoxon" = Gehan-Breslow (SPSS "Breslow").
    p, q : float
        Fleming-Harrington exponents (``method="fleming-harrington"`` only).
    strata : str, optional
        Stratification column: ``survdiff(Surv(time, event) ~ group + strata(s))``.
    levels : sequence of str, optional
        Group levels to compare, in order; other rows are left out.

    Returns
    -------
    SurvdiffResult

    Raises
    ------
    hccdash.errors.AnalysisError
        Fewer than 2 groups with data, or no events.
    hccdash.errors.InputError
        Bad input or an unknown method.
    """
    from hccdash.survdata import SurvData  # rows only: not on the engine's import path

    _check_method(method, p, q)
    group = _need_group(group)
    extra = [strata] if strata is not None else []
    t, e, codes, labels, _, keep = _prepare(data, time, event, group, levels, extra)
    event = data.event_col if isinstance(data, SurvData) else event
    sizes = _groups_or_raise(group, labels, codes)
    events = np.bincount(codes, weights=e, minlength=len(labels))
    if events.sum() == 0:
        raise no_events_error(event, t.size)
    frame = data.frame if isinstance(data, SurvData) else data
    scodes = group_codes(frame[strata])[0][keep] if strata is not None else None
    k = len(labels)
    obs, exp, var = _compute(t, e, codes, k, scodes, method, p, q)
    return survdiff_result(method, labels, sizes, events, obs, exp, var, p=p, q=q, strata=strata)


def trend_test(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    *,
    scores: Sequence[float] | None = None,
    levels: Sequence[str] | None = None,
) -> TrendResult:
    """Log-rank test for trend across ordered levels (1 df).

    With O - E and V from ``survdiff`` (log-rank) and a score s per level,
    chisq = (s'(O - E))^2 / (s' V s). Default scores: the level values when all are numbers,
    else 1, 2, ..., k in level order. Same as Stata ``sts test g, trend``.

    Parameters
    ----------
    data : pandas.DataFrame
    time, event, group : str
    scores : sequence of float, optional
        One score per level (in ``levels`` order).
    levels : sequence of str, optional
        Level order; default observed levels sorted.

    Returns
    -------
    TrendResult

    Raises
    ------
    hccdash.errors.AnalysisError
        Fewer than 2 levels with data, no events, or scores with no spread.
    """
    from hccdash.survdata import SurvData  # rows only: not on the engine's import path

    group = _need_group(group)
    res = survdiff(data, time, event, group, levels=levels)
    if scores is None:
        s = default_scores(res.groups)
    else:
        all_levels = tuple(str(v) for v in levels) if levels is not None else None
        if all_levels is None:
            frame = data.frame if isinstance(data, SurvData) else data
            _, all_levels = group_codes(frame[group].dropna())
        if len(scores) != len(all_levels):
            raise InputError(
                f"{len(scores)} scores were given for {len(all_levels)} levels of {group!r} "
                f"({', '.join(map(repr, all_levels))}). Give one score per level."
            )
        lookup = dict(zip(all_levels, scores, strict=True))
        s = np.array([float(lookup[g]) for g in res.groups])
    return trend_result(res, s, group)

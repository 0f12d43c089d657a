"""Landmark analysis for factors known only after baseline (e.g. tumour response).

Comparing patients by a factor that is only known at some time after the start (responders
vs non-responders at 3 months) from time 0 gives the responders a head start: to be
classed a responder one must survive until the assessment ("guarantee-time" or
immortal-time bias, Anderson, Cain & Gelber 1983). The landmark method fixes a time L,
keeps only the patients still under follow-up and event-free after L (``time > L``), classes
them by the factor as known at L, and compares survival from L on (time - L).

R: ``d2 <- subset(d, time > L); d2$time <- d2$time - L``; then
``survfit(Surv(time, event) ~ factor, d2)``, ``survdiff(...)`` and ``coxph(...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash.compare import SurvdiffResult, survdiff
from hccdash.cox import CoxResult, cox_fit
from hccdash.errors import AnalysisError, HccdashError, InputError
from hccdash.nonparametric import KMResult, kaplan_meier

__all__ = ["LANDMARK_WHY", "LandmarkResult", "landmark_analysis", "landmark_data"]

LANDMARK_WHY = (
    "A factor known only after the start of follow-up (such as response to treatment) "
    "cannot be compared from time 0: patients must survive long enough to be classed as "
    "responders, which flatters them (guarantee-time bias). The landmark analysis keeps the "
    "patients alive and under follow-up at the landmark, classes them by the factor as "
    "known then, and compares survival from the landmark on."
)


@dataclass(frozen=True)
class LandmarkResult:
    """The landmark cohort and its KM curves, log-rank test and Cox model."""

    landmark: float
    factor: str
    n_kept: int
    events_before: int
    censored_before: int
    data: pd.DataFrame = field(repr=False)
    km: KMResult | None = field(default=None, repr=False)
    logrank: SurvdiffResult | None = field(default=None, repr=False)
    cox: CoxResult | None = field(default=None, repr=False)
    messages: tuple[str, ...] = ()


def landmark_data(data: pd.DataFrame, time: str, event: str, landmark: float) -> pd.DataFrame:
    """Rows with ``time > landmark``, time measured from the landmark (a copy).

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1.0, 3.0, 5.0], "e": [1, 0, 1]})
    >>> landmark_data(d, "t", "e", 2.0)["t"].tolist()
    [1.0, 3.0]
    """
    if not np.isfinite(landmark) or landmark < 0:
        raise InputError(f"The landmark time must be a number >= 0, got {landmark!r}.")
    t = pd.to_numeric(data[time], errors="coerce")
    out = data.loc[t > landmark].copy()
    out[time] = t[t > landmark] - landmark
    return out


def landmark_analysis(
    data: pd.DataFrame,
    time: str,
    event: str,
    factor: str,
    landmark: float,
    *,
    covariates: Sequence[str] = (),
    conf_type: str = "log-log",
) -> LandmarkResult:
    """KM, log-rank and Cox by ``factor`` from the landmark on (module docstring)."""
    for c in (time, event, factor, *covariates):
        if c not in data.columns:
            raise InputError(f"Column {c!r} is not in the data; choose an existing column.")
    t = pd.to_numeric(data[time], errors="coerce")
    e = pd.to_numeric(data[event], errors="coerce")
    before = t <= landmark
    ev_b = int((before & (e == 1)).sum())
    cens_b = int((before & (e == 0)).sum())
    d2 = landmark_data(data, time, event, landmark)
    if len(d2) == 0:
        raise AnalysisError(
            f"No patient is still followed after the landmark {landmark:g} ({ev_b} had the "
            f"event and {cens_b} were censored by then). Choose an earlier landmark."
        )
    msgs = []
    km = lr = cx = None
    try:
        km = kaplan_meier(d2, time, event, factor, conf_type=conf_type)
    except HccdashError as exc:
        msgs.append(str(exc))
    try:
        lr = survdiff(d2, time, event, factor)
    except HccdashError as exc:
        msgs.append(str(exc))
    try:
        cx = cox_fit(d2, time, event, [factor, *covariates], categorical=[factor])
    except HccdashError as exc:
        msgs.append(str(exc))
    return LandmarkResult(
        landmark=float(landmark),
        factor=factor,
        n_kept=len(d2),
        events_before=ev_b,
        censored_before=cens_b,
        data=d2,
        km=km,
        logrank=lr,
        cox=cx,
        messages=tuple(msgs),
    )

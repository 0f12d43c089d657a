"""What-if patient: each fitted model's predicted survival for a hypothetical profile, and
the Kaplan-Meier curve of the real patients who match it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash.errors import InputError
from hccdash.models.data import ModelData
from hccdash.models.estimators import FittedModel
from hccdash.nonparametric import KMResult, kaplan_meier


@dataclass(frozen=True)
class PredictedCurve:
    """One model's predicted survival curve for the hypothetical patient.

    ``median`` is None when the curve does not fall to 0.5 within the training follow-up;
    ``surv_at`` pairs (time, survival) with survival None beyond the last training time.
    """

    model: str
    label: str
    time: np.ndarray = field(compare=False)
    surv: np.ndarray = field(compare=False)
    median: float | None = None
    surv_at: tuple[tuple[float, float | None], ...] = ()


@dataclass(frozen=True)
class PatientPrediction:
    """Predicted curves for a hypothetical patient and the KM of matching real patients.

    Attributes
    ----------
    patient : tuple of (str, object)
        The hypothetical feature values.
    curves : tuple of PredictedCurve
    matched_n, matched_events : int
        Real patients matching the profile (same level of every categorical feature, numeric
        features within half a standard deviation).
    matched_km : hccdash.nonparametric.KMResult or None
    match_rule : str
    messages : tuple of str
    """

    patient: tuple[tuple[str, object], ...]
    curves: tuple[PredictedCurve, ...]
    matched_n: int
    matched_events: int
    matched_km: KMResult | None = field(default=None, compare=False)
    match_rule: str = ""
    messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per model: model, predicted median, and survival at each requested time."""
        rows = []
        for c in self.curves:
            row: dict[str, object] = {"model": c.label, "median": c.median}
            for t, s in c.surv_at:
                row[f"surv_{t:g}"] = s
            rows.append(row)
        return pd.DataFrame(rows)

    def curves_frame(self) -> pd.DataFrame:
        """Long table of every predicted curve: model, time, surv."""
        parts = [
            pd.DataFrame({"model": c.label, "time": c.time, "surv": c.surv}) for c in self.curves
        ]
        return (
            pd.concat(parts, ignore_index=True)
            if parts
            else pd.DataFrame(columns=["model", "time", "surv"])
        )


def _patient_row(md: ModelData, patient: Mapping[str, object]) -> pd.DataFrame:
    missing = [f for f in md.features if f not in patient]
    if missing:
        raise InputError(f"The hypothetical patient has no value for {missing!r}: set them.")
    levels = md.level_map()
    row = {}
    for f in md.features:
        v = patient[f]
        if f in levels:
            v = str(v)
            if v not in levels[f]:
                raise InputError(
                    f"Feature {f!r}: level {v!r} is not in the modelled data; choose one of "
                    f"{list(levels[f])!r}."
                )
        else:
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise InputError(f"Feature {f!r}: {v!r} is not a number.") from None
        row[f] = v
    return pd.DataFrame([row], columns=list(md.features))


def predict_patient(
    fitted: Sequence[FittedModel],
    md: ModelData,
    patient: Mapping[str, object],
    *,
    times: Sequence[float] = (12.0, 24.0),
) -> PatientPrediction:
    """Predicted survival of a hypothetical patient from each fitted model.

    Parameters
    ----------
    fitted : sequence of FittedModel
        Models fitted on ``md`` (failed fits are skipped with a message).
    md : ModelData
    patient : mapping
        Feature -> value (level string for categorical features).
    times : sequence of float
        Times at which to report predicted survival (default 12 and 24 months).
    """
    row = _patient_row(md, patient)
    curves = []
    msgs = []
    for fm in fitted:
        if not fm.ok:
            msgs.extend(fm.messages)
            continue
        fn = fm.pipeline.predict_survival_function(row)[0]
        x = np.asarray(fn.x, dtype=float)
        s = np.asarray(fn(x), dtype=float)
        t = np.concatenate([[0.0], x])
        s = np.concatenate([[1.0], s])
        below = np.flatnonzero(s <= 0.5)
        median = float(t[below[0]]) if len(below) else None
        at = []
        for q in times:
            if q > x[-1]:
                at.append((float(q), None))
            else:
                at.append((float(q), float(fn(q)) if q >= fn.domain[0] else 1.0))
        curves.append(PredictedCurve(fm.kind, fm.label, t, s, median, tuple(at)))
    # Matching real patients.
    mask = np.ones(md.n, dtype=bool)
    rule = []
    for f in md.features:
        v = row[f].iloc[0]
        if f in md.categorical:
            mask &= (md.X[f] == v).to_numpy()
            rule.append(f"{f} = {v}")
        else:
            sd = float(md.X[f].std(ddof=1)) if md.n > 1 else 0.0
            half = 0.5 * sd
            mask &= (np.abs(md.X[f] - v) <= half + 1e-12).to_numpy()
            rule.append(f"{f} within {v:g} ± {half:.3g}")
    matched_n = int(mask.sum())
    matched_events = int(md.event[mask].sum())
    km = None
    if matched_n == 0:
        msgs.append(
            "No real patient matches this profile, so there is no observed curve beside it."
        )
    else:
        frame = pd.DataFrame(
            {md.time_column: md.time[mask], md.event_column: md.event[mask].astype(int)}
        )
        km = kaplan_meier(frame, md.time_column, md.event_column)
        if matched_n < 5:
            msgs.append(
                f"Only {matched_n} real patient(s) match this profile: their curve is anecdote."
            )
    patient_t = tuple((f, row[f].iloc[0]) for f in md.features)
    return PatientPrediction(
        patient_t, tuple(curves), matched_n, matched_events, km, "; ".join(rule), tuple(msgs)
    )

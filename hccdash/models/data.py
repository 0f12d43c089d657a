"""Complete-case design of a risk model: which columns are features, their encoding and
level order (:class:`ModelData`, :func:`prepare`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sksurv.util import Surv

from hccdash.errors import AnalysisError, InputError, preview_labels
from hccdash.schema import ENDPOINTS, PATIENT_ID, Endpoint
from hccdash.survdata import SurvData, as_surv

MODEL_KINDS: tuple[str, ...] = ("cox", "coxnet", "rsf")
MODEL_LABELS: dict[str, str] = {
    "cox": "Cox (unpenalised)",
    "coxnet": "Elastic-net Cox",
    "rsf": "Random survival forest",
}
# Columns that are outcomes, not baseline predictors: offering them as features would leak
# the outcome into the model (failure mode is only known after progression).
# Likewise response, toxicity and symptom relief are observed during or after treatment.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "failure_pattern",
    "intrahepatic_response",
    "extrahepatic_response",
    "response",
    "best_response",
    "bone_pain_relief",
    "tace_fever",
    "tace_transaminase_rise",
)
OUTCOME_PREFIXES: tuple[str, ...] = ("tox_",)
_MAX_LEVELS = 12


@dataclass(frozen=True)
class ModelData:
    """The complete-case design for one endpoint and feature set.

    Attributes
    ----------
    endpoint : str
        Endpoint key (``"os"``/``"pfs"``).
    time_column, event_column : str
        Canonical columns used.
    features : tuple of str
        Feature columns in the user's order.
    categorical, numeric : tuple of str
        How each feature is encoded.
    levels : tuple of (str, tuple of str)
        Level order of each categorical feature; the first level is the reference.
    X : pandas.DataFrame
        Feature values of the complete cases (categoricals as str).
    time, event : numpy.ndarray
        Follow-up time and event indicator (bool) of the complete cases.
    ids : tuple of str
        Patient labels of the complete cases.
    n, events, dropped : int
        Complete cases, events among them, rows dropped as incomplete.
    n_parameters : int
        Columns after encoding (one per numeric feature, levels - 1 per categorical).
    messages : tuple of str
        Features left out because they have a single value among the modelled patients.
    """

    endpoint: str
    time_column: str
    event_column: str
    features: tuple[str, ...]
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    levels: tuple[tuple[str, tuple[str, ...]], ...]
    X: pd.DataFrame = field(repr=False, compare=False)
    time: np.ndarray = field(repr=False, compare=False)
    event: np.ndarray = field(repr=False, compare=False)
    ids: tuple[str, ...] = field(repr=False)
    n: int
    events: int
    dropped: int
    n_parameters: int
    messages: tuple[str, ...] = ()

    @property
    def y(self) -> np.ndarray:
        """The scikit-survival structured outcome array."""
        return Surv.from_arrays(self.event, self.time)

    @property
    def events_per_variable(self) -> float:
        """Events divided by encoded parameters (``inf`` with no parameters)."""
        return self.events / self.n_parameters if self.n_parameters else math.inf

    def level_map(self) -> dict[str, tuple[str, ...]]:
        """Categorical feature -> level order."""
        return dict(self.levels)

    def to_frame(self) -> pd.DataFrame:
        """The modelled rows: id, time, event and features."""
        out = self.X.copy()
        out.insert(0, self.event_column, self.event.astype(int))
        out.insert(0, self.time_column, self.time)
        out.insert(0, PATIENT_ID, list(self.ids))
        return out.reset_index(drop=True)


def resolve_endpoint(endpoint: str | Endpoint) -> Endpoint:
    """The :class:`~hccdash.schema.Endpoint` for a key (``"os"``), a label or an Endpoint."""
    if isinstance(endpoint, Endpoint):
        return endpoint
    for e in ENDPOINTS:
        if endpoint in (e.key, e.label):
            return e
    keys = [e.key for e in ENDPOINTS]
    raise InputError(f"Unknown endpoint {endpoint!r}: choose one of {keys}.")


def candidate_features(data: pd.DataFrame, endpoint_columns: Sequence[str] = ()) -> tuple[str, ...]:
    """Columns usable as baseline features.

    Every column except the patient id, the endpoints' time/event columns (the canonical OS
    and PFS ones and ``endpoint_columns``: a cohort's other endpoints, their entry and
    event-type columns) and known outcome columns (failure mode, response, toxicity: observed
    after baseline, so using them would leak the outcome), that has at least two distinct
    values and is numeric or has at most 12 levels.
    """
    skip = {PATIENT_ID, *OUTCOME_COLUMNS, *endpoint_columns}
    skip |= {c for e in ENDPOINTS for c in (e.time, e.event)}
    out = []
    for col in data.columns:
        if col in skip or str(col).startswith(OUTCOME_PREFIXES):
            continue
        values = data[col].dropna()
        n_unique = values.nunique()
        if n_unique < 2:
            continue
        if pd.api.types.is_numeric_dtype(values) or n_unique <= _MAX_LEVELS:
            out.append(col)
    return tuple(out)


def default_features(data: pd.DataFrame, preferred: Sequence[str] | None = None) -> tuple[str, ...]:
    """A small default feature set: the ``preferred`` columns when present (default: the
    treatment, liver-function, KPS and thrombus roles' canonical columns; a page passes the
    cohort's role columns, ``Cohort.role``), else the first three candidates.

    Kept to a handful on purpose: a 21-patient cohort supports very few parameters.
    """
    if preferred is None:
        preferred = ("treatment", "child_pugh", "kps", "pvtt")
    cand = candidate_features(data)
    chosen = tuple(c for c in preferred if c in cand)
    return chosen or cand[:3]


def _level_order(data: pd.DataFrame, column: str) -> tuple[str, ...]:
    """A Categorical column's own order (the codebook's, see ``Cohort.as_categorical``),
    else R's: sorted, the first level is the reference."""
    col = data[column]
    values = col.dropna().astype(str)
    present = set(values.unique())
    if isinstance(col.dtype, pd.CategoricalDtype):
        ordered = tuple(str(v) for v in col.cat.categories if str(v) in present)
        return ordered + tuple(sorted(present - set(ordered)))
    return tuple(sorted(present))


def prepare(
    data: pd.DataFrame | SurvData,
    endpoint: str | Endpoint,
    features: Sequence[str],
    *,
    categorical: Sequence[str] | None = None,
) -> ModelData:
    """Build the complete-case design for a model.

    Parameters
    ----------
    data : pandas.DataFrame or SurvData
        Cohort in the canonical schema (already filtered), or its validated survival data
        (:class:`~hccdash.survdata.SurvData` of the endpoint, whose frame holds the features):
        used as it is, the times and events are not validated again.
    endpoint : str or Endpoint
        ``"os"``, ``"pfs"`` or an :class:`~hccdash.schema.Endpoint`.
    features : sequence of str
        Feature columns.
    categorical : sequence of str, optional
        Features to treat as categorical; default: every non-numeric feature.

    Returns
    -------
    ModelData

    Raises
    ------
    InputError
        A column is missing, a time is negative or an event is not 0/1.
    AnalysisError
        No features, fewer than 2 complete cases or no events.
    """
    if isinstance(data, SurvData) and isinstance(endpoint, str):
        known = {k for e in ENDPOINTS for k in (e.key, e.label)}
        if endpoint not in known:  # a codebook's endpoint ("rfs"): the data name its columns
            endpoint = Endpoint(endpoint, endpoint.upper(), data.time_col, data.event_col)
    ep = resolve_endpoint(endpoint)
    surv = as_surv(data, ep.time, ep.event) if isinstance(data, SurvData) else None
    if surv is not None:
        data = surv.frame
    features = tuple(dict.fromkeys(features))
    if not features:
        raise AnalysisError("No features chosen: pick at least one column to model.")
    missing = [c for c in (ep.time, ep.event, *features) if c not in data.columns]
    if missing:
        raise InputError(
            f"Column(s) {missing!r} are not in the cohort: choose features among "
            f"{list(candidate_features(data))!r}."
        )
    cat = (
        tuple(c for c in features if c in set(categorical))
        if categorical is not None
        else tuple(c for c in features if not pd.api.types.is_numeric_dtype(data[c]))
    )
    num = tuple(c for c in features if c not in cat)
    for c in num:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise InputError(f"Column {c!r} is not numeric: treat it as categorical.")
    if surv is not None:  # validated once when it was built: its arrays as they are
        frame = data[list(features)].copy()
        complete = ~surv.missing & frame.notna().all(axis=1).to_numpy()
        frame = frame[complete]
        frame.insert(0, ep.event, surv.event[complete].astype(float))
        frame.insert(0, ep.time, surv.time[complete])
        dropped = int((~complete).sum())
    else:
        frame = data[[ep.time, ep.event, *features]].copy()
        frame[ep.time] = pd.to_numeric(frame[ep.time], errors="coerce")
        frame[ep.event] = pd.to_numeric(frame[ep.event], errors="coerce")
        complete = frame.notna().all(axis=1)
        dropped = int((~complete).sum())
        frame = frame[complete]
    ids = (
        data.loc[frame.index, PATIENT_ID].astype(str)
        if PATIENT_ID in data.columns
        else pd.Series(frame.index.astype(str), index=frame.index)
    )
    if surv is None:  # a DataFrame: its times and events are checked here
        bad_time = frame[ep.time] < 0
        if bad_time.any():
            raise InputError(
                f"Column {ep.time!r}: {int(bad_time.sum())} row(s) have a negative time "
                f"({preview_labels(ids[bad_time].tolist())}), e.g. "
                f"{frame.loc[bad_time, ep.time].iloc[0]!r}: correct or remove them."
            )
        bad_event = ~frame[ep.event].isin([0, 1])
        if bad_event.any():
            raise InputError(
                f"Column {ep.event!r}: {int(bad_event.sum())} row(s) are not 0/1 "
                f"({preview_labels(ids[bad_event].tolist())}), e.g. "
                f"{frame.loc[bad_event, ep.event].iloc[0]!r}: code events as 1 and censoring as 0."
            )
    if len(frame) < 2:
        raise AnalysisError(
            f"Only {len(frame)} patient(s) have {ep.label.lower()} and all of {list(features)!r}"
            f" ({dropped} dropped as incomplete): widen the filters or pick other features."
        )
    event = frame[ep.event].to_numpy(dtype=bool)
    if not event.any():
        raise AnalysisError(
            f"No {ep.label.lower()} events among the {len(frame)} complete cases: "
            "a survival model needs events; widen the filters."
        )
    X = frame[list(features)].copy()
    notes = []
    constant = [c for c in features if X[c].nunique() < 2]
    for c in constant:
        notes.append(
            f"{c!r} has the single value {X[c].iloc[0]!r} among the {len(X)} patients modelled, "
            "so it cannot predict anything and was left out."
        )
    if len(constant) == len(features):
        raise AnalysisError(
            f"Every chosen feature has a single value among the {len(X)} patients "
            f"({', '.join(repr(c) for c in constant)}): pick other features or widen the filters."
        )
    features = tuple(c for c in features if c not in constant)
    cat = tuple(c for c in cat if c not in constant)
    num = tuple(c for c in num if c not in constant)
    X = X[list(features)]
    levels = []
    for c in cat:
        levels.append((c, _level_order(X, c)))
        X[c] = X[c].astype(str)
    for c in num:
        X[c] = X[c].astype(float)
    n_par = len(num) + sum(max(len(lv) - 1, 0) for _, lv in levels)
    return ModelData(
        endpoint=ep.key,
        time_column=ep.time,
        event_column=ep.event,
        features=features,
        categorical=cat,
        numeric=num,
        levels=tuple(levels),
        X=X.reset_index(drop=True),
        time=frame[ep.time].to_numpy(dtype=float),
        event=event,
        ids=tuple(ids.tolist()),
        n=len(frame),
        events=int(event.sum()),
        dropped=dropped,
        n_parameters=n_par,
        messages=tuple(notes),
    )


def _subset(md: ModelData, idx: np.ndarray) -> ModelData:
    return replace(
        md,
        X=md.X.iloc[idx].reset_index(drop=True),
        time=md.time[idx],
        event=md.event[idx],
        ids=tuple(md.ids[i] for i in idx),
        n=len(idx),
        events=int(md.event[idx].sum()),
        dropped=0,
    )

"""Prognostic risk models (scikit-survival) and their honest validation.

Three models from scikit-survival predict survival from user-picked baseline features: a Cox
model (``CoxPHSurvivalAnalysis``), an elastic-net Cox model (``CoxnetSurvivalAnalysis``, its
penalty chosen by an inner cross-validation inside every training set), and a random survival
forest (``RandomSurvivalForest``). Each is a scikit-learn ``Pipeline``: categorical features
are one-hot encoded with the reference (first) level dropped, numeric features standardised
for the Cox models.

Validation is out-of-sample and seeded: repeated K-fold cross-validation stratified by event
status, or Harrell's optimism-corrected bootstrap. Metrics: Harrell's C, Uno's C (IPCW,
truncated at ``tau``), cumulative/dynamic AUC at chosen times (the forest ranked by its
cumulative hazard at each time, since its curves may cross), and the integrated Brier score
beside the Kaplan-Meier null model's. A metric that cannot be computed in a fold (no events,
no comparable pairs, times outside the fold's follow-up) is skipped and reported as a plain
message; nothing here raises for a too-small cohort except :func:`prepare` when there is
nothing to model at all.

Everything returns frozen dataclasses with ``to_frame()``; no streamlit here.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy.linalg import LinAlgWarning
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sksurv.ensemble import RandomSurvivalForest
from sksurv.linear_model import CoxnetSurvivalAnalysis, CoxPHSurvivalAnalysis
from sksurv.metrics import (
    concordance_index_censored,
    concordance_index_ipcw,
    cumulative_dynamic_auc,
    integrated_brier_score,
)
from sksurv.nonparametric import kaplan_meier_estimator
from sksurv.util import Surv

from hccdash.compare import SurvdiffResult, survdiff
from hccdash.errors import AnalysisError, InputError, preview_labels
from hccdash.figures import nice_step
from hccdash.nonparametric import KMResult, kaplan_meier
from hccdash.schema import ENDPOINTS, PATIENT_ID, Endpoint
from hccdash.style import OKABE_ITO, style_spec, template

MODEL_KINDS: tuple[str, ...] = ("cox", "coxnet", "rsf")
MODEL_LABELS: dict[str, str] = {
    "cox": "Cox (unpenalised)",
    "coxnet": "Elastic-net Cox",
    "rsf": "Random survival forest",
}
METRIC_LABELS: dict[str, str] = {
    "harrell_c": "Harrell's C",
    "uno_c": "Uno's C",
    "auc": "Time-dependent AUC",
    "ibs": "Integrated Brier score",
    "ibs_null": "Integrated Brier score (Kaplan-Meier null)",
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


# --------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------
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


def candidate_features(data: pd.DataFrame) -> tuple[str, ...]:
    """Columns usable as baseline features.

    Every column except the patient id, the endpoints' time/event columns and known outcome
    columns (failure mode, response, toxicity: observed after baseline, so using them would
    leak the outcome), that has at least two distinct values and is numeric or has at most
    12 levels.
    """
    skip = {PATIENT_ID, *OUTCOME_COLUMNS} | {c for e in ENDPOINTS for c in (e.time, e.event)}
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
    data: pd.DataFrame,
    endpoint: str | Endpoint,
    features: Sequence[str],
    *,
    categorical: Sequence[str] | None = None,
) -> ModelData:
    """Build the complete-case design for a model.

    Parameters
    ----------
    data : pandas.DataFrame
        Cohort in the canonical schema (already filtered).
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
    ep = resolve_endpoint(endpoint)
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


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------
def _risk_c(event: np.ndarray, time: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C; ValueError (like scikit-survival's) when it is undefined."""
    if not np.all(np.isfinite(risk)):
        raise ValueError("predictions are not finite")
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 is checked just below
        c = float(concordance_index_censored(event, time, risk)[0])
    if not math.isfinite(c):
        raise ValueError("Data has no comparable pairs")
    return c


_ALL_ZERO = "all coefficients are zero"


class CoxnetCV(BaseEstimator):
    """Elastic-net Cox whose penalty ``alpha`` is chosen by inner K-fold CV (Harrell's C).

    The alpha path is computed on the training data; every inner fold refits the path and
    scores held-out Harrell's C per alpha; the largest alpha within the best mean C is kept
    (the most parsimonious of the best). The final model is fitted on all training data with
    the path truncated at that alpha, so ``predict`` and ``predict_survival_function`` use it.

    Parameters
    ----------
    l1_ratio : float
        Elastic-net mixing (1 = lasso, near 0 = ridge).
    n_alphas : int
        Length of the alpha path.
    alpha_min_ratio : float
        Smallest alpha as a fraction of the largest.
    n_splits : int
        Inner folds (reduced automatically when there are fewer events).
    random_state : int
        Seed of the inner folds.
    """

    def __init__(
        self,
        l1_ratio: float = 0.5,
        n_alphas: int = 20,
        alpha_min_ratio: float = 0.01,
        n_splits: int = 3,
        random_state: int = 0,
    ):
        self.l1_ratio = l1_ratio
        self.n_alphas = n_alphas
        self.alpha_min_ratio = alpha_min_ratio
        self.n_splits = n_splits
        self.random_state = random_state

    def _net(self, alphas=None, baseline: bool = False) -> CoxnetSurvivalAnalysis:
        # Only the final model needs the Breslow baseline (survival curves); the path fits
        # of the inner CV skip it, which is most of their cost.
        return CoxnetSurvivalAnalysis(
            l1_ratio=self.l1_ratio,
            n_alphas=self.n_alphas,
            alpha_min_ratio=self.alpha_min_ratio,
            alphas=alphas,
            fit_baseline_model=baseline,
        )

    def fit(self, X, y):
        """Choose alpha by inner CV, then fit on all of ``X``."""
        X = np.asarray(X, dtype=float)
        with warnings.catch_warnings():
            # All coefficients zero along the whole path is a valid null fit (see below).
            warnings.filterwarnings("ignore", message=_ALL_ZERO, category=UserWarning)
            path = self._net().fit(X, y)
        alphas = path.alphas_
        event = y["event"]
        splitter = _splitter(event, self.n_splits, self.random_state)
        scores = np.full((0, len(alphas)), np.nan)
        if splitter is not None:
            rows = []
            for tr, va in splitter.split(X, event):
                if not y["event"][tr].any():
                    continue
                try:
                    with warnings.catch_warnings():
                        # An inner fold may keep every coefficient at zero along the whole
                        # path; that is a valid (null) fit whose C is 0.5 at every alpha.
                        warnings.filterwarnings("ignore", message=_ALL_ZERO, category=UserWarning)
                        net = self._net(alphas=alphas).fit(X[tr], y[tr])
                except (ArithmeticError, ValueError):
                    continue
                # Linear predictors at every alpha of the path at once (a constant offset
                # would not change a concordance).
                lp = X[va] @ net.coef_
                row = []
                for j in range(len(alphas)):
                    if j >= lp.shape[1]:  # glmnet-style early stop: the path ended sooner
                        row.append(np.nan)
                        continue
                    try:
                        row.append(_risk_c(event[va], y["time"][va], lp[:, j]))
                    except ValueError:  # no events / no comparable pairs in this inner fold
                        row.append(np.nan)
                rows.append(row)
            if rows:
                scores = np.asarray(rows, dtype=float)
        with warnings.catch_warnings():
            # An all-NaN column (alpha never scorable) is handled below; numpy's
            # "Mean of empty slice" RuntimeWarning carries no information here.
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(scores, axis=0) if len(scores) else np.full(len(alphas), np.nan)
        if np.isfinite(mean).any():
            best = np.nanmax(mean)
            k = int(np.flatnonzero(mean >= best - 1e-12)[0])  # alphas descend: first = largest
            self.cv_scored_ = True
        else:
            k = len(alphas) // 2  # no inner fold could be scored: a middle penalty
            self.cv_scored_ = False
        self.cv_scores_ = mean
        self.alpha_ = float(alphas[k])
        with warnings.catch_warnings():
            # When CV picks the largest alpha the chosen model is the null model (all
            # coefficients zero); scikit-survival warns, we report it via ``null_model_``.
            warnings.filterwarnings("ignore", message=_ALL_ZERO, category=UserWarning)
            self.model_ = self._net(alphas=alphas[: k + 1], baseline=True).fit(X, y)
        self.alpha_ = float(self.model_.alphas_[-1])  # the path may stop early
        self.coef_ = self.model_.coef_[:, -1]
        self.null_model_ = bool(np.all(np.abs(self.coef_) < np.finfo(float).eps))
        return self

    def predict(self, X):
        """Linear predictor at the chosen alpha (higher = higher risk)."""
        return self.model_.predict(np.asarray(X, dtype=float))

    def predict_survival_function(self, X):
        """Survival step functions at the chosen alpha."""
        return self.model_.predict_survival_function(np.asarray(X, dtype=float))

    def score(self, X, y):
        """Harrell's C on ``(X, y)``."""
        return _risk_c(y["event"], y["time"], self.predict(X))


def _splitter(event: np.ndarray, n_splits: int, seed: int):
    """A K-fold splitter stratified by event when both classes allow it; None if impossible."""
    n = len(event)
    k = min(n_splits, n)
    if k < 2:
        return None
    n_ev, n_cens = int(event.sum()), int((~event).sum())
    if min(n_ev, n_cens) >= k:
        return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return KFold(n_splits=k, shuffle=True, random_state=seed)


def make_pipeline(
    md: ModelData, kind: str, *, seed: int = 0, n_estimators: int = 50, l1_ratio: float = 0.5
) -> Pipeline:
    """The scikit-learn pipeline (encoding + model) for ``kind``.

    Parameters
    ----------
    md : ModelData
        Supplies the feature types and level orders.
    kind : {"cox", "coxnet", "rsf"}
        Model.
    seed : int
        ``random_state`` of the forest / inner CV.
    n_estimators : int
        Trees of the random survival forest (small by default so refits are fast).
    l1_ratio : float
        Elastic-net mixing of ``"coxnet"``.
    """
    if kind not in MODEL_KINDS:
        raise InputError(f"Unknown model {kind!r}: choose one of {list(MODEL_KINDS)}.")
    levels = md.level_map()
    transformers = []
    if md.categorical:
        transformers.append(
            (
                "onehot",
                OneHotEncoder(
                    categories=[list(levels[c]) for c in md.categorical],
                    drop="first",
                    sparse_output=False,
                    handle_unknown="error",
                ),
                list(md.categorical),
            )
        )
    if md.numeric:
        scaler = "passthrough" if kind == "rsf" else StandardScaler()
        transformers.append(("numeric", scaler, list(md.numeric)))
    encode = ColumnTransformer(transformers, verbose_feature_names_out=False)
    if kind == "cox":
        model = CoxPHSurvivalAnalysis(ties="efron", n_iter=100)
    elif kind == "coxnet":
        model = CoxnetCV(l1_ratio=l1_ratio, random_state=seed)
    else:
        min_leaf = max(3, md.n // 10)
        model = RandomSurvivalForest(
            n_estimators=n_estimators,
            min_samples_leaf=min_leaf,
            min_samples_split=2 * min_leaf,
            max_features="sqrt",
            n_jobs=1,
            random_state=seed,
        )
    return Pipeline([("encode", encode), ("model", model)])


_SEPARATION = (
    "the model broke down numerically (a feature separates patients with and without events, "
    "so a hazard ratio runs off to infinity)"
)


def _fit(pipe: Pipeline, X: pd.DataFrame, y: np.ndarray) -> tuple[Pipeline | None, str | None]:
    """Fit, turning the expected failures of tiny data into a plain reason.

    Returns the fitted pipeline and None, the pipeline and ``"nonconverged"`` (usable but
    flagged), or None and a plain reason.
    """
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        # Cox on a handful of patients often hits separation: the optimiser stops at its
        # iteration limit (ConvergenceWarning) or on an ill-conditioned Hessian
        # (LinAlgWarning), and numpy over/underflows along the way (silenced by errstate).
        # We report these as messages and check the coefficients instead of failing.
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("always", LinAlgWarning)
        try:
            pipe.fit(X, y)
        except np.linalg.LinAlgError:
            return None, (
                "a feature level is absent or constant in the training patients (singular "
                "information matrix; merge rare levels or use the elastic-net model)"
            )
        except ArithmeticError:
            return None, "numerical overflow (weights too large; the penalty is too small)"
        except ValueError as exc:
            if "NaN or infinite" in str(exc):
                return None, _SEPARATION
            return None, f"scikit-survival could not fit: {exc}"
    coef = getattr(pipe.named_steps["model"], "coef_", None)
    if coef is not None and not np.all(np.isfinite(coef)):
        return None, _SEPARATION
    if any(issubclass(w.category, (ConvergenceWarning, LinAlgWarning)) for w in caught):
        return pipe, "nonconverged"  # fitted, but flagged by the caller
    return pipe, None


@dataclass(frozen=True)
class Coefficient:
    """One encoded term of a Cox-type model: log hazard ratio per unit (or per SD)."""

    term: str
    coef: float
    hr: float


@dataclass(frozen=True)
class FittedModel:
    """A model fitted on all complete cases (used for importance and what-if predictions).

    Attributes
    ----------
    kind, label : str
        Model key and display name.
    endpoint : str
    features : tuple of str
    n, events : int
    coefficients : tuple of Coefficient
        Cox-type models only (numeric features per standard deviation); empty for the forest.
    alpha : float or None
        Chosen elastic-net penalty.
    apparent_c : float
        Harrell's C on the training data itself (optimistic).
    pipeline : sklearn.pipeline.Pipeline or None
        None when the fit failed (see ``messages``).
    messages : tuple of str
    """

    kind: str
    label: str
    endpoint: str
    features: tuple[str, ...]
    n: int
    events: int
    coefficients: tuple[Coefficient, ...]
    alpha: float | None
    apparent_c: float | None
    pipeline: Pipeline | None = field(repr=False, compare=False)
    messages: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.pipeline is not None

    def to_frame(self) -> pd.DataFrame:
        """Coefficients: model, term, coef, hr (empty for the forest)."""
        return pd.DataFrame(
            [(self.label, c.term, c.coef, c.hr) for c in self.coefficients],
            columns=["model", "term", "coef", "hr"],
        )


def fit_model(
    md: ModelData, kind: str, *, seed: int = 0, n_estimators: int = 50, l1_ratio: float = 0.5
) -> FittedModel:
    """Fit ``kind`` on all complete cases of ``md``.

    Returns a :class:`FittedModel` whose ``messages`` explain a failed or non-converged fit.
    """
    pipe = make_pipeline(md, kind, seed=seed, n_estimators=n_estimators, l1_ratio=l1_ratio)
    fitted, reason = _fit(pipe, md.X, md.y)
    label = MODEL_LABELS[kind]
    msgs = []
    if fitted is None:
        return FittedModel(
            kind, label, md.endpoint, md.features, md.n, md.events, (), None, None, None,
            (f"{label} could not be fitted on the {md.n} patients: {reason}.",),
        )  # fmt: skip
    if reason == "nonconverged":
        msgs.append(
            f"{label} did not converge on the {md.n} patients: some hazard ratios run off to "
            "infinity (a level with all or no events). Treat its coefficients as unreliable."
        )
    coefs: tuple[Coefficient, ...] = ()
    alpha = None
    model = fitted.named_steps["model"]
    if kind in ("cox", "coxnet"):
        names = fitted.named_steps["encode"].get_feature_names_out()
        beta = np.asarray(model.coef_, dtype=float).ravel()
        coefs = tuple(
            Coefficient(str(t), float(b), float(np.exp(b)))
            for t, b in zip(names, beta, strict=True)
        )
        if kind == "coxnet":
            alpha = model.alpha_
            if model.null_model_:
                msgs.append(
                    f"{label}: cross-validation chose the strongest penalty, so every "
                    "coefficient is zero (the model predicts the same risk for everyone): "
                    "these features add no detectable prognostic information here."
                )
            if not model.cv_scored_:
                msgs.append(
                    f"{label}: no inner fold could be scored, so a middle penalty "
                    f"(alpha = {alpha:.3g}) was used instead of a cross-validated one."
                )
    try:
        c = _risk_c(md.event, md.time, fitted.predict(md.X))
    except ValueError:
        c = None
    return FittedModel(
        kind, label, md.endpoint, md.features, md.n, md.events, coefs, alpha, c, fitted,
        tuple(msgs),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
_REASONS = (
    ("All samples are censored", "no events among the test patients"),
    ("no comparable pairs", "no comparable pairs (no test patient's event precedes another"),
    ("within follow-up time of test data", "the time lies outside the test patients' follow-up"),
    ("smaller than largest observed time", "a test time is beyond the training follow-up"),
    ("censoring survival function is zero", "the censoring distribution drops to zero"),
    ("not finite", "the predictions overflow (separation: a hazard ratio runs off to infinity)"),
)


def _plain(exc: Exception) -> str:
    text = str(exc)
    for needle, plain in _REASONS:
        if needle.lower() in text.lower():
            if plain.endswith("another"):
                return plain + "'s follow-up)"
            return plain
    return f"scikit-survival: {text}"


def _eval_times(time: np.ndarray, times: Sequence[float]) -> np.ndarray:
    return np.asarray(sorted({float(t) for t in times}), dtype=float)


def default_times(md: ModelData) -> tuple[float, ...]:
    """AUC times: 12 and 24 months when inside the 10th-90th percentile of follow-up.

    Otherwise the median observed time, rounded.
    """
    lo, hi = np.percentile(md.time, [10, 90])
    chosen = tuple(t for t in (12.0, 24.0) if lo <= t <= hi)
    return chosen or (float(round(np.median(md.time), 1)),)


def default_tau(md: ModelData) -> float:
    """Uno's C truncation: the 80th percentile of observed times (censoring weights stay >0)."""
    return float(round(np.percentile(md.time, 80), 1))


def _brier_grid(md: ModelData) -> np.ndarray:
    lo, hi = np.percentile(md.time, [10, 80])
    return np.linspace(lo, hi, 15) if hi > lo else np.asarray([lo])


def _surv_matrix(pipe: Pipeline, X: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Predicted survival at ``times`` (constant beyond each step function's last time)."""
    fns = pipe.predict_survival_function(X)
    out = np.empty((len(fns), len(times)))
    for i, fn in enumerate(fns):
        lo, hi = fn.domain
        out[i] = fn(np.clip(times, lo, hi))
    return out


def _risk_at(pipe: Pipeline, X: pd.DataFrame, risk: np.ndarray, t: float) -> np.ndarray:
    """The risk score for a time-dependent AUC at ``t``.

    Cox models rank patients the same at every time, so their linear predictor serves. A
    forest's curves can cross: rank by its cumulative hazard at ``t`` (scikit-survival's advice
    for non-proportional-hazards models).
    """
    if not isinstance(pipe.named_steps["model"], RandomSurvivalForest):
        return risk
    with np.errstate(all="ignore"):
        fns = pipe.predict_cumulative_hazard_function(X)
    return np.asarray([fn(np.clip(t, *fn.domain)) for fn in fns], dtype=float)


def _km_null(y_train: np.ndarray, times: np.ndarray) -> np.ndarray:
    t, s = kaplan_meier_estimator(y_train["event"], y_train["time"])
    idx = np.searchsorted(t, times, side="right") - 1
    return np.where(idx >= 0, s[np.clip(idx, 0, None)], 1.0)


def _evaluate(
    pipe: Pipeline,
    md: ModelData,
    train: np.ndarray,
    test: np.ndarray,
    times: np.ndarray,
    tau: float,
    grid: np.ndarray,
) -> tuple[dict[tuple[str, float | None], float], list[tuple[str, str]]]:
    """Metrics of a fitted pipeline on ``test`` (IPCW from ``train``); failures as reasons."""
    y = md.y
    y_tr = y[train]
    # IPCW weights come from the training patients' censoring distribution, which is undefined
    # at and beyond their last time. Every horizon used below (tau, AUC times, Brier grid) is
    # kept below that time, so censoring the test patients just before it changes no metric
    # value and avoids scikit-survival's "largest observed time" / "zero censoring" errors.
    limit = np.nextafter(float(y_tr["time"].max()), -np.inf)
    te_time, te_event = md.time[test], md.event[test]
    y_te = Surv.from_arrays(te_event & (te_time <= limit), np.minimum(te_time, limit))
    X_te = md.X.iloc[test]
    with np.errstate(all="ignore"):  # checked: non-finite predictions end the evaluation
        risk = pipe.predict(X_te)
    vals: dict[tuple[str, float | None], float] = {}
    fails: list[tuple[str, str]] = []
    if not np.all(np.isfinite(risk)):
        return vals, [("Every metric", _SEPARATION)]
    try:
        vals[("harrell_c", None)] = _risk_c(te_event, te_time, risk)
    except ValueError as exc:
        fails.append(("Harrell's C", _plain(exc)))
    try:
        tau_eff = min(tau, float(limit))
        vals[("uno_c", None)] = float(concordance_index_ipcw(y_tr, y_te, risk, tau=tau_eff)[0])
    except ValueError as exc:
        fails.append(("Uno's C", _plain(exc)))
    for t in times:
        if t >= limit:
            fails.append((f"AUC at {t:g}", "the time is beyond the training patients' follow-up"))
            continue
        # scikit-survival divides by the number of cases: check first instead of a 0/0.
        if not (y_te["event"] & (y_te["time"] <= t)).any():
            fails.append((f"AUC at {t:g}", f"no test patient had an event by {t:g}"))
            continue
        if not (y_te["time"] > t).any():
            fails.append((f"AUC at {t:g}", f"no test patient was still followed after {t:g}"))
            continue
        try:
            auc, _ = cumulative_dynamic_auc(y_tr, y_te, _risk_at(pipe, X_te, risk, t), [t])
            vals[("auc", float(t))] = float(auc[0])
        except ValueError as exc:
            fails.append((f"AUC at {t:g}", _plain(exc)))
    # Brier grid: the common grid's points inside this fold's test follow-up.
    g = grid[(grid >= y_te["time"].min()) & (grid < y_te["time"].max()) & (grid < limit)]
    if len(g) < 2:
        fails.append(
            ("Integrated Brier score", "fewer than 2 grid times lie inside the test follow-up")
        )
    else:
        try:
            with np.errstate(all="ignore"):  # overflow of S0 ** exp(lp): checked below
                surv = _surv_matrix(pipe, X_te, g)
            if not np.all(np.isfinite(surv)):
                raise ValueError("predicted survival is not finite")
            vals[("ibs", None)] = float(integrated_brier_score(y_tr, y_te, surv, g))
            null = np.tile(_km_null(y_tr, g), (len(test), 1))
            vals[("ibs_null", None)] = float(integrated_brier_score(y_tr, y_te, null, g))
        except ValueError as exc:
            fails.append(("Integrated Brier score", _plain(exc)))
    for key in [k for k, v in vals.items() if not math.isfinite(v)]:
        del vals[key]
        fails.append((_label(key), "undefined (no usable patient pairs)"))
    return vals, fails


@dataclass(frozen=True)
class MetricSummary:
    """One metric summarised over repeats (CV) or bootstrap replicates.

    ``estimate`` is the mean over repeats of the per-repeat mean over folds (CV), or the
    optimism-corrected value (bootstrap: ``apparent - optimism``); ``sd``, ``lower`` and
    ``upper`` are the standard deviation, minimum and maximum over repeats (CV) or of the
    optimism over replicates (bootstrap). ``n_ok`` of ``n_total`` repeats/replicates
    contributed.
    """

    metric: str
    label: str
    time: float | None
    estimate: float | None
    sd: float | None
    lower: float | None
    upper: float | None
    apparent: float | None
    optimism: float | None
    n_ok: int
    n_total: int


@dataclass(frozen=True)
class ValidationResult:
    """Out-of-sample performance of one model.

    Attributes
    ----------
    model, label : str
    method : {"cv", "bootstrap"}
    n_splits, n_repeats : int
        Folds and repeats (CV) or 0 and the number of replicates (bootstrap).
    seed : int
    tau : float
        Uno's C truncation time.
    times : tuple of float
        AUC times.
    metrics : tuple of MetricSummary
    folds : tuple of tuple
        Raw values: (repeat, fold, metric, time, value).
    oof_risk : numpy.ndarray
        CV: each patient's mean out-of-fold risk percentile (0 = lowest risk) over repeats;
        NaN where no fold could be fitted. Bootstrap: empty.
    ids : tuple of str
    n, events : int
    messages : tuple of str
    """

    model: str
    label: str
    method: str
    n_splits: int
    n_repeats: int
    seed: int
    tau: float
    times: tuple[float, ...]
    metrics: tuple[MetricSummary, ...]
    folds: tuple[tuple, ...] = field(repr=False)
    oof_risk: np.ndarray = field(repr=False, compare=False)
    ids: tuple[str, ...] = field(repr=False)
    n: int = 0
    events: int = 0
    messages: tuple[str, ...] = ()

    def metric(self, name: str, time: float | None = None) -> MetricSummary | None:
        """The summary of ``name`` (at ``time`` for AUC), or None when never computed."""
        for m in self.metrics:
            if m.metric == name and m.time == time:
                return m
        return None

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: model, method, metric, time, estimate, sd, lower, upper, ..."""
        rows = [
            {
                "model": self.label,
                "method": self.method,
                "metric": m.label,
                "time": m.time,
                "estimate": m.estimate,
                "sd": m.sd,
                "lower": m.lower,
                "upper": m.upper,
                "apparent": m.apparent,
                "optimism": m.optimism,
                "n_ok": m.n_ok,
                "n_total": m.n_total,
            }
            for m in self.metrics
        ]
        return pd.DataFrame(rows)

    def folds_frame(self) -> pd.DataFrame:
        """Every raw fold/replicate value."""
        return pd.DataFrame(list(self.folds), columns=["repeat", "fold", "metric", "time", "value"])


def _metric_order(key: tuple[str, float | None]) -> tuple[int, float]:
    order = ["harrell_c", "uno_c", "auc", "ibs", "ibs_null"]
    return order.index(key[0]), key[1] or 0.0


def _label(key: tuple[str, float | None], tau: float | None = None) -> str:
    name, t = key
    if name == "uno_c" and tau is not None:
        return f"{METRIC_LABELS[name]} (τ = {tau:g})"
    return f"{METRIC_LABELS[name]} at {t:g}" if t is not None else METRIC_LABELS[name]


def _messages(
    fails: Counter, fit_fail: Counter, total: int, unit: str, label: str, nonconv: int
) -> list[str]:
    msgs = []
    for reason, count in fit_fail.items():
        msgs.append(f"{label} could not be fitted in {count} of {total} {unit}: {reason}.")
    if nonconv:
        msgs.append(
            f"{label} did not converge in {nonconv} of {total} {unit} (hazard ratios running "
            "off to infinity, typical of separation in small data)."
        )
    by_metric: dict[str, list[tuple[str, int]]] = {}
    for (metric, reason), count in fails.items():
        by_metric.setdefault(metric, []).append((reason, count))
    for metric, reasons in by_metric.items():
        n = sum(c for _, c in reasons)
        why = "; ".join(f"{r} ({c}x)" for r, c in reasons)
        msgs.append(f"{label}: {metric} could not be computed in {n} of {total} {unit}: {why}.")
    return msgs


@dataclass(frozen=True)
class ValidationChunk:
    """Raw output of CV repeats ``start..stop-1`` or bootstrap replicates ``start..stop-1``.

    Validation is computed in chunks so the UI can cache each one and stay responsive between
    them; :func:`summarise_cv` / :func:`summarise_bootstrap` combine chunks into a
    :class:`ValidationResult`. ``raw`` rows are (repeat, fold, metric, time, value); for the
    bootstrap, value is the replicate's optimism (apparent minus test).
    """

    method: str
    start: int
    stop: int
    raw: tuple[tuple, ...]
    fails: tuple[tuple[tuple[str, str], int], ...]
    fit_fail: tuple[tuple[str, int], ...]
    nonconv: int
    units: int
    ranks: np.ndarray = field(repr=False, compare=False)


def _resolve(md: ModelData, times, tau) -> tuple[np.ndarray, float]:
    times_a = _eval_times(md.time, times if times is not None else default_times(md))
    return times_a, float(tau) if tau is not None else default_tau(md)


def cv_chunk(
    md: ModelData,
    kind: str,
    start: int,
    stop: int,
    *,
    n_splits: int = 3,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    seed: int = 0,
    n_estimators: int = 50,
    l1_ratio: float = 0.5,
) -> ValidationChunk:
    """Cross-validation repeats ``start`` to ``stop - 1`` (repeat r shuffles with seed + r)."""
    times_a, tau = _resolve(md, times, tau)
    grid = _brier_grid(md)
    raw: list[tuple] = []
    fails: Counter = Counter()
    fit_fail: Counter = Counter()
    nonconv = 0
    units = 0
    ranks = np.full((stop - start, md.n), np.nan)
    for i, rep in enumerate(range(start, stop)):
        splitter = _splitter(md.event, n_splits, seed + rep)
        if splitter is None:
            break
        oof = np.full(md.n, np.nan)
        for k, (tr, te) in enumerate(splitter.split(md.X, md.event)):
            units += 1
            if not md.event[tr].any():
                fit_fail["no events among the training patients"] += 1
                continue
            pipe = make_pipeline(md, kind, seed=seed, n_estimators=n_estimators, l1_ratio=l1_ratio)
            fitted, reason = _fit(pipe, md.X.iloc[tr], md.y[tr])
            if fitted is None:
                fit_fail[reason] += 1
                continue
            nonconv += reason == "nonconverged"
            with np.errstate(all="ignore"):  # non-finite predictions are dropped just below
                pred = fitted.predict(md.X.iloc[te])
            oof[te] = np.where(np.isfinite(pred), pred, np.nan)
            vals, fl = _evaluate(fitted, md, tr, te, times_a, tau, grid)
            for f in fl:
                fails[f] += 1
            for key, v in vals.items():
                raw.append((rep, k, key[0], key[1], v))
        ok = ~np.isnan(oof)
        if ok.any():
            # Percentile ranks make repeats comparable (fold models differ in scale).
            ranks[i, ok] = pd.Series(oof[ok]).rank(pct=True).to_numpy()
    return ValidationChunk(
        "cv", start, stop, tuple(raw), tuple(fails.items()), tuple(fit_fail.items()), nonconv,
        units, ranks,
    )  # fmt: skip


def _merge(chunks: Sequence[ValidationChunk]) -> tuple[list[tuple], Counter, Counter, int, int]:
    raw: list[tuple] = []
    fails: Counter = Counter()
    fit_fail: Counter = Counter()
    nonconv = units = 0
    for ch in sorted(chunks, key=lambda c: c.start):
        raw.extend(ch.raw)
        fails.update(dict(ch.fails))
        fit_fail.update(dict(ch.fit_fail))
        nonconv += ch.nonconv
        units += ch.units
    return raw, fails, fit_fail, nonconv, units


def summarise_cv(
    md: ModelData,
    kind: str,
    chunks: Sequence[ValidationChunk],
    *,
    n_splits: int = 3,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    seed: int = 0,
) -> ValidationResult:
    """Combine CV chunks: per repeat the mean over its folds, then mean/SD/range over repeats."""
    times_a, tau = _resolve(md, times, tau)
    label = MODEL_LABELS[kind]
    raw, fails, fit_fail, nonconv, units = _merge(chunks)
    n_repeats = sum(ch.stop - ch.start for ch in chunks)
    per_repeat: dict[tuple[str, float | None], dict[int, list[float]]] = {}
    for rep, _k, name, t, v in raw:
        per_repeat.setdefault((name, t), {}).setdefault(rep, []).append(v)
    metrics = []
    for key in sorted(per_repeat, key=_metric_order):
        v = np.asarray([np.mean(per_repeat[key][r]) for r in sorted(per_repeat[key])])
        metrics.append(
            MetricSummary(
                key[0], _label(key, tau), key[1], float(v.mean()),
                float(v.std(ddof=1)) if len(v) > 1 else None,
                float(v.min()), float(v.max()), None, None, len(v), n_repeats,
            )
        )  # fmt: skip
    msgs = _messages(fails, fit_fail, units, "test folds", label, nonconv)
    ranks = [ch.ranks for ch in sorted(chunks, key=lambda c: c.start)]
    ranks_a = np.vstack(ranks) if ranks else np.full((0, md.n), np.nan)
    if len(ranks_a) and np.isfinite(ranks_a).any(axis=0).all():
        oof_risk = np.nanmean(ranks_a, axis=0)
    else:
        oof_risk = np.full(md.n, np.nan)
        for j in np.flatnonzero(np.isfinite(ranks_a).any(axis=0)):
            oof_risk[j] = np.nanmean(ranks_a[:, j])
    return ValidationResult(
        kind, label, "cv", n_splits, n_repeats, seed, tau, tuple(times_a.tolist()),
        tuple(metrics), tuple(raw), oof_risk, md.ids, md.n, md.events, tuple(msgs),
    )  # fmt: skip


def cross_validate(
    md: ModelData,
    kind: str,
    *,
    n_splits: int = 3,
    n_repeats: int = 5,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    seed: int = 0,
    n_estimators: int = 50,
    l1_ratio: float = 0.5,
) -> ValidationResult:
    """Repeated K-fold cross-validation stratified by event status.

    Each repeat reshuffles the folds (seed ``seed + repeat``); every metric is computed on each
    test fold with the training fold supplying IPCW weights and the Kaplan-Meier null model,
    averaged over the folds of a repeat, then summarised over repeats. Equivalent to
    :func:`summarise_cv` over :func:`cv_chunk` pieces (what the UI does, chunk by chunk).

    Parameters
    ----------
    md : ModelData
    kind : {"cox", "coxnet", "rsf"}
    n_splits, n_repeats : int
    times : sequence of float, optional
        AUC times (default :func:`default_times`).
    tau : float, optional
        Uno's C truncation (default :func:`default_tau`).
    seed : int
    n_estimators : int
        Forest size.
    l1_ratio : float
        Elastic-net mixing.

    Returns
    -------
    ValidationResult
        Metrics that could not be computed are absent and explained in ``messages``.
    """
    opts = {"n_splits": n_splits, "times": times, "tau": tau, "seed": seed}
    chunk = cv_chunk(md, kind, 0, n_repeats, n_estimators=n_estimators, l1_ratio=l1_ratio, **opts)
    return summarise_cv(md, kind, [chunk], **opts)


def bootstrap_chunk(
    md: ModelData,
    kind: str,
    start: int,
    stop: int,
    *,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    seed: int = 0,
    n_estimators: int = 50,
    l1_ratio: float = 0.5,
) -> ValidationChunk:
    """Bootstrap replicates ``start`` to ``stop - 1``; replicate b draws with
    ``default_rng([seed, b])`` so results do not depend on the chunking."""
    times_a, tau = _resolve(md, times, tau)
    grid = _brier_grid(md)
    raw: list[tuple] = []
    fails: Counter = Counter()
    fit_fail: Counter = Counter()
    nonconv = 0
    for b in range(start, stop):
        idx = np.random.default_rng([seed, b]).integers(0, md.n, md.n)
        if not md.event[idx].any():
            fit_fail["no events in the bootstrap sample"] += 1
            continue
        sub = _subset(md, idx)
        pipe = make_pipeline(md, kind, seed=seed + b, n_estimators=n_estimators, l1_ratio=l1_ratio)
        fitted, reason = _fit(pipe, sub.X, sub.y)
        if fitted is None:
            fit_fail[reason] += 1
            continue
        nonconv += reason == "nonconverged"
        app_b, f1 = _evaluate(fitted, sub, np.arange(sub.n), np.arange(sub.n), times_a, tau, grid)
        test_b, f2 = _evaluate_on(fitted, sub, md, times_a, tau, grid)
        for f in dict.fromkeys(f1 + f2):  # once per replicate (ordered: stable messages)
            fails[f] += 1
        for key in app_b:
            if key in test_b:
                raw.append((b, 0, key[0], key[1], app_b[key] - test_b[key]))
    return ValidationChunk(
        "bootstrap", start, stop, tuple(raw), tuple(fails.items()), tuple(fit_fail.items()),
        nonconv, stop - start, np.empty((0, md.n)),
    )  # fmt: skip


def summarise_bootstrap(
    md: ModelData,
    kind: str,
    chunks: Sequence[ValidationChunk],
    *,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    seed: int = 0,
    n_estimators: int = 50,
    l1_ratio: float = 0.5,
) -> ValidationResult:
    """Combine bootstrap chunks: optimism-corrected = full-data apparent - mean optimism."""
    times_a, tau = _resolve(md, times, tau)
    grid = _brier_grid(md)
    label = MODEL_LABELS[kind]
    n_boot = sum(ch.stop - ch.start for ch in chunks)
    everyone = np.arange(md.n)
    full = make_pipeline(md, kind, seed=seed, n_estimators=n_estimators, l1_ratio=l1_ratio)
    full_fit, reason = _fit(full, md.X, md.y)
    if full_fit is None:
        return ValidationResult(
            kind, label, "bootstrap", 0, n_boot, seed, tau, tuple(times_a.tolist()), (), (),
            np.empty(0), md.ids, md.n, md.events,
            (f"{label} could not be fitted on the {md.n} patients: {reason}.",),
        )  # fmt: skip
    apparent, fl0 = _evaluate(full_fit, md, everyone, everyone, times_a, tau, grid)
    raw, fails, fit_fail, nonconv, units = _merge(chunks)
    for f in fl0:
        fails[(f[0] + " (apparent, all patients)", f[1])] += 1
    optimism: dict[tuple[str, float | None], list[float]] = {}
    for _b, _k, name, t, v in raw:
        optimism.setdefault((name, t), []).append(v)
    metrics = []
    for key in sorted(apparent, key=_metric_order):
        opt = np.asarray(optimism.get(key, []))
        if len(opt) == 0:
            fails[(_label(key), "no bootstrap replicate could be scored")] += 1
            continue
        metrics.append(
            MetricSummary(
                key[0], _label(key, tau), key[1], float(apparent[key] - opt.mean()),
                float(opt.std(ddof=1)) if len(opt) > 1 else None,
                float(opt.min()), float(opt.max()), float(apparent[key]), float(opt.mean()),
                len(opt), n_boot,
            )
        )  # fmt: skip
    msgs = _messages(fails, fit_fail, units, "bootstrap replicates", label, nonconv)
    return ValidationResult(
        kind, label, "bootstrap", 0, n_boot, seed, tau, tuple(times_a.tolist()),
        tuple(metrics), tuple(raw), np.empty(0), md.ids, md.n, md.events, tuple(msgs),
    )  # fmt: skip


def bootstrap_validate(
    md: ModelData,
    kind: str,
    *,
    n_boot: int = 50,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    seed: int = 0,
    n_estimators: int = 50,
    l1_ratio: float = 0.5,
) -> ValidationResult:
    """Harrell's optimism-corrected bootstrap.

    For each replicate the model is refitted on a bootstrap sample, scored on that sample
    (apparent) and on the original data (test); the mean difference is the optimism,
    subtracted from the full-data apparent value. ``sd``/``lower``/``upper`` describe the
    optimism over replicates.

    Returns
    -------
    ValidationResult
        ``method="bootstrap"``, ``n_repeats`` = replicates; ``oof_risk`` is empty.
    """
    opts = {
        "times": times, "tau": tau, "seed": seed, "n_estimators": n_estimators,
        "l1_ratio": l1_ratio,
    }  # fmt: skip
    return summarise_bootstrap(md, kind, [bootstrap_chunk(md, kind, 0, n_boot, **opts)], **opts)


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


def _evaluate_on(
    pipe: Pipeline, train: ModelData, test: ModelData, times, tau, grid
) -> tuple[dict, list]:
    """Evaluate a model trained on ``train`` on all rows of ``test`` (same features).

    Train and test rows are stacked so :func:`_evaluate`'s index interface (IPCW weights and
    the null model from the training rows) applies unchanged.
    """
    stacked = replace(
        test,
        X=pd.concat([train.X, test.X], ignore_index=True),
        time=np.concatenate([train.time, test.time]),
        event=np.concatenate([train.event, test.event]),
        ids=train.ids + test.ids,
        n=train.n + test.n,
        events=train.events + test.events,
        dropped=0,
    )
    tr = np.arange(train.n)
    te = np.arange(train.n, train.n + test.n)
    return _evaluate(pipe, stacked, tr, te, times, tau, grid)


# --------------------------------------------------------------------------------------------
# Permutation importance
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportanceResult:
    """Permutation importance: mean and SD drop in Harrell's C when a feature is shuffled.

    Computed on the data the model was fitted on (every encoded column of a feature is
    permuted together), so it describes what the model relies on, not out-of-sample value.
    """

    model: str
    label: str
    features: tuple[str, ...]
    importance_mean: np.ndarray = field(compare=False)
    importance_sd: np.ndarray = field(compare=False)
    n_repeats: int = 10
    seed: int = 0
    messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """feature, importance_mean, importance_sd, sorted by decreasing importance."""
        df = pd.DataFrame(
            {
                "model": self.label,
                "feature": list(self.features),
                "importance_mean": self.importance_mean,
                "importance_sd": self.importance_sd,
            }
        )
        return df.sort_values("importance_mean", ascending=False, kind="stable").reset_index(
            drop=True
        )


def permutation_importance_table(
    fitted: FittedModel,
    md: ModelData,
    *,
    n_repeats: int = 10,
    seed: int = 0,
    max_rows: int = 500,
) -> ImportanceResult:
    """Permutation importance of each feature (scikit-learn, scored by Harrell's C).

    Parameters
    ----------
    fitted : FittedModel
        A model fitted on ``md``.
    md : ModelData
    n_repeats : int
        Shuffles per feature.
    seed : int
        ``random_state`` of the shuffles.
    max_rows : int
        Larger cohorts are scored on a seeded subsample of this many patients per repeat
        (scikit-learn's ``max_samples``): a forest's predictions on thousands of rows are
        slow, and the importance ranking needs far fewer.
    """
    nan = np.full(len(md.features), np.nan)
    if not fitted.ok:
        return ImportanceResult(
            fitted.kind, fitted.label, md.features, nan, nan, n_repeats, seed, fitted.messages
        )
    try:
        res = permutation_importance(
            fitted.pipeline,
            md.X,
            md.y,
            n_repeats=n_repeats,
            random_state=seed,
            n_jobs=1,
            max_samples=min(1.0, max_rows / md.n),
        )
    except ValueError as exc:
        return ImportanceResult(
            fitted.kind, fitted.label, md.features, nan, nan, n_repeats, seed,
            (f"Permutation importance of {fitted.label} could not be computed: {_plain(exc)}.",),
        )  # fmt: skip
    return ImportanceResult(
        fitted.kind,
        fitted.label,
        md.features,
        np.asarray(res.importances_mean, dtype=float),
        np.asarray(res.importances_std, dtype=float),
        n_repeats,
        seed,
    )


# --------------------------------------------------------------------------------------------
# Risk groups from out-of-fold predictions
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RiskGroups:
    """Patients split by their out-of-fold predicted risk, with KM curves and a log-rank test.

    Attributes
    ----------
    model, label : str
    levels : tuple of str
        Group labels from lowest to highest predicted risk.
    groups : tuple of str
        Group per modelled patient (``""`` when the patient had no out-of-fold prediction).
    ids : tuple of str
    oof_risk : numpy.ndarray
        Mean out-of-fold risk percentile per patient.
    km : hccdash.nonparametric.KMResult or None
    test : hccdash.compare.SurvdiffResult or None
    messages : tuple of str
    """

    model: str
    label: str
    levels: tuple[str, ...]
    groups: tuple[str, ...]
    ids: tuple[str, ...]
    oof_risk: np.ndarray = field(compare=False)
    km: KMResult | None = field(default=None, compare=False)
    test: SurvdiffResult | None = field(default=None, compare=False)
    messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """patient_id, oof_risk, risk_group."""
        return pd.DataFrame(
            {PATIENT_ID: list(self.ids), "oof_risk": self.oof_risk, "risk_group": list(self.groups)}
        )


RISK_LEVELS = {2: ("Lower risk", "Higher risk"), 3: ("Low risk", "Intermediate risk", "High risk")}


def risk_groups(
    md: ModelData, validation: ValidationResult, n_groups: int | None = None
) -> RiskGroups:
    """Split patients by out-of-fold risk: tertiles, or halves for small cohorts.

    Parameters
    ----------
    md : ModelData
        The design ``validation`` was computed on.
    validation : ValidationResult
        A cross-validation result (its ``oof_risk``).
    n_groups : {2, 3}, optional
        Default: 3 when ``n >= 30`` and at least 15 events, else 2.
    """
    k = n_groups or (3 if md.n >= 30 and md.events >= 15 else 2)
    if k not in RISK_LEVELS:
        raise InputError(f"n_groups must be 2 or 3, got {k!r}.")
    levels = RISK_LEVELS[k]
    risk = np.asarray(validation.oof_risk, dtype=float)
    ok = ~np.isnan(risk) if len(risk) == md.n else np.zeros(md.n, dtype=bool)
    groups = np.full(md.n, "", dtype=object)
    msgs = []
    if ok.sum() < k:
        msgs.append(
            f"Risk groups need out-of-fold predictions for at least {k} patients; "
            f"{int(ok.sum())} have one (the model could not be fitted in the folds)."
        )
        return RiskGroups(
            validation.model, validation.label, levels, tuple(groups), md.ids, risk, None, None,
            tuple(msgs),
        )  # fmt: skip
    # Equal-sized groups: quantile bins of the ranks (ties broken by patient order).
    r = pd.Series(risk[ok]).rank(method="first")
    bins = pd.qcut(r, k, labels=list(levels))
    groups[ok] = bins.astype(str).to_numpy()
    if (~ok).any():
        msgs.append(
            f"{int((~ok).sum())} patient(s) had no out-of-fold prediction and are left out."
        )
    frame = pd.DataFrame(
        {
            PATIENT_ID: list(md.ids),
            md.time_column: md.time,
            md.event_column: md.event.astype(int),
            "risk_group": groups,
        }
    )[ok]
    test = None
    km = kaplan_meier(frame, md.time_column, md.event_column, group="risk_group", levels=levels)
    try:
        test = survdiff(frame, md.time_column, md.event_column, "risk_group", levels=levels)
    except AnalysisError as exc:
        msgs.append(f"Log-rank test not available: {exc}")
    return RiskGroups(
        validation.model, validation.label, levels, tuple(groups), md.ids, risk, km, test,
        tuple(msgs),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# What-if patient
# --------------------------------------------------------------------------------------------
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

    Lives here because :mod:`hccdash.figures` has no predicted-curve figure.
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


# --------------------------------------------------------------------------------------------
# Honesty
# --------------------------------------------------------------------------------------------
def events_per_variable_message(md: ModelData) -> tuple[str, str]:
    """A severity (``"error"``/``"warning"``/``"info"``) and a plain events-per-variable note."""
    epv = md.events_per_variable
    base = (
        f"{md.events} events for {md.n_parameters} model parameter(s) among {md.n} patients: "
        f"{epv:.1f} events per variable."
    )
    if epv < 5:
        return "error", (
            base + " Below 5 a Cox model's coefficients are badly biased and unstable; treat "
            "every estimate here as a description of this sample, not a prognostic score."
        )
    if epv < 10:
        return "warning", (
            base + " Below the usual 10-20, coefficients are inflated and validation "
            "estimates are noisy; keep the feature set small."
        )
    return "info", base + " Enough for a modest model; validation still decides."


def validation_statement(md: ModelData, folds: int = 3) -> str:
    """What cross-validation can and cannot say at this sample size (plain language)."""
    per_fold = md.n / folds
    ev_fold = md.events / folds
    if md.n < 50:
        return (
            f"With {md.n} patients and {md.events} events, each test fold holds about "
            f"{per_fold:.0f} patients and {ev_fold:.0f} events. The concordance of a fold rests on "
            "a few dozen patient pairs, so the spread over repeats is wide and a C of 0.7 is "
            "compatible with no real discrimination. Validation here can reveal a model that "
            "fails badly; it cannot show that a model works, and no model fitted to these data "
            "should be used to make decisions for individual patients. External validation in "
            "a larger cohort is needed."
        )
    return (
        f"With {md.n} patients and {md.events} events, repeated cross-validation gives a usable "
        "estimate of discrimination (C, AUC) and calibration-in-the-large (Brier score against "
        "the Kaplan-Meier null). It is internal validation: it does not show the model "
        "transports to other centres or periods."
    )

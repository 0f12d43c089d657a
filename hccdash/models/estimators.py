"""The three scikit-survival pipelines (Cox, cross-validated elastic-net Cox, random
survival forest), fitting with plain failure reasons, and the fitted-model result."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg import LinAlgWarning
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sksurv.ensemble import RandomSurvivalForest
from sksurv.linear_model import CoxnetSurvivalAnalysis, CoxPHSurvivalAnalysis
from sksurv.metrics import (
    concordance_index_censored,
)

from hccdash.errors import InputError
from hccdash.models.data import MODEL_KINDS, MODEL_LABELS, ModelData


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

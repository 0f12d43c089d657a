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

Everything returns frozen dataclasses with ``to_frame()``; no streamlit, no figure and no page
copy here (the predicted-survival figure is :mod:`hccdash.plotting.models`, the
events-per-variable and validation sentences :mod:`hccdash.ui.models`).

The package, one job per module, each importing only those before it:

- ``data``: the complete-case design (:class:`ModelData`, :func:`prepare`, feature candidates);
- ``estimators``: the pipelines, :class:`CoxnetCV`, :func:`fit_model`;
- ``metrics``: the out-of-sample metrics of one fitted pipeline on one test set;
- ``validation``: cross-validation and the optimism bootstrap, in cacheable chunks;
- ``explain``: permutation importance;
- ``risk``: risk groups from out-of-fold predictions;
- ``whatif``: predictions for a hypothetical patient.

``from hccdash.models import X`` re-exports the names pages and tests use.
"""

from hccdash.models.data import (
    MODEL_KINDS,
    MODEL_LABELS,
    OUTCOME_COLUMNS,
    OUTCOME_PREFIXES,
    ModelData,
    _subset,
    candidate_features,
    default_features,
    prepare,
    resolve_endpoint,
)
from hccdash.models.estimators import (
    Coefficient,
    CoxnetCV,
    FittedModel,
    _fit,
    _risk_c,
    _splitter,
    fit_model,
    make_pipeline,
)
from hccdash.models.explain import ImportanceResult, permutation_importance_table
from hccdash.models.metrics import (
    METRIC_LABELS,
    _brier_grid,
    _evaluate,
    _km_null,
    default_tau,
    default_times,
)
from hccdash.models.risk import RISK_LEVELS, RiskGroups, risk_groups
from hccdash.models.validation import (
    MetricSummary,
    ValidationChunk,
    ValidationOptions,
    ValidationResult,
    bootstrap_chunk,
    bootstrap_validate,
    cross_validate,
    cv_chunk,
    summarise_bootstrap,
    summarise_cv,
)
from hccdash.models.whatif import PatientPrediction, PredictedCurve, predict_patient

__all__ = [
    "METRIC_LABELS",
    "MODEL_KINDS",
    "MODEL_LABELS",
    "OUTCOME_COLUMNS",
    "OUTCOME_PREFIXES",
    "RISK_LEVELS",
    "Coefficient",
    "CoxnetCV",
    "FittedModel",
    "ImportanceResult",
    "MetricSummary",
    "ModelData",
    "PatientPrediction",
    "PredictedCurve",
    "RiskGroups",
    "ValidationChunk",
    "ValidationOptions",
    "ValidationResult",
    "_brier_grid",
    "_evaluate",
    "_fit",
    "_km_null",
    "_risk_c",
    "_splitter",
    "_subset",
    "bootstrap_chunk",
    "bootstrap_validate",
    "candidate_features",
    "cross_validate",
    "cv_chunk",
    "default_features",
    "default_tau",
    "default_times",
    "fit_model",
    "make_pipeline",
    "permutation_importance_table",
    "predict_patient",
    "prepare",
    "resolve_endpoint",
    "risk_groups",
    "summarise_bootstrap",
    "summarise_cv",
]

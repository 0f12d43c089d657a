"""Permutation importance of each feature of a fitted model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from hccdash.models.data import ModelData
from hccdash.models.estimators import FittedModel
from hccdash.models.metrics import _plain


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

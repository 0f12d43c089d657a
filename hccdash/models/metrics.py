"""Out-of-sample metrics of a fitted pipeline on a test set: Harrell's and Uno's C,
cumulative/dynamic AUC, integrated Brier score beside the Kaplan-Meier null."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sksurv.ensemble import RandomSurvivalForest
from sksurv.metrics import (
    concordance_index_ipcw,
    cumulative_dynamic_auc,
    integrated_brier_score,
)
from sksurv.nonparametric import kaplan_meier_estimator
from sksurv.util import Surv

from hccdash.models.data import ModelData
from hccdash.models.estimators import _SEPARATION, _risk_c

METRIC_LABELS: dict[str, str] = {
    "harrell_c": "Harrell's C",
    "uno_c": "Uno's C",
    "auc": "Time-dependent AUC",
    "ibs": "Integrated Brier score",
    "ibs_null": "Integrated Brier score (Kaplan-Meier null)",
}


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


def _metric_order(key: tuple[str, float | None]) -> tuple[int, float]:
    order = ["harrell_c", "uno_c", "auc", "ibs", "ibs_null"]
    return order.index(key[0]), key[1] or 0.0


def _label(key: tuple[str, float | None], tau: float | None = None) -> str:
    name, t = key
    if name == "uno_c" and tau is not None:
        return f"{METRIC_LABELS[name]} (τ = {tau:g})"
    return f"{METRIC_LABELS[name]} at {t:g}" if t is not None else METRIC_LABELS[name]


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

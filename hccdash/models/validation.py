"""Honest validation: repeated stratified K-fold cross-validation and Harrell's
optimism-corrected bootstrap, computed in cacheable chunks and summarised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hccdash.models.data import MODEL_LABELS, ModelData, _subset
from hccdash.models.estimators import _fit, _splitter, make_pipeline
from hccdash.models.metrics import (
    _brier_grid,
    _eval_times,
    _evaluate,
    _evaluate_on,
    _label,
    _metric_order,
    default_tau,
    default_times,
)


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


@dataclass(frozen=True)
class ValidationOptions:
    """What every validation function shares: the scoring times and the model's settings.

    Attributes
    ----------
    times : tuple of float, optional
        AUC times (default :func:`~hccdash.models.metrics.default_times`).
    tau : float, optional
        Uno's C truncation (default :func:`~hccdash.models.metrics.default_tau`).
    seed : int
        Seed of the folds, the bootstrap draws and the forests.
    n_estimators : int
        Forest size.
    l1_ratio : float
        Elastic-net mixing.

    Examples
    --------
    >>> ValidationOptions(times=[12, 24], seed=3).times
    (12.0, 24.0)
    """

    times: tuple[float, ...] | None = None
    tau: float | None = None
    seed: int = 0
    n_estimators: int = 50
    l1_ratio: float = 0.5

    def __post_init__(self) -> None:
        if self.times is not None:  # any sequence in, a hashable tuple kept
            object.__setattr__(self, "times", tuple(float(t) for t in self.times))

    def resolve(self, md: ModelData) -> tuple[np.ndarray, float]:
        """The AUC times and tau for ``md`` (the defaults where not given)."""
        times = self.times if self.times is not None else default_times(md)
        tau = float(self.tau) if self.tau is not None else default_tau(md)
        return _eval_times(md.time, times), tau

    def pipeline(self, md: ModelData, kind: str, seed: int | None = None):
        """The unfitted pipeline of ``kind`` with these settings (``seed`` overrides)."""
        seed = self.seed if seed is None else seed
        return make_pipeline(
            md, kind, seed=seed, n_estimators=self.n_estimators, l1_ratio=self.l1_ratio
        )


def cv_chunk(
    md: ModelData,
    kind: str,
    start: int,
    stop: int,
    options: ValidationOptions | None = None,
    *,
    n_splits: int = 3,
) -> ValidationChunk:
    """Cross-validation repeats ``start`` to ``stop - 1`` (repeat r shuffles with seed + r)."""
    options = options or ValidationOptions()
    seed = options.seed
    times_a, tau = options.resolve(md)
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
            pipe = options.pipeline(md, kind)
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
    options: ValidationOptions | None = None,
    *,
    n_splits: int = 3,
) -> ValidationResult:
    """Combine CV chunks: per repeat the mean over its folds, then mean/SD/range over repeats."""
    options = options or ValidationOptions()
    times_a, tau = options.resolve(md)
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
        kind, label, "cv", n_splits, n_repeats, options.seed, tau, tuple(times_a.tolist()),
        tuple(metrics), tuple(raw), oof_risk, md.ids, md.n, md.events, tuple(msgs),
    )  # fmt: skip


def cross_validate(
    md: ModelData,
    kind: str,
    options: ValidationOptions | None = None,
    *,
    n_splits: int = 3,
    n_repeats: int = 5,
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
    options : ValidationOptions, optional
        Times, tau, seed and model settings (default ``ValidationOptions()``).
    n_splits, n_repeats : int

    Returns
    -------
    ValidationResult
        Metrics that could not be computed are absent and explained in ``messages``.
    """
    chunk = cv_chunk(md, kind, 0, n_repeats, options, n_splits=n_splits)
    return summarise_cv(md, kind, [chunk], options, n_splits=n_splits)


def bootstrap_chunk(
    md: ModelData,
    kind: str,
    start: int,
    stop: int,
    options: ValidationOptions | None = None,
) -> ValidationChunk:
    """Bootstrap replicates ``start`` to ``stop - 1``; replicate b draws with
    ``default_rng([seed, b])`` so results do not depend on the chunking."""
    options = options or ValidationOptions()
    seed = options.seed
    times_a, tau = options.resolve(md)
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
        pipe = options.pipeline(md, kind, seed=seed + b)
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
    options: ValidationOptions | None = None,
) -> ValidationResult:
    """Combine bootstrap chunks: optimism-corrected = full-data apparent - mean optimism."""
    options = options or ValidationOptions()
    seed = options.seed
    times_a, tau = options.resolve(md)
    grid = _brier_grid(md)
    label = MODEL_LABELS[kind]
    n_boot = sum(ch.stop - ch.start for ch in chunks)
    everyone = np.arange(md.n)
    full = options.pipeline(md, kind)
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
    options: ValidationOptions | None = None,
    *,
    n_boot: int = 50,
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
    chunk = bootstrap_chunk(md, kind, 0, n_boot, options)
    return summarise_bootstrap(md, kind, [chunk], options)

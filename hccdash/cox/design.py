"""The design matrix of a Cox model: complete cases, R's level order and reference, indicator
terms, and the checks that make a model unidentifiable (single level, constant, collinear,
no events, no more rows than coefficients). Times go through R's near-tie rule
(:func:`hccdash.nonparametric.ties.aeq_times`) as ``coxph(timefix = TRUE)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric.ties import aeq_times
from hccdash.survdata import SurvData, as_surv
from hccdash.validate import _require_columns, complete_cases, validate_survival

__all__ = ["model_terms"]


@dataclass(frozen=True)
class _Design:
    time: np.ndarray
    event: np.ndarray
    x: np.ndarray  # n x p, uncentred
    columns: tuple[tuple[str, str | None, str | None], ...]  # (covariate, level, reference)
    assign: tuple[tuple[str, tuple[int, ...]], ...]  # covariate -> column indices
    dropped: int


def _term_name(covariate: str, level: str | None, reference: str | None) -> str:
    return covariate if level is None else f"{covariate}: {level} vs {reference}"


def _sort_levels(values: pd.Series) -> list[str]:
    uniq = pd.unique(values.dropna())
    num = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce")
    if len(uniq) and num.notna().all():
        # numeric codes as R's factor(): numeric order, shown as strings
        order = np.argsort(num.to_numpy(dtype=float), kind="stable")
        return [_level_str(uniq[i]) for i in order]
    return sorted(_level_str(v) for v in uniq)


def _level_str(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _levels(col: pd.Series, column: str, reference: object | None) -> list[str]:
    """Level order; the first is the reference."""
    present = {_level_str(v) for v in col.dropna().unique()}
    if isinstance(col.dtype, pd.CategoricalDtype):
        order = [_level_str(v) for v in col.cat.categories]
    else:
        order = _sort_levels(col)
    order = [v for v in order if v in present] + sorted(present - set(order))
    if reference is not None:
        ref = _level_str(reference)
        if ref not in present:
            raise InputError(
                f"Reference level {ref!r} for column {column!r} is not among its levels "
                f"{sorted(present)!r}; choose one of them."
            )
        order = [ref, *(v for v in order if v != ref)]
    return order


def _no_complete_rows(n: int, columns: Sequence[str]) -> None:
    raise AnalysisError(
        f"No complete rows: all {n} rows miss a value in one of "
        f"{list(columns)!r}. Fill in these columns or choose others."
    )


def _surv_rows(
    surv: SurvData, covariates: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, int]:
    """Times, events (float) and frame of the complete cases of validated survival data."""
    data = surv.frame
    _require_columns(data, covariates)
    keep = ~surv.missing
    for c in covariates:
        keep = keep & data[c].notna().to_numpy()
    dropped = int((~keep).sum())
    if not keep.any():
        _no_complete_rows(len(data), [surv.time_col, surv.event_col, *covariates])
    frame = data if not dropped else data.loc[keep]
    return surv.time[keep], surv.event[keep].astype(np.float64), frame, dropped


def model_terms(
    covariates: Sequence[str] | str,
    reference: Mapping[str, object] | None,
    categorical: Sequence[str] | None,
) -> tuple[list[str], dict[str, object], set[str]]:
    """The one check of a model's terms (in memory and on the engine): covariates without
    repeats, the reference levels and the forced-categorical columns, each among them.

    Examples
    --------
    >>> model_terms(["age", "stage", "age"], {"stage": "I"}, None)
    (['age', 'stage'], {'stage': 'I'}, set())

    References
    ----------
    R: ``attr(terms(~ age + stage + age), "term.labels")`` is ``"age" "stage"`` (a repeated
    term enters once); the reference level is R's ``relevel(factor(stage), "I")``.
    """
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(dict.fromkeys(covariates))
    if not covariates:
        raise AnalysisError("A Cox model needs at least one covariate; choose one or more.")
    reference = dict(reference or {})
    forced = set(categorical or ())
    unknown = [c for c in (*reference, *forced) if c not in covariates]
    if unknown:
        raise InputError(
            f"Columns {unknown!r} have a reference level or categorical flag but are not "
            f"among the covariates {covariates!r}; add them to the covariates or drop the option."
        )
    return covariates, reference, forced


def _design(
    data: pd.DataFrame | SurvData,
    time: str | None,
    event: str | None,
    covariates: Sequence[str],
    reference: Mapping[str, object] | None,
    categorical: Sequence[str] | None,
) -> _Design:
    covariates, reference, forced = model_terms(covariates, reference, categorical)
    if isinstance(data, SurvData):
        t, d, frame, dropped = _surv_rows(as_surv(data, time, event), covariates)
        time, event = data.time_col, data.event_col
    else:
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
        frame, dropped = complete_cases(data, [time, event, *covariates])
        if len(frame) == 0:
            _no_complete_rows(len(data), [time, event, *covariates])
        validate_survival(frame, time, event, covariates=covariates)
        # validated above: numeric (or boolean), finite, times >= 0, events 0/1
        t = pd.to_numeric(frame[time].astype(object)).to_numpy(dtype=np.float64) + 0.0
        d = pd.to_numeric(frame[event].astype(object)).to_numpy(dtype=np.float64)
    t = aeq_times(t)

    blocks: list[np.ndarray] = []
    columns: list[tuple[str, str | None, str | None]] = []
    assign: list[tuple[str, tuple[int, ...]]] = []
    for cov in covariates:
        col = frame[cov]
        is_cat = (
            cov in forced
            or cov in reference
            or isinstance(col.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(col)
            or not pd.api.types.is_numeric_dtype(col)
        )
        start = len(columns)
        if is_cat:
            levels = _levels(col, cov, reference.get(cov))
            if len(levels) < 2:
                raise AnalysisError(
                    f"Covariate {cov!r} has a single level ({levels[0]!r}) in the "
                    f"{len(frame)} complete rows, so its effect cannot be estimated; drop it "
                    "from the model or widen the filters."
                )
            # Factorise once and name only the few distinct values: mapping _level_str over
            # every row was half the fit time at n = 1e6.
            codes, uniques = pd.factorize(col)
            names = np.array([_level_str(v) for v in uniques], dtype=object)
            for lev in levels[1:]:
                hit = np.flatnonzero(names == lev)
                blocks.append(np.isin(codes, hit).astype(np.float64))
                columns.append((cov, lev, levels[0]))
        else:
            vals = col.to_numpy(dtype=np.float64)
            if np.all(vals == vals[0]):
                raise AnalysisError(
                    f"Covariate {cov!r} is constant ({float(vals[0])!r}) in the {len(frame)} "
                    "complete rows, so its effect cannot be estimated; drop it from the model."
                )
            blocks.append(vals)
            columns.append((cov, None, None))
        assign.append((cov, tuple(range(start, len(columns)))))
    x = np.column_stack(blocks)
    n, p = x.shape
    _check_size(event, n, p, float(d.sum()))
    _check_collinear(x, columns)
    return _Design(t, d, x, tuple(columns), tuple(assign), dropped)


def _check_size(event: str | None, n: int, p: int, events: float) -> None:
    """A model needs events and more complete rows than coefficients (in memory and on the
    engine)."""
    if events == 0:
        raise AnalysisError(
            f"Column {event!r} has no events among the {n} complete rows, so a Cox model "
            "cannot be fitted; check the event coding (1 = event) or widen the filters."
        )
    if n <= p:
        raise AnalysisError(
            f"The model has {p} coefficients but only {n} complete rows; use fewer covariates "
            "or more patients."
        )


def _check_collinear(x: np.ndarray, columns: Sequence[tuple[str, str | None, str | None]]) -> None:
    xc = x - x.mean(axis=0)
    _check_collinear_gram(xc.T @ xc, columns)


def _check_collinear_gram(
    gram: np.ndarray, columns: Sequence[tuple[str, str | None, str | None]]
) -> None:
    """No column an exact combination of the others, from the centred cross-product ``gram``
    (in memory and on the engine): Cholesky of the correlation matrix in column order, where a
    (near) zero pivot means the column is a combination of the earlier ones (R flags the later
    of two aliased columns)."""
    d = np.sqrt(np.diag(gram))
    corr = gram / np.outer(d, d)
    p = corr.shape[0]
    low = np.zeros_like(corr)
    for j in range(p):
        piv = corr[j, j] - low[j, :j] @ low[j, :j]
        if piv < 1e-11:
            name = _term_name(*columns[j])
            raise AnalysisError(
                f"Term {name!r} is collinear with the other covariates (an exact combination "
                "of them, e.g. two codings of the same variable), so the model is not "
                "identifiable; drop one of the overlapping covariates."
            )
        low[j, j] = np.sqrt(piv)
        low[j + 1 :, j] = (corr[j + 1 :, j] - low[j + 1 :, :j] @ low[j, :j]) / low[j, j]


def _drop_columns(des: _Design, drop: Sequence[int]) -> _Design:
    """The design without columns ``drop`` (indices into ``des.columns``)."""
    keep = [j for j in range(len(des.columns)) if j not in set(drop)]
    remap = {old: new for new, old in enumerate(keep)}
    assign = tuple(
        (cov, tuple(remap[j] for j in idx if j in remap))
        for cov, idx in des.assign
        if any(j in remap for j in idx)
    )
    return _Design(
        des.time,
        des.event,
        des.x[:, keep],
        tuple(des.columns[j] for j in keep),
        assign,
        des.dropped,
    )

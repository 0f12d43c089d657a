"""The engine's Cox design and its queries: what one Newton step of ``cox_fit`` aggregates.

:func:`design` reads the model (indicator terms, means, the collinearity check) with one
aggregate query; :func:`step_query` is the GROUP BY time of one Newton step with exp(eta)
computed in SQL (numeric covariates), :func:`_pattern_table` the one GROUP BY (time,
covariate pattern) of a design with few patterns and :func:`_pattern_sums` one step's sums
from it in numpy; :func:`_level_events` the counts of the separation check (sums the design
query already has). The iteration and its result are :mod:`hccdash.engine.cox`, which
re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlglot import exp

from hccdash.cox.design import (
    _check_collinear_gram,
    _check_size,
    _levels,
    model_terms,
)
from hccdash.engine.counts import present, validate
from hccdash.engine.predicate import Filters, where
from hccdash.engine.source import Source, as_double, ident, literal
from hccdash.errors import AnalysisError

__all__ = ["Design", "design", "step_query"]


@dataclass(frozen=True)
class _Term:
    sql: exp.Expression  # uncentred x_j
    covariate: str
    level: str | None
    reference: str | None


@dataclass(frozen=True)
class Design:
    """The model on the engine: terms, complete-case condition, means and totals."""

    terms: tuple[_Term, ...]
    cond: exp.Expression
    time: str
    event: str
    n: int
    events: int
    dropped: int
    mean: np.ndarray
    mean_sq: np.ndarray  # mean of centred squares, per term
    sum_dx: np.ndarray  # sum over events of centred x
    lo: np.ndarray  # min / max of centred x (bound on eta for the exp shift)
    hi: np.ndarray
    categorical: bool
    sum_x: np.ndarray  # sums of uncentred x and of event * x, per term
    sum_ex: np.ndarray


def _pairs(p: int) -> list[tuple[int, int]]:
    return [(j, k) for j in range(p) for k in range(j, p)]


def _indicator(col: exp.Expression, raws: list) -> exp.Expression:
    cond = exp.In(this=col, expressions=[literal(v) for v in raws])
    return exp.Case().when(cond, literal(1.0)).else_(literal(0.0))


def design(
    source: Source,
    time: str,
    event: str,
    covariates: Sequence[str],
    *,
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    filters: Filters = None,
) -> Design:
    """Terms, means and checks of a Cox model, as ``hccdash.cox._design`` builds them."""
    covariates, reference, forced = model_terms(covariates, reference, categorical)
    filt = where(source, filters)
    n_all, _ = validate(source, time, event, covariates, filt)
    cond = exp.and_(*(present(source, c) for c in (time, event, *covariates)))
    if filt is not None:
        cond = exp.and_(cond, filt)
    terms: list[_Term] = []
    all_cat = True
    for cov in covariates:
        is_cat = cov in forced or cov in reference or not source.numeric(cov)
        if not is_cat:
            all_cat = False
            terms.append(_Term(as_double(ident(cov)), cov, None, None))
            continue
        raw = source.distinct(cov, where=cond)
        labels = pd.Series(raw, dtype=object).map(
            lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
        )
        levels = _levels(pd.Series(raw, dtype=object), cov, reference.get(cov))
        if len(levels) < 2:
            raise AnalysisError(
                f"Covariate {cov!r} has a single level ({levels[0]!r}) in the complete rows, "
                "so its effect cannot be estimated; drop it from the model or widen the filters."
            )
        for lev in levels[1:]:
            raws = [v for v, lab in zip(raw, labels, strict=True) if lab == lev]
            terms.append(_Term(_indicator(ident(cov), raws), cov, lev, levels[0]))
    p = len(terms)
    e = as_double(ident(event))
    sel = [exp.alias_(exp.Count(this=exp.Star()), "n"), exp.alias_(exp.Sum(this=e), "d")]
    for j, t in enumerate(terms):
        sel += [
            exp.alias_(exp.Sum(this=t.sql.copy()), f"s{j}"),
            exp.alias_(exp.Sum(this=exp.Mul(this=e.copy(), expression=t.sql.copy())), f"e{j}"),
            exp.alias_(exp.Min(this=t.sql.copy()), f"lo{j}"),
            exp.alias_(exp.Max(this=t.sql.copy()), f"hi{j}"),
        ]
    for j, k in _pairs(p):
        prod = exp.Mul(this=terms[j].sql.copy(), expression=terms[k].sql.copy())
        sel.append(exp.alias_(exp.Sum(this=prod), f"q{j}_{k}"))
    r = source.fetch(source.select(*sel).where(cond))
    n, d = int(r["n"][0]), float(np.nan_to_num(r["d"][0]))
    if n == 0:
        raise AnalysisError(
            f"No complete rows: all {n_all} rows miss a value in one of "
            f"{[time, event, *covariates]!r}. Fill in these columns or choose others."
        )
    s = np.array([float(r[f"s{j}"][0]) for j in range(p)])
    mean = s / n
    gram = np.empty((p, p))
    for j, k in _pairs(p):
        gram[j, k] = gram[k, j] = float(r[f"q{j}_{k}"][0]) - n * mean[j] * mean[k]
    for j, t in enumerate(terms):
        if t.level is None and float(r[f"lo{j}"][0]) == float(r[f"hi{j}"][0]):
            raise AnalysisError(
                f"Covariate {t.covariate!r} is constant ({float(r[f'lo{j}'][0])!r}) in the {n} "
                "complete rows, so its effect cannot be estimated; drop it from the model."
            )
    _check_size(event, n, p, d)
    _check_collinear_gram(gram, [(t.covariate, t.level, t.reference) for t in terms])
    sum_e = np.array([float(r[f"e{j}"][0]) for j in range(p)])
    return Design(
        terms=terms,
        cond=cond,
        time=time,
        event=event,
        n=n,
        events=round(d),
        dropped=n_all - n,
        mean=mean,
        mean_sq=np.diag(gram) / n,
        sum_dx=sum_e - d * mean,
        lo=np.array([float(r[f"lo{j}"][0]) for j in range(p)]) - mean,
        hi=np.array([float(r[f"hi{j}"][0]) for j in range(p)]) - mean,
        categorical=all_cat,
        sum_x=s,
        sum_ex=sum_e,
    )


# ----------------------------------------------------------------------------------------
# Per-time sums and their finish
# ----------------------------------------------------------------------------------------
def step_query(source: Source, des: Design, beta: np.ndarray, shift: float) -> exp.Select:
    """One Newton step's aggregation: per distinct time, d and the risk/death sums.

    ``SELECT t, SUM(e) d, SUM(r) r0, SUM(x_j r) r1_j, SUM(x_j x_k r) r2_jk, SUM(e r) d0, ...``
    with ``r = exp(sum_j beta_j (x_j - mean_j) - shift)``, grouped by time.
    """
    p = len(des.terms)
    xs = [
        exp.Sub(this=t.sql.copy(), expression=literal(float(m)))
        for t, m in zip(des.terms, des.mean, strict=True)
    ]
    eta: exp.Expression = literal(-float(shift))
    for j in range(p):
        term = exp.Mul(this=literal(float(beta[j])), expression=exp.paren(xs[j].copy()))
        eta = exp.Add(this=eta, expression=term)
    inner = source.select(
        exp.alias_(as_double(ident(des.time)), "t"),
        exp.alias_(as_double(ident(des.event)), "e"),
        *(exp.alias_(x, f"x{j}") for j, x in enumerate(xs)),
        exp.alias_(exp.Exp(this=eta), "r"),
    ).where(des.cond.copy())
    col = exp.column
    r, e = col("r"), col("e")

    def prod(*items: exp.Expression) -> exp.Expression:
        out = items[0].copy()
        for it in items[1:]:
            out = exp.Mul(this=out, expression=it.copy())
        return out

    sel = [col("t"), exp.alias_(exp.Sum(this=e.copy()), "d")]
    for pre, extra in (("r", ()), ("d", (e,))):
        sel.append(exp.alias_(exp.Sum(this=prod(*extra, r)), f"{pre}0"))
        for j in range(p):
            sel.append(exp.alias_(exp.Sum(this=prod(*extra, col(f"x{j}"), r)), f"{pre}1_{j}"))
        for j, k in _pairs(p):
            s = exp.Sum(this=prod(*extra, col(f"x{j}"), col(f"x{k}"), r))
            sel.append(exp.alias_(s, f"{pre}2_{j}_{k}"))
    return exp.select(*sel).from_(inner.subquery("rows")).group_by(col("t"))


def _unpack(res: Mapping[str, np.ndarray], p: int) -> dict[str, np.ndarray]:
    """Query columns -> arrays t, d, r0 (T), r1 (T x p), r2 (T x p x p), d0, d1, d2."""
    out = {"t": np.asarray(res["t"], dtype=np.float64), "d": np.asarray(res["d"], dtype=float)}
    tn = out["t"].size
    for pre in ("r", "d"):
        out[f"{pre}0"] = np.asarray(res[f"{pre}0"], dtype=np.float64)
        out[f"{pre}1"] = np.column_stack([res[f"{pre}1_{j}"] for j in range(p)]).astype(float)
        m = np.empty((tn, p, p))
        for j, k in _pairs(p):
            m[:, j, k] = m[:, k, j] = res[f"{pre}2_{j}_{k}"]
        out[f"{pre}2"] = m
    return out


def _pattern_table(source: Source, des: Design, limit: int | None) -> dict | None:
    """Rows and events per (time, covariate pattern), one query, sorted by time.

    None when there are more than ``limit`` patterns (then every Newton step aggregates on
    the engine instead); ``limit`` None (all-categorical design): always the table.
    """
    keys = [exp.alias_(as_double(ident(des.time)), "t")]
    keys += [exp.alias_(t.sql.copy(), f"x{j}") for j, t in enumerate(des.terms)]
    inner = source.select(*keys, exp.alias_(as_double(ident(des.event)), "e")).where(
        des.cond.copy()
    )
    names = [exp.column(k.alias) for k in keys]
    q = (
        exp.select(
            *names,
            exp.alias_(exp.Sum(this=exp.column("e")), "d"),
            exp.alias_(exp.Count(this=exp.Star()), "n"),
        )
        .from_(inner.subquery("rows"))
        .group_by(*(c.copy() for c in names))
    )
    if limit is not None:
        q = q.limit(limit + 1)
    r = source.fetch(q)
    if limit is not None and r["t"].size > limit:
        return None
    t = np.asarray(r["t"], dtype=np.float64)
    order = np.argsort(t, kind="stable")
    t = t[order]
    x = np.column_stack([r[f"x{j}"] for j in range(len(des.terms))]).astype(float)[order]
    starts = np.flatnonzero(np.concatenate(([True], t[1:] != t[:-1])))
    return {
        "t": t[starts],
        "starts": starts,
        "x": x - des.mean,
        "d": np.asarray(r["d"], dtype=float)[order],
        "n": np.asarray(r["n"], dtype=float)[order],
    }


def _pattern_sums(pt: Mapping[str, np.ndarray], beta: np.ndarray, shift: float):
    """Per-time sums of one Newton step from the pattern table (numpy, no engine query)."""
    x, starts = pt["x"], pt["starts"]
    p = x.shape[1]
    w = np.exp(x @ beta - shift)
    out = {"t": pt["t"], "d": np.add.reduceat(pt["d"], starts)}
    for pre, cnt in (("r", pt["n"]), ("d", pt["d"])):
        wr = w * cnt
        out[f"{pre}0"] = np.add.reduceat(wr, starts)
        xw = x * wr[:, None]
        out[f"{pre}1"] = np.add.reduceat(xw, starts, axis=0)
        m = np.empty((starts.size, p, p))
        for j, k in _pairs(p):
            m[:, j, k] = m[:, k, j] = np.add.reduceat(xw[:, j] * x[:, k], starts)
        out[f"{pre}2"] = m
    return out


def _level_events(des: Design) -> dict[int, tuple[float, float]]:
    """Per indicator term: (rows, events) with the indicator 1 (for the separation check of
    ``hccdash.cox._separated``): the design query's sums of x and of event * x, no new scan."""
    return {
        j: (float(des.sum_x[j]), float(des.sum_ex[j]))
        for j, t in enumerate(des.terms)
        if t.level is not None
    }

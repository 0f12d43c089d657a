"""Cox models on the engine: sums per distinct time, one aggregation per Newton step.

Everything ``coxph``'s Newton-Raphson needs at a given beta is, per distinct time t, the
risk-set sums S0 = sum exp(eta), S1 = sum x exp(eta), S2 = sum x x' exp(eta) over the rows
with time t, and the same sums over the deaths at t (Efron's correction subtracts a share
k/m of them for the k-th of m tied deaths). So:

- the design (indicator terms, means, the collinearity check) comes from one aggregate query;
- **numeric covariates**: each Newton step runs one GROUP BY time on the engine with exp(eta)
  computed in SQL (:func:`step_query`; the same SQLGlot expression on DuckDB and Spark);
- **few patterns** (every covariate categorical, or numeric ones with few values such as KPS,
  integer age, registry codes: at most ``PATTERN_ROWS`` distinct (time, pattern) rows): one
  GROUP BY (time, covariate pattern) fetches events and rows per pattern once; every step is
  then numpy on that table.

The per-time sums are finished by :func:`efron_sums` (log-likelihood, score, information),
and the iteration is ``hccdash.cox``'s own (``_newton``: R's coxfit6 step halving and
``eps = 1e-12`` rule), so coefficients, standard errors and log-likelihoods equal
``cox_fit`` (tests/test_engine_cox.py checks 1e-10 on the R fixtures). Concordance and
``cox.zph`` need the rows and are not computed here (NaN, with a warning).
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
    _term_name,
    model_terms,
)
from hccdash.cox.fit import EPV_WARN, _cox_terms
from hccdash.cox.newton import EPS, TOLER_INF, _inverse, _newton, _NoInformation, _solve
from hccdash.cox.results import CoxResult, _global_tests
from hccdash.engine.predicate import Filters, where
from hccdash.engine.source import Source, as_double, ident, literal
from hccdash.engine.survival import present, validate
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric.ties import aeq_times

__all__ = ["PATTERN_ROWS", "cox_fit", "efron_sums", "step_query"]

# Up to this many distinct (time, covariate pattern) rows, one GROUP BY fetches them and every
# Newton step is numpy; beyond it, each step is one GROUP BY time on the engine.
PATTERN_ROWS = 1_000_000


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


def efron_sums(
    sums: Mapping[str, np.ndarray], beta: np.ndarray, sum_dx: np.ndarray, shift: float, ties: str
) -> tuple[float, np.ndarray, np.ndarray]:
    """Partial log-likelihood, score and information from per-time sums (R's coxfit6 math).

    ``sums``: per distinct time (any order; near-tied times are merged here by R's rule)
    ``d`` deaths, ``r0, r1, r2`` sums of exp(eta), x exp(eta), x x' exp(eta) over the rows
    with that time and ``d0, d1, d2`` the same over its deaths (x centred, eta shifted).
    """
    t = aeq_times(sums["t"])
    uniq, inv = np.unique(t, return_inverse=True)
    inv = inv.ravel()

    def per_time(a: np.ndarray) -> np.ndarray:
        out = np.zeros((uniq.size, *a.shape[1:]))
        np.add.at(out, inv, a)
        return out

    d = np.rint(per_time(sums["d"])).astype(np.int64)
    rsk = {k: np.cumsum(per_time(sums[k])[::-1], axis=0)[::-1] for k in ("r0", "r1", "r2")}
    dead = {k: per_time(sums[k]) for k in ("d0", "d1", "d2")}
    has = np.flatnonzero(d > 0)
    m = d[has]
    tix = np.repeat(np.arange(has.size), m)  # one entry per death term
    kk = np.arange(tix.size) - np.repeat(np.cumsum(m) - m, m)
    frac = kk / np.repeat(m, m) if ties == "efron" else np.zeros(tix.size)
    g = has[tix]
    s0 = rsk["r0"][g] - frac * dead["d0"][g]
    s1 = rsk["r1"][g] - frac[:, None] * dead["d1"][g]
    a = s1 / s0[:, None]
    loglik = float(beta @ sum_dx - np.log(s0).sum() - shift * s0.size)
    u = sum_dx - a.sum(axis=0)
    inv0 = np.bincount(tix, weights=1.0 / s0, minlength=has.size)
    invf = np.bincount(tix, weights=frac / s0, minlength=has.size)
    s2 = np.einsum("t,tjk->jk", inv0, rsk["r2"][has]) - np.einsum(
        "t,tjk->jk", invf, dead["d2"][has]
    )
    imat = s2 - a.T @ a
    return loglik, u, (imat + imat.T) / 2


class _EngineRiskSets:
    """What ``hccdash.cox._newton`` reads from its risk sets, computed by aggregation.

    ``derivs(beta)`` returns (loglik, score, information); ``event.sum()`` is the number of
    events and ``(x ** 2).mean(axis=0)`` the mean centred squares (the zero-information
    scale), held as a 1 x p array.
    """

    def __init__(self, source: Source, des: Design, ties: str) -> None:
        self.source, self.des, self.ties = source, des, ties
        self.event = np.array([float(des.events)])
        self.x = np.sqrt(des.mean_sq)[None, :]
        self.passes = 0
        limit = None if des.categorical else PATTERN_ROWS
        self._patterns = _pattern_table(source, des, limit) if limit != 0 else None

    def shift(self, beta: np.ndarray) -> float:
        return float(np.sum(np.maximum(beta * self.des.lo, beta * self.des.hi)))

    def derivs(self, beta: np.ndarray, info: bool = True):
        shift = self.shift(beta)
        if self._patterns is None:
            self.passes += 1
            sums = _unpack(
                self.source.fetch(step_query(self.source, self.des, beta, shift)), beta.size
            )
        else:
            sums = _pattern_sums(self._patterns, beta, shift)
        loglik, u, imat = efron_sums(sums, beta, self.des.sum_dx, shift, self.ties)
        return loglik, u, imat if info else None


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


def _level_events(source: Source, des: Design) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per indicator term: (rows, events) with the indicator 1, 0 and all-zero for the term's
    covariate (for the separation check of ``hccdash.cox._separated``)."""
    out = {}
    e = as_double(ident(des.event))
    by_cov: dict[str, list[int]] = {}
    for j, t in enumerate(des.terms):
        if t.level is not None:
            by_cov.setdefault(t.covariate, []).append(j)
    for idx in by_cov.values():
        sel = []
        for j in idx:
            x = des.terms[j].sql
            sel += [
                exp.alias_(exp.Sum(this=x.copy()), f"n{j}"),
                exp.alias_(exp.Sum(this=exp.Mul(this=e.copy(), expression=x.copy())), f"d{j}"),
            ]
        r = source.fetch(source.select(*sel).where(des.cond.copy()))
        for j in idx:
            out[j] = (float(r[f"n{j}"][0]), float(r[f"d{j}"][0]))
    return out


def cox_fit(
    source: Source,
    time: str,
    event: str,
    covariates: Sequence[str],
    *,
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    conf_level: float = 0.95,
    filters: Filters = None,
) -> CoxResult:
    """Fit R's ``coxph`` on the engine; same estimates as :func:`hccdash.cox.cox_fit`.

    Parameters are those of ``hccdash.cox.cox_fit`` (no Firth refit here) plus ``source``
    and ``filters``. ``concordance`` and ``concordance_se`` are NaN (they need every row's
    linear predictor); a warning says so.

    Examples
    --------
    >>> import pandas as pd
    >>> from hccdash.engine import open_source
    >>> d = pd.DataFrame({"t": [1.0, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 0],
    ...                   "x": [0.5, 1.5, 0.2, 2.0, 0.1, 1.0]})
    >>> fit = cox_fit(open_source(d), "t", "e", ["x"])
    >>> round(fit.terms[0].coef, 6) == round(
    ...     __import__("hccdash.cox").cox.cox_fit(d, "t", "e", ["x"]).terms[0].coef, 6)
    True
    """
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be between 0 and 1, got {conf_level!r}.")
    des = design(
        source, time, event, covariates,
        reference=reference, categorical=categorical, filters=filters,
    )  # fmt: skip
    names = tuple(_term_name(t.covariate, t.level, t.reference) for t in des.terms)
    p = len(names)
    rs = _EngineRiskSets(source, des, ties)
    try:
        beta, loglik, loglik0, score, u, imat, converged, iters = _newton(rs, p)  # type: ignore[arg-type]
    except _NoInformation as exc:
        raise AnalysisError(
            f"Term {names[exc.index]!r} cannot be estimated: at every event time the patients "
            "still at risk share the same value of it, so the data carry no information "
            "about its hazard ratio. Drop it or merge its levels."
        ) from None
    var = _inverse(imat)
    se = np.sqrt(np.clip(np.diag(var), 0, None))
    separated = set()
    step = np.abs(u @ var)
    with np.errstate(invalid="ignore"):
        bad = (step > EPS) & (step > TOLER_INF * np.maximum(np.abs(beta), 1.0))
    if converged:
        separated.update(np.flatnonzero(bad).tolist())
    level_counts = _level_events(source, des)
    by_cov: dict[str, list[int]] = {}
    for j, t in enumerate(des.terms):
        if t.level is not None:
            by_cov.setdefault(t.covariate, []).append(j)
    for idx in by_cov.values():
        d_cov = sum(level_counts[j][1] for j in idx)
        for j in idx:
            n_in, d_in = level_counts[j]
            if d_in == 0 or des.events - d_cov == 0:
                separated.add(j)
            if d_in == n_in and des.events - d_in == 0:
                separated.add(j)
    msgs: list[str] = []
    if separated:
        listed = ", ".join(repr(names[j]) for j in sorted(separated))
        msgs.append(
            f"Monotone likelihood (separation) for {listed}: the data allow the hazard ratio "
            "to grow without bound (typically a level where nobody, or everybody, had the "
            "event), so the estimate, its confidence interval and its Wald p-value are "
            "meaningless. Merge sparse levels or drop the covariate."
        )
    if not converged:
        msgs.append(
            f"The fit did not converge in {iters} iterations; treat the estimates with caution."
        )
    epv = des.events / p
    if epv < EPV_WARN:
        msgs.append(
            f"Only {epv:.1f} events per variable ({des.events} events, {p} coefficients); "
            "below 10 the estimates are unstable and biased away from 1. Use fewer covariates."
        )
    msgs.append("Concordance is not computed on the engine (it needs every row).")
    columns = [(t.covariate, t.level, t.reference) for t in des.terms]
    terms = _cox_terms(columns, (), beta, se, conf_level)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        wald = float(beta @ _solve(var, beta))
    return CoxResult(
        ties=ties,
        n=des.n,
        events=des.events,
        dropped=des.dropped,
        terms=terms,
        **_global_tests(loglik0, loglik, wald, score, p),
        concordance=float("nan"),
        concordance_se=float("nan"),
        converged=bool(converged),
        iterations=int(iters),
        separation=bool(separated),
        separated_terms=tuple(names[j] for j in sorted(separated)),
        penalized=False,
        events_per_variable=float(epv),
        warnings=tuple(msgs),
        conf_level=conf_level,
    )

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

The design and the queries are :mod:`hccdash.engine.cox_design` (re-exported here); this
module sums, iterates and reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hccdash.cox.design import _check_size, _term_name
from hccdash.cox.fit import EPV_WARN, _cox_terms
from hccdash.cox.newton import EPS, TOLER_INF, _inverse, _newton, _NoInformation, _solve
from hccdash.cox.results import CoxResult, _global_tests
from hccdash.engine.cox_design import (  # re-exported: the design and its queries
    Design,
    _level_events,
    _pattern_sums,
    _pattern_table,
    _Term,
    _unpack,
    design,
    step_query,
)
from hccdash.engine.predicate import Filters
from hccdash.engine.source import Source
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric.ties import aeq_times

__all__ = ["NO_CONCORDANCE", "PATTERN_ROWS", "cox_fit", "efron_sums", "step_query"]

NO_CONCORDANCE = "Concordance is not computed on the engine (it needs every row)."

# Up to this many distinct (time, covariate pattern) rows, one GROUP BY fetches them and every
# Newton step is numpy; beyond it, each step is one GROUP BY time on the engine.
PATTERN_ROWS = 1_000_000
_BLOCK = 1 << 20  # death terms summed at a time by efron_sums (memory bound, ~50 MB)


def _death_terms(m: np.ndarray, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """Per death term of times with ``m`` deaths: its time's index and Efron's k/m share."""
    tix = np.repeat(np.arange(m.size), m)
    if ties != "efron":
        return tix, np.zeros(tix.size)
    kk = np.arange(tix.size) - np.repeat(np.cumsum(m) - m, m)
    return tix, kk / np.repeat(m, m).astype(float)


def efron_sums(
    sums: Mapping[str, np.ndarray], beta: np.ndarray, sum_dx: np.ndarray, shift: float, ties: str
) -> tuple[float, np.ndarray, np.ndarray]:
    """Partial log-likelihood, score and information from per-time sums (R's coxfit6 math).

    ``sums``: per distinct time (any order; near-tied times are merged here by R's rule)
    ``d`` deaths, ``r0, r1, r2`` sums of exp(eta), x exp(eta), x x' exp(eta) over the rows
    with that time and ``d0, d1, d2`` the same over its deaths (x centred, eta shifted).

    The k-th of m tied deaths (Efron) has the denominator s0 = R0 - f D0 and the mean
    a = w (R1 - f D1), w = 1 / s0, f = k / m. Only scalars are summed per death term
    (w, f w, w^2, f w^2, f^2 w^2, log s0; in blocks of ``_BLOCK`` terms); the vectors and
    matrices enter once per time: sum a = R1 W - D1 Fw, sum a a' = R1 R1' W2 - (R1 D1' +
    D1 R1') F2 + D1 D1' G2. That is the same sum as coxfit6's loop over deaths, in
    O(deaths + times p^2) memory instead of O(deaths p) (a registry has millions of deaths
    on a few hundred distinct times).
    """
    t = aeq_times(sums["t"])
    uniq, inv = np.unique(t, return_inverse=True)
    inv = inv.ravel()

    def per_time(a: np.ndarray) -> np.ndarray:
        out = np.zeros((uniq.size, *a.shape[1:]))
        np.add.at(out, inv, a)
        return out

    d = np.rint(per_time(sums["d"])).astype(np.int64)
    has = np.flatnonzero(d > 0)
    rsk = {k: np.cumsum(per_time(sums[k])[::-1], axis=0)[::-1][has] for k in ("r0", "r1", "r2")}
    dead = {k: per_time(sums[k])[has] for k in ("d0", "d1", "d2")}
    m = d[has]
    scal = np.zeros((6, has.size))  # W, Fw, W2, F2, G2, sum log s0 per time with deaths
    ends = np.cumsum(m)
    lo = 0
    while lo < has.size:  # blocks of whole times, about _BLOCK death terms each
        hi = max(int(np.searchsorted(ends, ends[lo] - m[lo] + _BLOCK, side="right")), lo + 1)
        tix, frac = _death_terms(m[lo:hi], ties)
        s0 = rsk["r0"][lo:hi][tix] - frac * dead["d0"][lo:hi][tix]
        w = 1.0 / s0
        w2 = w * w
        starts = np.cumsum(m[lo:hi]) - m[lo:hi]  # death terms of a time are contiguous
        for i, v in enumerate((w, frac * w, w2, frac * w2, frac * frac * w2, np.log(s0))):
            scal[i, lo:hi] = np.add.reduceat(v, starts)
        lo = hi
    big_w, fw, w2, f2, g2, logs = scal
    r1, d1 = rsk["r1"], dead["d1"]
    loglik = float(beta @ sum_dx - logs.sum() - shift * float(m.sum()))
    u = sum_dx - (r1 * big_w[:, None] - d1 * fw[:, None]).sum(axis=0)
    s2 = np.einsum("t,tjk->jk", big_w, rsk["r2"]) - np.einsum("t,tjk->jk", fw, dead["d2"])
    cross = np.einsum("t,tj,tk->jk", f2, r1, d1)
    aa = np.einsum("t,tj,tk->jk", w2, r1, r1) - cross - cross.T
    aa += np.einsum("t,tj,tk->jk", g2, d1, d1)
    imat = s2 - aa
    return loglik, u, (imat + imat.T) / 2


class _EngineRiskSets:
    """What ``hccdash.cox._newton`` reads from its risk sets, computed by aggregation.

    ``derivs(beta)`` returns (loglik, score, information); ``event.sum()`` is the number of
    events and ``(x ** 2).mean(axis=0)`` the mean centred squares (the zero-information
    scale), held as a 1 x p array.
    """

    def __init__(
        self, source: Source | None, des: Design, ties: str, patterns: dict | None = None
    ) -> None:
        self.source, self.des, self.ties = source, des, ties
        self.event = np.array([float(des.events)])
        self.x = np.sqrt(des.mean_sq)[None, :]
        self.passes = 0
        if patterns is None:
            limit = None if des.categorical else PATTERN_ROWS
            patterns = _pattern_table(source, des, limit) if limit != 0 else None
        self._patterns = patterns

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
    return _fit(_EngineRiskSets(source, des, ties), ties, conf_level)


def _fit(rs: _EngineRiskSets, ties: str, conf_level: float) -> CoxResult:
    """Newton-Raphson on ``rs`` and the :class:`CoxResult` of ``cox_fit`` (checks, tests)."""
    des = rs.des
    names = tuple(_term_name(t.covariate, t.level, t.reference) for t in des.terms)
    p = len(names)
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
    level_counts = _level_events(des)
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
    msgs.append(NO_CONCORDANCE)
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


def cox_from_counts(
    covariate: str,
    counts: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    ties: str = "efron",
    conf_level: float = 0.95,
) -> CoxResult:
    """The one-factor Cox model from rows and events per group and distinct time.

    A categorical covariate's partial likelihood depends on the data only through the rows
    and deaths of each level at each time, which a Kaplan-Meier count table already holds; so
    the hazard ratios beside a served cohort's curves need no query of their own. This is
    :func:`cox_fit`'s pattern path (the same Newton iteration, checks and tests) on those
    counts: R ``coxph(Surv(time, event) ~ factor(covariate), ties = ties)`` with the first
    key of ``counts`` as the reference level.

    Parameters
    ----------
    covariate : str
        The factor's name (the terms are named ``"covariate: level vs reference"``).
    counts : mapping
        Level -> (distinct times, events, censored) at those times; the first level is the
        reference. Levels without rows are dropped; fewer than two left is an error.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hccdash.cox import cox_fit
    >>> d = pd.DataFrame({"t": [1.0, 2, 2, 3, 4, 5, 6, 7], "e": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "g": list("abababab")})
    >>> counts = {}
    >>> for lev, rows in d.groupby("g"):
    ...     by = rows.groupby("t")["e"].agg(["sum", "count"])
    ...     died, rows = by["sum"].to_numpy(), by["count"].to_numpy()
    ...     counts[lev] = (by.index.to_numpy(), died, rows - died)
    >>> fit = cox_from_counts("g", counts)
    >>> memory = cox_fit(d, "t", "e", ["g"], categorical=["g"])
    >>> bool(abs(fit.terms[0].coef - memory.terms[0].coef) < 1e-12), fit.terms[0].level
    (True, 'b')
    """
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be between 0 and 1, got {conf_level!r}.")
    kept = {k: v for k, v in counts.items() if np.sum(v[1]) + np.sum(v[2]) > 0}
    levels = list(kept)
    if len(levels) < 2:
        raise AnalysisError(
            f"Covariate {covariate!r} has {len(levels)} level(s) with patients, so its effect "
            "cannot be estimated; widen the filters or choose another grouping."
        )
    t = np.concatenate([np.asarray(kept[k][0], dtype=float) for k in levels])
    d = np.concatenate([np.asarray(kept[k][1], dtype=float) for k in levels])
    n = d + np.concatenate([np.asarray(kept[k][2], dtype=float) for k in levels])
    which = np.repeat(np.arange(len(levels)), [np.size(kept[k][0]) for k in levels])
    x = (which[:, None] == np.arange(1, len(levels))[None, :]).astype(float)
    order = np.argsort(t, kind="stable")
    t, d, n, x = t[order], d[order], n[order], x[order]
    rows, events = float(n.sum()), float(d.sum())
    mean = (x * n[:, None]).sum(axis=0) / rows
    xc = x - mean
    sum_x, sum_ex = (x * n[:, None]).sum(axis=0), (x * d[:, None]).sum(axis=0)
    terms = tuple(_Term(None, covariate, lev, levels[0]) for lev in levels[1:])  # type: ignore[arg-type]
    _check_size("event", int(rows), len(terms), events)
    des = Design(
        terms=terms, cond=None, time="time", event="event", n=int(rows), events=round(events),
        dropped=0, mean=mean, mean_sq=(xc**2 * n[:, None]).sum(axis=0) / rows,
        sum_dx=sum_ex - events * mean, lo=xc.min(axis=0), hi=xc.max(axis=0), categorical=True,
        sum_x=sum_x, sum_ex=sum_ex,
    )  # fmt: skip
    starts = np.flatnonzero(np.concatenate(([True], t[1:] != t[:-1])))
    patterns = {"t": t[starts], "starts": starts, "x": xc, "d": d, "n": n}
    return _fit(_EngineRiskSets(None, des, ties, patterns), ties, conf_level)

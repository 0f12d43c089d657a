"""The plain Cox fit :func:`cox_fit` (R's ``coxph``): design, Newton-Raphson, optional Firth
refit, R's three global tests, concordance and the messages a page shows. Stratified,
(start, stop], weighted and robust fits go to :func:`hccdash.coxext.fit.cox_fit_ext`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.cox.concordance import concordance
from hccdash.cox.design import _design, _term_name
from hccdash.cox.firth import _firth
from hccdash.cox.newton import (
    _fit_dropping_flat,
    _inverse,
    _no_information_message,
    _separated,
    _solve,
)
from hccdash.cox.results import CoxResult, CoxTerm, _global_tests
from hccdash.errors import InputError
from hccdash.survdata import SurvData

__all__ = ["cox_fit"]  # _cox_terms is shared with the extended and engine fits

EPV_WARN = 10.0


def _cox_terms(
    columns: Sequence[tuple[str, str | None, str | None]],
    aliased: Sequence[int],
    beta: np.ndarray,
    se: np.ndarray,
    conf_level: float,
    test_se: np.ndarray | None = None,
    robust_se: np.ndarray | None = None,
) -> tuple[CoxTerm, ...]:
    """One :class:`CoxTerm` per design column (covariate, level, reference), R's
    ``summary(coxph)`` row: the ``aliased`` columns (no information) are NA, as R prints them;
    ``beta``, ``se`` (and ``test_se``, ``robust_se``) hold the other columns in order. z, p and
    the Wald interval use ``test_se`` (default ``se``; the robust SE when robust, as R)."""
    k = len(columns)
    kept = [j for j in range(k) if j not in set(aliased)]

    def full(values: np.ndarray) -> np.ndarray:
        out = np.full(k, np.nan)
        out[kept] = values
        return out

    b, s, su = full(beta), full(se), full(se if test_se is None else test_se)
    rse = None if robust_se is None else full(robust_se)
    zcrit = stats.norm.ppf(0.5 + conf_level / 2)
    terms = []
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for j, (cov, lev, ref) in enumerate(columns):
            z = b[j] / su[j] if su[j] > 0 else float("nan")
            terms.append(
                CoxTerm(
                    term=_term_name(cov, lev, ref),
                    covariate=cov,
                    level=lev,
                    reference=ref,
                    coef=float(b[j]),
                    se=float(s[j]),
                    hr=float(np.exp(b[j])),
                    lower=float(np.exp(b[j] - zcrit * su[j])),
                    upper=float(np.exp(b[j] + zcrit * su[j])),
                    z=float(z),
                    p_value=float(2 * stats.norm.sf(abs(z))),
                    robust_se=None if rse is None else float(rse[j]),
                )
            )
    return tuple(terms)


def cox_fit(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    covariates: Sequence[str] = (),
    *,
    ties: str = "efron",
    reference: Mapping[str, object] | None = None,
    categorical: Sequence[str] | None = None,
    conf_level: float = 0.95,
    penalized: bool = False,
    strata: str | Sequence[str] | None = None,
    start: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool | None = None,
) -> CoxResult:
    """Fit a Cox proportional hazards model as R's ``coxph`` does, fully converged.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient; rows missing any used column are dropped (counted in
        ``dropped``).
    time, event : str
        Follow-up time and event indicator (1 = event, 0 = censored) columns.
    covariates : sequence of str
        Model columns. Numeric columns enter as they are (term = column name); non-numeric,
        boolean or pandas Categorical columns, and those named in ``categorical`` or
        ``reference``, enter as indicator terms ``"column: level vs reference"``.
    ties : {"efron", "breslow"}
        Handling of tied event times (R's default is Efron).
    reference : dict, optional
        Reference level per categorical column. Default: the first level of the column's
        pandas categories (pass a Categorical in the codebook's level order, or the
        codebook's reference here); else the first level in sorted order (numeric codes
        sorted numerically), which is R's ``factor()`` default.
    categorical : sequence of str, optional
        Numeric columns to treat as categorical (e.g. ECOG 0-3 codes).
    conf_level : float
        Level of the hazard-ratio confidence intervals.
    penalized : bool
        Fit Firth's penalised partial likelihood ``l(b) + 0.5 log det I(b)`` instead
        (Heinze and Schemper 2001; R's ``coxphf(pl = FALSE)``, SAS ``PHREG / FIRTH``):
        finite, shrunk estimates when the ordinary fit separates. Standard errors and Wald
        intervals use ``I(b)^-1`` at the penalised estimate. coxphf and SAS use Breslow ties;
        pass ``ties="breslow"`` to match them. The result is labelled ``penalized=True``; its
        log-likelihoods and likelihood-ratio test are the penalised ones, the score test is
        the ordinary one at b = 0. (coxphf is not installable here, so this refit is tested
        by finite differences of the penalised likelihood, not against R.)

    strata, start, weights, cluster, robust : optional
        Stratified, counting-process ``Surv(start, time, event)``, case-weighted and robust
        (sandwich, ``cluster(id)``) fits as R's ``coxph``; see
        :func:`hccdash.coxext.fit.cox_fit_ext`, which runs when any of them is given.

    Returns
    -------
    CoxResult
        Coefficients, R's three global tests, concordance with its standard error, and
        flags: ``converged``, ``separation`` / ``separated_terms`` and ``warnings``.
        Separation (monotone likelihood, e.g. a level without events) is reported, never
        raised.

    Raises
    ------
    hccdash.errors.InputError
        Missing columns, bad times or event codes, an unknown reference level.
    hccdash.errors.AnalysisError
        No complete rows, no events, a constant or collinear covariate, or no more rows than
        coefficients.

    Notes
    -----
    The estimate is R's ``coxph(..., control = coxph.control(eps = 1e-12, iter.max = 100))``:
    Newton-Raphson from beta = 0 with R's step halving, stopping when
    ``|1 - loglik_old / loglik_new| <= 1e-12``.

    Examples
    --------
    >>> from hccdash.rdata import aml
    >>> fit = cox_fit(aml(), "time", "status", ["x"])
    >>> t = fit.terms[0]
    >>> t.term, round(t.coef, 6), round(t.se, 6), round(t.hr, 4), round(t.p_value, 4)
    ('x: Nonmaintained vs Maintained', 0.915533, 0.511934, 2.4981, 0.0737)
    >>> round(t.lower, 4), round(t.upper, 4)
    (0.9159, 6.8135)
    >>> round(fit.likelihood_ratio.chisq, 4), round(fit.score.chisq, 4), round(fit.concordance, 4)
    (3.3844, 3.4167, 0.619)
    >>> round(cox_fit(aml(), "time", "status", ["x"], ties="breslow").terms[0].coef, 6)
    0.90422

    References
    ----------
    R: ``summary(coxph(Surv(time, status) ~ x, aml))``: coef 0.9155326, se 0.5119343,
    exp(coef) 2.498 (0.9159, 6.8135), p 0.0737; likelihood ratio 3.384, score (logrank)
    3.417; concordance 0.619. ``coxph(..., ties = "breslow")``: 0.9042197.
    """
    if isinstance(data, SurvData) and any(
        v is not None for v in (strata, start, weights, cluster, robust)
    ):
        data, time, event = data.frame, data.time_col, data.event_col  # the extended path
    if any(v is not None for v in (strata, start, weights, cluster, robust)):
        if penalized:
            raise InputError(
                "The penalised (Firth) refit is available for the plain model only; drop "
                "strata, start, weights, cluster and robust, or the penalised option."
            )
        from hccdash.coxext.fit import cox_fit_ext  # late: coxext imports cox

        return cox_fit_ext(
            data,
            time,
            event,
            covariates,
            ties=ties,
            reference=reference,
            categorical=categorical,
            conf_level=conf_level,
            strata=strata,
            start=start,
            weights=weights,
            cluster=cluster,
            robust=robust,
        )
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    if not 0 < conf_level < 1:
        raise InputError(f"conf_level must be between 0 and 1, got {conf_level!r}.")
    des_all = _design(data, time, event, covariates, reference, categorical)
    n = des_all.x.shape[0]
    events = int(des_all.event.sum())
    all_names = tuple(_term_name(*c) for c in des_all.columns)
    des, rs, fit, aliased = _fit_dropping_flat(des_all, ties)
    p = des.x.shape[1]
    names = tuple(_term_name(*c) for c in des.columns)
    msgs: list[str] = [_no_information_message(all_names, aliased)] if aliased else []

    beta, loglik, loglik0, score, u, imat, converged, iters = fit
    var = _inverse(imat)
    separated = _separated(des, beta, u, var, converged)
    if penalized:
        beta, loglik, loglik0, u, imat, converged, iters = _firth(rs, p)
        var = _inverse(imat)
    se = np.sqrt(np.clip(np.diag(var), 0, None))

    if separated:
        listed = ", ".join(repr(names[j]) for j in separated)
        msgs.append(
            f"Monotone likelihood (separation) for {listed}: the data allow the hazard ratio "
            "to grow without bound (typically a level where nobody, or everybody, had the "
            "event), so the estimate, its confidence interval and its Wald p-value are "
            "meaningless. Merge sparse levels, drop the covariate, or use the penalised "
            "(Firth) refit."
            + (" The estimates shown are from that penalised refit." if penalized else "")
        )
    if not converged:
        msgs.append(
            f"The fit did not converge in {iters} iterations; treat the estimates with caution."
        )
    epv = events / p
    if epv < EPV_WARN:
        msgs.append(
            f"Only {epv:.1f} events per variable ({events} events, {p} coefficients); below "
            "10 the estimates are unstable and biased away from 1. Use fewer covariates."
        )
    if penalized:
        msgs.append(
            "Penalised (Firth) estimates: shrunk towards no effect; log-likelihood and "
            "likelihood-ratio test are the penalised ones; intervals are Wald intervals."
        )

    terms = _cox_terms(des_all.columns, aliased, beta, se, conf_level)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        wald = float(beta @ _solve(var, beta))
    lp = des.x @ beta
    conc, conc_se = concordance(des.time, des.event, lp)
    return CoxResult(
        ties=ties,
        n=n,
        events=events,
        dropped=des.dropped,
        terms=terms,
        **_global_tests(loglik0, loglik, wald, score, p),
        concordance=conc,
        concordance_se=conc_se,
        converged=bool(converged),
        iterations=int(iters),
        separation=bool(separated),
        separated_terms=tuple(names[j] for j in separated),
        penalized=bool(penalized),
        events_per_variable=float(epv),
        warnings=tuple(msgs),
        conf_level=conf_level,
    )

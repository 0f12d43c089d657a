"""The Cox page on a cohort served in place: the model fitted on the engine, no row in memory.

Above ``HCCDASH_IN_MEMORY_ROWS`` the Cox page cannot read the filtered rows; the engine fits
the same model by aggregation (:func:`hccdash.engine.cox.cox_fit`, one GROUP BY per Newton
step, the same :class:`~hccdash.cox.CoxResult` as :func:`hccdash.cox.cox_fit` on the rows).
This module is the glue between the page's choices and that fit:

- :func:`model_source` is the served view restricted to the sidebar's filters
  (:class:`~hccdash.filters.FilterSpec` as SQL predicates, ``ServedCohort.filters``) with the
  codebook's groupings of the chosen covariates computed in SQL (a cut point as
  ``CASE WHEN x <= cut``, excluded levels as NULL): what
  :func:`hccdash.ui.cox_view.codebook_grouped` does to the rows in memory;
- :func:`fit` is one model on it, held in a bounded store shared by the sessions (the
  served cohort is the server's, no user's upload) and keyed by the cohort's identity, the
  filter, the endpoint, the covariates, the ties, the reference levels and the groupings.

What needs every row (Firth's penalised refit, concordance, ``cox.zph``, the "More models"
tabs) is not computed here. The numbers equal the in-memory fit on the same filtered rows
(``tests/test_served_cox.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp

from hccdash.codebook import level_text
from hccdash.cox import CoxResult
from hccdash.engine.served import ServedCohort
from hccdash.engine.source import Source, ident, literal
from hccdash.filters import FilterSpec
from hccdash.schema import Factor
from hccdash.served_pages import IN_MEMORY_ENV, ServedShell, _cond
from hccdash.shared_store import SharedStore

__all__ = ["FITS", "fit", "model_source", "not_offered"]

FITS = SharedStore[CoxResult](64)  # fits held at once (a few kB each: terms and tests, no rows)


def not_offered(n: int, limit: int) -> str:
    """The one caption of what the served Cox page leaves out, and why (``n`` patients
    match the filters, more than the ``limit`` read into memory).

    >>> print(not_offered(1_234_567, 200_000)[:81])
    Fitted on the engine: 1,234,567 patients match the filters, more than the 200,000
    """
    return (
        f"Fitted on the engine: {n:,} patients match the filters, more than the {limit:,} "
        f"the server reads into memory ({IN_MEMORY_ENV}). Not offered here: Firth's "
        "penalised fit, the proportional-hazards check (scaled Schoenfeld residuals), the "
        "concordance and the \u201cMore models\u201d tabs, because each needs every "
        f"patient's row; narrow the filters to at most {limit:,} patients for them."
    )


def _grouped(column: str, factor: Factor, options: Sequence[object]) -> exp.Expression:
    """``column`` as :meth:`Factor.values` makes it: cut into its two labels (missing stays
    missing) and excluded levels missing."""
    col = ident(column)
    excluded = set(factor.exclude or ())
    if factor.cut is not None:
        low, high = factor.cut_labels or (f"≤ {factor.cut:g}", f"> {factor.cut:g}")
        at = literal(float(factor.cut))
        case = exp.Case()
        if low not in excluded:
            case = case.when(exp.LTE(this=col.copy(), expression=at), literal(low))
        if high not in excluded:
            case = case.when(exp.GT(this=col.copy(), expression=at.copy()), literal(high))
        return case if case.args.get("ifs") else exp.Null()
    raws = [v for v in options if v is not None and level_text(v) in excluded]
    if not raws:
        return col
    drop = exp.In(this=col.copy(), expressions=[literal(v) for v in raws])
    return exp.Case().when(drop, exp.Null()).else_(col)


def model_source(
    served: ServedCohort, spec: FilterSpec | None, factors: Mapping[str, Factor]
) -> tuple[Source, tuple[str, ...]]:
    """The patients ``spec`` keeps with ``factors`` (column -> the codebook's grouping) as
    computed columns, and the columns that enter as categorical terms.

    The filters apply before the grouping (a range filter on age keeps the ages it names
    before age becomes "≤50 years" / ">50 years"). A grouped column without a cut (excluded
    levels only) enters as categorical, as its level strings do in memory.
    """
    view = served.view
    cond = _cond(served, spec)
    if not factors and cond is None:
        return view, ()
    sel: list[exp.Expression] = []
    columns = dict(view.columns)
    categorical = []
    for c in view.columns:
        f = factors.get(c)
        if f is None:
            sel.append(ident(c))
            continue
        sel.append(exp.alias_(_grouped(c, f, served.options(c)), c, quoted=True))
        if f.cut is not None:
            columns[c] = "VARCHAR"
        else:
            categorical.append(c)
    q = exp.select(*sel).from_(view.table.copy())
    if cond is not None:
        q = q.where(cond)
    source = Source(backend=view.backend, table=q.subquery("model"), columns=columns,
                    name=view.name)  # fmt: skip
    return source, tuple(categorical)


def fit(
    shell: ServedShell,
    spec: FilterSpec | None,
    endpoint: str,
    covariates: Sequence[str],
    ties: str = "efron",
    reference: Mapping[str, str] | None = None,
    factors: Mapping[str, Factor] | None = None,
) -> CoxResult:
    """The Cox model of ``endpoint`` on ``covariates`` among the patients ``spec`` keeps,
    fitted on the engine (R ``coxph(Surv(time, event) ~ covariates, ties = ties)`` on the
    filtered rows, the codebook's groupings ``factors`` of the covariates applied).

    Held per (cohort, filter, endpoint, covariates, ties, reference, groupings) in one
    bounded store shared by the sessions (:data:`FITS`).

    Raises
    ------
    HccdashError
        No events, a covariate with one level, collinear terms, too few rows, or a query
        the engine could not run (the message says which).

    Examples
    --------
    >>> from pathlib import Path
    >>> from hccdash.engine.served import open_served
    >>> from hccdash.served_pages import shell_cohort
    >>> public = Path("tests/data/public")
    >>> shell = shell_cohort(open_served(public / "veterans.csv",
    ...                                  public / "veterans.codebook.json"), "vet", "v")
    >>> res = fit(shell, None, "os", ["Karnofsky_score"])
    >>> import pandas as pd
    >>> from hccdash.cox import cox_fit
    >>> rows = pd.read_csv(public / "veterans.csv").assign(dead=lambda d: d.Status == "dead")
    >>> memory = cox_fit(rows, "Survival_in_days", "dead", ["Karnofsky_score"])
    >>> res.n, res.events, abs(res.terms[0].coef - memory.terms[0].coef) < 1e-10
    (137, 128, True)
    """
    factors = {c: f for c, f in (factors or {}).items() if c in covariates}
    reference = dict(reference or {})
    groups = tuple(sorted((c, repr(f)) for c, f in factors.items()))
    key = (shell.identity, repr(spec), endpoint, tuple(covariates), ties,
           tuple(sorted(reference.items())), groups)  # fmt: skip

    def make() -> CoxResult:
        from hccdash.engine import cox as ecox  # scipy only when a model is asked

        served = shell.served
        e = served.endpoint(endpoint)
        source, categorical = model_source(served, spec, factors)
        return ecox.cox_fit(
            source, e.time, e.event, list(covariates), ties=ties,
            reference={c: r for c, r in reference.items() if c in covariates} or None,
            categorical=list(categorical) or None,
        )  # fmt: skip

    return FITS.get(key, make)

"""The multivariable Cox table (Table 2 layout): the factors entered, the selection rule,
HR (95% CI) and p per term, univariable and multivariable fits side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.cox import CoxResult, cox_fit
from hccdash.errors import AnalysisError, InputError
from hccdash.schema import Endpoint, Factor
from hccdash.tables.univariate import _check_columns, univariate_table

RULES = ("all", "univariate_p<=0.05")


# --------------------------------------------------------------------------------------------
# Multivariable table
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermCell:
    """One term's hazard ratio for one endpoint (NaN when that model could not be fitted)."""

    endpoint: str
    hr: float
    lower: float
    upper: float
    p_value: float
    separated: bool


@dataclass(frozen=True)
class MultivariableRow:
    """A row of Table 2: one term (a factor level against the factor's reference)."""

    factor: str
    column: str
    level: str | None
    reference: str | None
    cells: tuple[TermCell, ...]


@dataclass(frozen=True)
class MultivariableTable:
    """The multivariable table (Table 2 layout): HR (95% CI) and p per covariate, one Cox
    model per endpoint.

    Attributes
    ----------
    rule : str
        ``"all"`` (every factor entered) or ``"univariate_p<=0.05"`` (a common selection rule).
    ties : str
        Cox tie handling.
    entered : tuple of str
        Labels of the factors entered in the models.
    univariate_p : tuple of (factor label, endpoint key, p or None)
        The log-rank p values the selection rule used.
    endpoints : tuple of str
        Endpoint keys in column order.
    models : tuple of CoxResult or None
        The fitted model per endpoint (None where it could not be fitted).
    rows : tuple of MultivariableRow
        One per term, in factor order.
    notes : tuple of str
        The risks of the chosen rule, stated plainly.
    messages : tuple of str
        Factors left out, models not fitted, and each model's own warnings (separation,
        events per variable).
    """

    rule: str
    ties: str
    entered: tuple[str, ...]
    univariate_p: tuple[tuple[str, str, float | None], ...]
    endpoints: tuple[str, ...]
    models: tuple[CoxResult | None, ...]
    rows: tuple[MultivariableRow, ...]
    notes: tuple[str, ...]
    messages: tuple[str, ...]

    def model(self, endpoint: str) -> CoxResult | None:
        """The Cox model of ``endpoint`` (key)."""
        return self.models[self.endpoints.index(endpoint)]

    def to_frame(self) -> pd.DataFrame:
        """Table 2 layout: factor, level, reference, then per endpoint ``<key>_hr``,
        ``<key>_lower``, ``<key>_upper``, ``<key>_p``, ``<key>_hr_ci`` (text "HR (lower–upper)")
        and ``<key>_separated``."""
        out = []
        for row in self.rows:
            rec: dict[str, object] = {
                "factor": row.factor,
                "level": row.level,
                "reference": row.reference,
            }
            for c in row.cells:
                k = c.endpoint
                rec[f"{k}_hr"] = c.hr
                rec[f"{k}_lower"] = c.lower
                rec[f"{k}_upper"] = c.upper
                rec[f"{k}_p"] = c.p_value
                rec[f"{k}_hr_ci"] = (
                    f"{c.hr:.3g} ({c.lower:.3g}–{c.upper:.3g})" if np.isfinite(c.hr) else "–"
                )
                rec[f"{k}_separated"] = c.separated
            out.append(rec)
        cols = ["factor", "level", "reference"] + [
            f"{k}_{c}"
            for k in self.endpoints
            for c in ("hr", "lower", "upper", "p", "hr_ci", "separated")
        ]
        return pd.DataFrame(out, columns=cols)


_NOTE_ALL = (
    "Every factor is entered. With few events per variable (below about 10) the model "
    "overfits: hazard ratios are biased away from 1 and their intervals too narrow; "
    "sparse levels can make estimates diverge (separation)."
)
_NOTE_SELECT = (
    "Factors entered because their univariate log-rank p <= 0.05 for any endpoint (the "
    "paper's rule; one factor list serves both models, as in its Table 2). Risks: selection "
    "on the same data biases the retained hazard ratios away from 1 (winner's curse); the "
    "multivariable p values ignore the selection step, so they are too small; factors "
    "that matter only after adjustment are missed; and with few events per variable the "
    "model overfits. Treat the result as exploratory."
)


def multivariable_table(
    data: pd.DataFrame,
    factors: Sequence[Factor],
    endpoints: Sequence[Endpoint],
    *,
    rule: str = "all",
    ties: str = "efron",
    threshold: float = 0.05,
    penalized: bool = False,
) -> MultivariableTable:
    """The multivariable table (Table 2 layout): a Cox model per endpoint, HR (95% CI) and p.

    Every factor enters as a categorical covariate (its ``Factor.values`` levels; the first
    level of ``Factor.level_order`` is the reference), so cut points and exclusions are the
    same as in the univariate table.

    Parameters
    ----------
    data : pandas.DataFrame
        Cohort in the canonical schema.
    factors : sequence of Factor
        Candidate covariates.
    endpoints : sequence of Endpoint
        One model per endpoint, columns in this order.
    rule : {"all", "univariate_p<=0.05"}
        ``"all"`` enters every factor with at least two levels. ``"univariate_p<=0.05"`` is
        the univariate selection rule: enter the factors whose log-rank p is
        ``<= threshold`` for any of the endpoints, and use that one list for every
        endpoint's model. Its risks (selection bias, p values not honest after selection,
        overfitting with few events per variable) are returned in ``notes``.
    ties : {"efron", "breslow"}
        Cox tie handling.
    threshold : float
        The p cut-off of the selection rule.
    penalized : bool
        Fit Firth's penalised likelihood (finite estimates under separation); see
        :func:`hccdash.cox.cox_fit`.

    Returns
    -------
    MultivariableTable
        A model that cannot be fitted (e.g. no events) leaves NaN cells and a message;
        separation is flagged per cell and explained in ``messages``.

    Raises
    ------
    hccdash.errors.InputError
        Unknown ``rule`` or ``ties``, or missing columns.
    """
    if rule not in RULES:
        raise InputError(f"rule must be one of {RULES!r}, got {rule!r}.")
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    factors, endpoints = list(factors), list(endpoints)
    _check_columns(data, factors, endpoints)
    messages: list[str] = []
    usable: list[Factor] = []
    for f in factors:
        if len(f.level_order(data)) < 2:
            messages.append(f"{f.label}: fewer than two levels present; not entered.")
        else:
            usable.append(f)

    uni: list[tuple[str, str, float | None]] = []
    if rule == "univariate_p<=0.05":
        table = univariate_table(data, usable, endpoints)
        entered = []
        for f in usable:
            ps = [table.test(f.column, e.key).p_value for e in endpoints]
            uni.extend((f.label, e.key, p) for e, p in zip(endpoints, ps, strict=True))
            if any(p is not None and p <= threshold for p in ps):
                entered.append(f)
        notes = (_NOTE_SELECT,)
    else:
        entered = usable
        notes = (_NOTE_ALL,)

    models: list[CoxResult | None] = []
    if entered:
        for e in endpoints:
            models.append(_fit(data, entered, e, ties, penalized, messages))
    else:
        messages.append("No factor met the entry rule; no model was fitted.")
        models = [None] * len(endpoints)

    rows = []
    for f in entered:
        levels = f.level_order(data)
        for lev in levels[1:]:
            term = f"{f.column}: {lev} vs {levels[0]}"
            cells = tuple(_cell(m, e.key, term) for m, e in zip(models, endpoints, strict=True))
            rows.append(MultivariableRow(f.label, f.column, lev, levels[0], cells))
    return MultivariableTable(
        rule=rule,
        ties=ties,
        entered=tuple(f.label for f in entered),
        univariate_p=tuple(uni),
        endpoints=tuple(e.key for e in endpoints),
        models=tuple(models),
        rows=tuple(rows),
        notes=notes,
        messages=tuple(messages),
    )


def _fit(data, factors: list[Factor], endpoint: Endpoint, ties, penalized, messages):
    frame = data[[endpoint.time, endpoint.event]].copy()
    for f in factors:
        frame[f.column] = pd.Categorical(f.values(data), categories=list(f.level_order(data)))
    try:
        res = cox_fit(
            frame,
            endpoint.time,
            endpoint.event,
            [f.column for f in factors],
            ties=ties,
            penalized=penalized,
        )
    except (AnalysisError, InputError) as exc:
        messages.append(f"{endpoint.label}: Cox model not fitted ({exc})")
        return None
    if res.dropped:
        missing = [f.label for f in factors if f.values(data).isna().any()]
        messages.append(
            f"{endpoint.label}: {res.dropped} patients left out of the model (no value, or an "
            f"excluded level, for {', '.join(missing) or 'the endpoint'}); it uses {res.n}."
        )
    messages.extend(f"{endpoint.label}: {w}" for w in res.warnings)
    return res


def _cell(model: CoxResult | None, key: str, term: str) -> TermCell:
    if model is None:
        return TermCell(key, np.nan, np.nan, np.nan, np.nan, False)
    try:
        t = model.term(term)
    except KeyError:  # the level has no complete rows for this endpoint
        return TermCell(key, np.nan, np.nan, np.nan, np.nan, False)
    return TermCell(key, t.hr, t.lower, t.upper, t.p_value, term in model.separated_terms)

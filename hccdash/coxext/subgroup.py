"""Subgroup analysis for a forest plot: the treatment hazard ratio within each level of each
chosen factor, with the likelihood-ratio test of the treatment x factor interaction.

R equivalents, per factor f with levels l:
``coxph(Surv(time, event) ~ trt, data, subset = f == l)`` for each row, and
``anova(coxph(Surv(time, event) ~ trt + f, d), coxph(Surv(time, event) ~ trt * f, d))``
(d: rows complete in time, event, trt and f) for the interaction p.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.cox import cox_fit
from hccdash.cox.design import _level_str, _levels
from hccdash.cox.results import ChisqTest
from hccdash.errors import AnalysisError, HccdashError, InputError

__all__ = ["SubgroupResult", "SubgroupRow", "subgroup_hr"]


@dataclass(frozen=True)
class SubgroupRow:
    """One line of the forest: a level of a factor (or ``"Overall"``)."""

    factor: str
    level: str
    n: int
    events: int
    hr: float
    lower: float
    upper: float
    p_value: float
    note: str = ""


@dataclass(frozen=True)
class SubgroupResult:
    """Rows (overall first, then each factor's levels) and the interaction tests."""

    treatment: str
    comparison: str  # "B vs A"
    rows: tuple[SubgroupRow, ...]
    interaction: Mapping[str, ChisqTest]
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """One row per forest line: factor, level, n, events, hr, lower, upper, p_value,
        p_interaction (on the factor's first line), note."""
        out = []
        seen = set()
        for r in self.rows:
            it = self.interaction.get(r.factor)
            first = r.factor not in seen
            seen.add(r.factor)
            out.append(
                {
                    "factor": r.factor,
                    "level": r.level,
                    "n": r.n,
                    "events": r.events,
                    "hr": r.hr,
                    "lower": r.lower,
                    "upper": r.upper,
                    "p_value": r.p_value,
                    "p_interaction": it.p_value if (it is not None and first) else np.nan,
                    "note": r.note,
                }
            )
        return pd.DataFrame(out)


def _treatment_levels(col: pd.Series, treatment: str, reference: object | None) -> list[str]:
    levels = _levels(col, treatment, reference)
    if len(levels) != 2:
        raise InputError(
            f"Treatment column {treatment!r} has {len(levels)} levels "
            f"({', '.join(map(repr, levels))}); the subgroup forest compares two arms. "
            "Choose a two-level column or filter to two arms."
        )
    return levels


def _row(sub, time, event, treatment, ref, factor, level, conf_level) -> SubgroupRow:
    n, ev = len(sub), int(pd.to_numeric(sub[event]).sum())
    nan = float("nan")
    try:
        res = cox_fit(
            sub, time, event, [treatment], reference={treatment: ref}, conf_level=conf_level
        )
    except HccdashError as exc:
        return SubgroupRow(factor, level, n, ev, nan, nan, nan, nan, note=str(exc))
    t = res.terms[0]
    if np.isnan(t.coef):
        return SubgroupRow(factor, level, n, ev, nan, nan, nan, nan,
                           note="no information in this subgroup")  # fmt: skip
    if res.separation:
        # The estimate runs off to 0 or infinity (an arm without events here): R prints a
        # huge coefficient with a warning; the forest and its table say "not estimable".
        return SubgroupRow(factor, level, n, ev, nan, nan, nan, nan,
                           note="separation (an arm without events): HR not estimable")  # fmt: skip
    return SubgroupRow(factor, level, n, ev, t.hr, t.lower, t.upper, t.p_value)


def subgroup_hr(
    data: pd.DataFrame,
    time: str,
    event: str,
    treatment: str,
    factors: Sequence[str],
    *,
    reference: object | None = None,
    factor_levels: Mapping[str, Sequence[str]] | None = None,
    ties: str = "efron",
    conf_level: float = 0.95,
) -> SubgroupResult:
    """Treatment hazard ratio overall and within each level of each factor.

    Parameters
    ----------
    data : pandas.DataFrame
    time, event : str
    treatment : str
        Two-level arm column (any coding); ``reference`` is the control arm (default: the
        first level in R's order).
    factors : sequence of str
        Categorical columns to split by (numeric codes are levels too).
    factor_levels : dict, optional
        Level order per factor for display (default R's sorted order).
    ties, conf_level
        As :func:`hccdash.cox.cox_fit`.

    Returns
    -------
    SubgroupResult
        A level where the model cannot be fitted (no events, one arm only) keeps its row
        with NaN and a ``note``; an interaction that cannot be tested is left out.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 11, 12, 1],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1],
    ...                   "arm": list("ABABABABABAB"), "sex": list("MMMMMMFFFFFF")})
    >>> res = subgroup_hr(d, "t", "e", "arm", ["sex"])
    >>> [r.level for r in res.rows]
    ['All', 'F', 'M']
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    factors = [factors] if isinstance(factors, str) else list(factors)
    if treatment in factors:
        raise InputError(f"{treatment!r} is the treatment; choose other columns to split by.")
    base = data.dropna(subset=[time, event, treatment])
    levels = _treatment_levels(base[treatment], treatment, reference)
    ref = levels[0]
    rows = [_row(base, time, event, treatment, ref, "Overall", "All", conf_level)]
    inter: dict[str, ChisqTest] = {}
    for f in factors:
        if f not in data.columns:
            raise InputError(f"Column {f!r} is not in the data; choose an existing column.")
        d = base.dropna(subset=[f])
        order = list(factor_levels[f]) if factor_levels and f in factor_levels else None
        names = d[f].map(_level_str)
        flevels = order or _levels(d[f], f, None)
        for lev in flevels:
            sub = d[names == str(lev)]
            if len(sub) == 0:
                continue
            rows.append(_row(sub, time, event, treatment, ref, f, str(lev), conf_level))
        test = _interaction(d, time, event, treatment, ref, f, ties)
        if test is not None:
            inter[f] = test
    return SubgroupResult(treatment, f"{levels[1]} vs {ref}", tuple(rows), inter, conf_level)


def _interaction(d, time, event, treatment, ref, factor, ties) -> ChisqTest | None:
    """LR test of treatment x factor: treatment + factor vs + their product columns."""
    flevels = _levels(d[factor], factor, None)
    if len(flevels) < 2:
        return None
    trt = (d[treatment].map(_level_str) != ref).astype(float).to_numpy()
    names = d[factor].map(_level_str).to_numpy()
    frame = pd.DataFrame({"_t": d[time].to_numpy(), "_e": d[event].to_numpy(), "_trt": trt})
    frame["_f"] = names
    inter = []
    for lev in flevels[1:]:
        col = f"_x{len(inter)}"
        frame[col] = trt * (names == lev)
        inter.append(col)
    cat = ["_f"]
    refs = {"_f": flevels[0]}
    try:
        small = cox_fit(frame, "_t", "_e", ["_trt", "_f"], ties=ties, categorical=cat,
                        reference=refs)  # fmt: skip
        big = cox_fit(frame, "_t", "_e", ["_trt", "_f", *inter], ties=ties, categorical=cat,
                      reference=refs)  # fmt: skip
    except (HccdashError, AnalysisError):
        return None
    df = sum(1 for t in big.terms if not np.isnan(t.coef)) - sum(
        1 for t in small.terms if not np.isnan(t.coef)
    )
    if df <= 0:
        return None
    lr = 2 * (big.loglik - small.loglik)
    return ChisqTest(float(lr), int(df), float(stats.chi2.sf(lr, df)))

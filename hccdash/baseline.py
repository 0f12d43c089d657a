"""Baseline characteristics ("Table 0"): overall and by treatment arm, with tests, and completeness.

Tests (two-sided, complete cases of each variable):

- categorical, 2 levels x 2 arms: Fisher's exact test (``scipy.stats.fisher_exact``; R
  ``fisher.test``);
- categorical, larger tables: the Fisher-Freeman-Halton exact test by full enumeration of the
  tables with the observed margins (same p as R ``fisher.test``; scipy's r x c ``fisher_exact``
  is Monte Carlo, so not used) while the cohort has at most ``EXACT_MAX_N`` patients and at
  most 100,000 tables; otherwise Pearson's chi-square test without continuity correction
  (R ``chisq.test(correct=FALSE)``), where enumeration would be slow and the asymptotic test
  is adequate;
- numeric, 2 arms: Wilcoxon-Mann-Whitney (``scipy.stats.mannwhitneyu``: exact p when there are
  no ties and both arms have fewer than 50 patients, else the normal approximation with
  continuity and tie correction: R ``wilcox.test``'s rule);
- numeric, 3+ arms: Kruskal-Wallis (R ``kruskal.test``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hccdash.errors import InputError, preview_labels
from hccdash.schema import ENDPOINTS, PATIENT_ID, TREATMENT

EXACT_MAX_N = 300
# Outcome columns are not baseline characteristics.
_OUTCOME_COLUMNS = frozenset(
    {c for e in ENDPOINTS for c in (e.time, e.event)}
    | {"intrahepatic_response", "extrahepatic_response", "failure_pattern"}
    # outcomes recorded in the bundled cohort (response, toxicity), not baseline
    | {"bone_pain_relief", "tace_fever", "tace_transaminase_rise"}
)


@dataclass(frozen=True)
class BaselineRow:
    """One line of the table: a variable's level (categorical) or summary (numeric)."""

    variable: str
    level: str | None
    kind: str  # "categorical" | "numeric"
    overall: str
    by_group: tuple[str, ...]


@dataclass(frozen=True)
class BaselineTest:
    """The between-arm test of one variable (``p_value`` None when it cannot be computed)."""

    variable: str
    test: str
    statistic: float | None
    p_value: float | None

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame: variable, test, statistic, p_value."""
        return pd.DataFrame([self.__dict__])


@dataclass(frozen=True)
class BaselineTable:
    """Baseline characteristics overall and per group of ``by``, with one test per variable."""

    by: str | None
    groups: tuple[str, ...]
    group_n: tuple[int, ...]
    n: int
    rows: tuple[BaselineRow, ...]
    tests: tuple[BaselineTest, ...]

    def test(self, variable: str) -> BaselineTest:
        """The test of ``variable``."""
        for t in self.tests:
            if t.variable == variable:
                return t
        raise KeyError(variable)

    def to_frame(self) -> pd.DataFrame:
        """Display table: variable, level, Overall, one column per group, p, test."""
        tests = {t.variable: t for t in self.tests}
        records = []
        seen: set[str] = set()
        for r in self.rows:
            rec: dict[str, object] = {
                "variable": r.variable,
                "level": r.level if r.level is not None else "median (IQR)",
                f"Overall (n={self.n})": r.overall,
            }
            for g, gn, v in zip(self.groups, self.group_n, r.by_group, strict=True):
                rec[f"{g} (n={gn})"] = v
            first = r.variable not in seen
            seen.add(r.variable)
            t = tests.get(r.variable)
            rec["p"] = t.p_value if (first and t is not None) else None
            rec["test"] = t.test if (first and t is not None) else ""
            records.append(rec)
        return pd.DataFrame(records)


def _is_numeric(col: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(col)
        and not pd.api.types.is_bool_dtype(col)
        and col.dropna().nunique() > 2
    )


def baseline_columns(data: pd.DataFrame) -> tuple[str, ...]:
    """Columns shown by default: everything but the id, outcomes and free-text columns."""
    out = []
    for c in data.columns:
        if c == PATIENT_ID or c in _OUTCOME_COLUMNS or str(c).startswith("tox_"):
            continue
        col = data[c]
        if _is_numeric(col) or col.dropna().nunique() <= 20:
            out.append(c)
    return tuple(out)


def _codes(col: pd.Series) -> tuple[tuple[str, ...], np.ndarray]:
    """Sorted string levels and each row's level index (-1 where missing).

    Each distinct value is converted to a string once, so a million rows of a few levels
    cost one factorize; values printing alike (1 and "1") share a level.
    """
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    levels = tuple(sorted(set(labels)))
    where = {lvl: i for i, lvl in enumerate(levels)}
    remap = np.array([where[lbl] for lbl in labels] + [-1], dtype=np.int64)
    return levels, remap[codes]


def _pct(k: int, n: int) -> str:
    return f"{k} ({100.0 * k / n:.1f}%)" if n else "0"


def _num_summary(x: np.ndarray) -> str:
    x = x[~np.isnan(x)]
    if x.size == 0:
        return "–"
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    return f"{med:g} ({q1:g}–{q3:g})"


def numeric_test(samples: Sequence[np.ndarray]) -> BaselineTest:
    """Mann-Whitney (2 groups) or Kruskal-Wallis (3+) on numeric samples, as R does."""
    samples = [np.asarray(s, dtype=float) for s in samples if len(s) > 0]
    if len(samples) < 2:
        return BaselineTest("", "not tested (fewer than 2 groups with data)", None, None)
    pooled = np.concatenate(samples)
    if np.unique(pooled).size < 2:
        return BaselineTest("", "not tested (all values equal)", None, None)
    if len(samples) == 2:
        ties = np.unique(pooled).size < pooled.size
        exact = not ties and len(samples[0]) < 50 and len(samples[1]) < 50
        res = stats.mannwhitneyu(
            samples[0],
            samples[1],
            alternative="two-sided",
            use_continuity=True,
            method="exact" if exact else "asymptotic",
        )
        name = "Mann-Whitney U (exact)" if exact else "Mann-Whitney U (normal approx.)"
        return BaselineTest("", name, float(res.statistic), float(res.pvalue))
    res = stats.kruskal(*samples)
    return BaselineTest("", "Kruskal-Wallis", float(res.statistic), float(res.pvalue))


def _compositions(total: int, caps: list[int]):
    """Every split of ``total`` into len(caps) non-negative parts with part i <= caps[i]."""
    if len(caps) == 1:
        if total <= caps[0]:
            yield (total,)
        return
    rest_cap = sum(caps[1:])
    for first in range(max(0, total - rest_cap), min(total, caps[0]) + 1):
        for tail in _compositions(total - first, caps[1:]):
            yield (first, *tail)


def fisher_freeman_halton(table: np.ndarray, max_tables: int = 100_000) -> float | None:
    """Exact r x c Fisher-Freeman-Halton p value by full enumeration (R ``fisher.test``).

    The p value sums the probabilities of every table with the observed margins whose
    probability is at most the observed one (relative tolerance 1e-7, as R). Returns None when
    more than ``max_tables`` tables would have to be enumerated.
    """
    table = np.asarray(table, dtype=np.int64)
    rows = [int(v) for v in table.sum(axis=1)]
    cols = [int(v) for v in table.sum(axis=0)]
    n = sum(rows)
    lf = [math.lgamma(k + 1) for k in range(n + 1)]
    const = sum(lf[r] for r in rows) + sum(lf[c] for c in cols) - lf[n]
    obs = const - sum(lf[int(v)] for v in table.ravel())
    limit = obs + math.log1p(1e-7)  # R: d <= d_obs * (1 + 1e-7)
    total = 0.0
    count = 0

    def walk(i: int, remaining: list[int], logp: float) -> bool:
        nonlocal total, count
        if i == len(rows) - 1:
            # the last row is forced by the remaining column sums
            lp = logp - sum(lf[c] for c in remaining)
            count += 1
            if lp <= limit:
                total += math.exp(lp)
            return count <= max_tables
        for comp in _compositions(rows[i], remaining):
            nxt = [c - x for c, x in zip(remaining, comp, strict=True)]
            if not walk(i + 1, nxt, logp - sum(lf[x] for x in comp)):
                return False
        return True

    if not walk(0, cols, const):
        return None
    return min(1.0, total)


def categorical_test(table: np.ndarray) -> BaselineTest:
    """Fisher (2x2), Fisher-Freeman-Halton (r x c, n <= EXACT_MAX_N) or Pearson chi-square."""
    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return BaselineTest("", "not tested (one level or one group)", None, None)
    if table.shape == (2, 2):
        res = stats.fisher_exact(table)
        return BaselineTest("", "Fisher exact", float(res.statistic), float(res.pvalue))
    if table.sum() <= EXACT_MAX_N:
        p = fisher_freeman_halton(table)
        if p is not None:
            return BaselineTest("", "Fisher-Freeman-Halton exact", None, p)
    res = stats.chi2_contingency(table, correction=False)
    return BaselineTest("", "Pearson chi-square", float(res.statistic), float(res.pvalue))


def baseline_table(
    data: pd.DataFrame, columns: Sequence[str] | None = None, *, by: str | None = TREATMENT
) -> BaselineTable:
    """Baseline characteristics overall and by ``by`` (treatment arm), with tests.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical cohort (already filtered).
    columns : sequence of str, optional
        Variables to describe; default :func:`baseline_columns`.
    by : str or None
        Grouping column; when None or absent only the overall column is shown and no test.

    Returns
    -------
    BaselineTable
        Categorical variables as ``n (%)`` per level (percent of non-missing, missing counted
        on its own line), numeric as ``median (Q1–Q3)``.

    Raises
    ------
    InputError
        If a requested column does not exist.
    """
    cols = tuple(columns) if columns is not None else baseline_columns(data)
    missing_cols = [c for c in cols if c not in data.columns]
    if missing_cols:
        raise InputError(
            f"Baseline table: {len(missing_cols)} column(s) not in the cohort "
            f"({preview_labels(missing_cols)}). Choose existing columns."
        )
    by = by if by is not None and by in data.columns else None
    if by is not None:
        groups, gcode = _codes(data[by])
    else:
        groups, gcode = (), np.full(len(data), -1, dtype=np.int64)
    k = len(groups)
    masks = [gcode == j for j in range(k)]
    rows: list[BaselineRow] = []
    tests: list[BaselineTest] = []
    for c in cols:
        if c == by:
            continue
        col = data[c]
        if _is_numeric(col):
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            miss = np.isnan(x)
            rows.append(
                BaselineRow(
                    c,
                    None,
                    "numeric",
                    _num_summary(x),
                    tuple(_num_summary(x[m]) for m in masks),
                )
            )
            if groups:
                t = numeric_test([x[m & ~miss] for m in masks])
                tests.append(BaselineTest(c, t.test, t.statistic, t.p_value))
            if miss.any():
                rows.append(
                    BaselineRow(
                        c,
                        "missing",
                        "numeric",
                        str(int(miss.sum())),
                        tuple(str(int((miss & m).sum())) for m in masks),
                    )
                )
            continue
        levels, lcode = _codes(col)
        ok = lcode >= 0
        overall = np.bincount(lcode[ok], minlength=len(levels))
        both = ok & (gcode >= 0)
        table = np.zeros((len(levels), k), dtype=np.int64)
        np.add.at(table, (lcode[both], gcode[both]), 1)
        n_ok = int(ok.sum())
        col_ok = table.sum(axis=0)
        for i, lvl in enumerate(levels):
            rows.append(
                BaselineRow(
                    c,
                    lvl,
                    "categorical",
                    _pct(int(overall[i]), n_ok),
                    tuple(_pct(int(table[i, j]), int(col_ok[j])) for j in range(k)),
                )
            )
        if not ok.all():
            rows.append(
                BaselineRow(
                    c,
                    "missing",
                    "categorical",
                    str(int((~ok).sum())),
                    tuple(str(int((~ok & m).sum())) for m in masks),
                )
            )
        if groups:
            t = categorical_test(table)
            tests.append(BaselineTest(c, t.test, t.statistic, t.p_value))
    return BaselineTable(
        by=by,
        groups=groups,
        group_n=tuple(int(m.sum()) for m in masks),
        n=len(data),
        rows=tuple(rows),
        tests=tuple(tests),
    )


@dataclass(frozen=True)
class Completeness:
    """Non-missing values per column."""

    columns: tuple[str, ...]
    n: int
    n_present: np.ndarray
    n_missing: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """column, present, missing, % complete."""
        pct = 100.0 * self.n_present / self.n if self.n else np.full(len(self.columns), np.nan)
        return pd.DataFrame(
            {
                "column": list(self.columns),
                "present": self.n_present,
                "missing": self.n_missing,
                "% complete": np.round(pct, 1),
            }
        )


def completeness(data: pd.DataFrame) -> Completeness:
    """Count present and missing values in every column of ``data``."""
    missing = data.isna().sum().to_numpy(dtype=np.int64)
    return Completeness(
        tuple(str(c) for c in data.columns),
        len(data),
        len(data) - missing,
        missing,
    )

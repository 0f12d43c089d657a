"""Tumour response (RECIST 1.1 best response) and toxicity by grade.

Objective response rate (ORR = CR + PR) and disease control rate (DCR = CR + PR + SD) come
with exact Clopper-Pearson confidence intervals, computed by
``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` (identical to R's
``binom.test(k, n)$conf.int``). Patients whose response is missing or not evaluable are left
out of the denominator and counted in ``n_missing``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from hccdash.errors import AnalysisError, InputError, preview_labels
from hccdash.schema import TREATMENT

RECIST: tuple[str, ...] = ("CR", "PR", "SD", "PD")
INTRAHEPATIC, EXTRAHEPATIC = "intrahepatic_response", "extrahepatic_response"
RESPONSE_COLUMNS: tuple[str, ...] = (INTRAHEPATIC, EXTRAHEPATIC)
_ALIASES = {
    "complete response": "CR",
    "partial response": "PR",
    "stable disease": "SD",
    "progressive disease": "PD",
}
_NOT_EVALUABLE = frozenset({"", "NE", "NA", "N/A", "NOT EVALUABLE", "UNKNOWN"})


def _per_unique(values: pd.Series, fn) -> tuple[pd.Series, pd.Series]:
    """``values.map(fn)`` evaluating ``fn`` once per distinct value (NA -> ``fn(None)``).

    Returns the mapped values and a mask of rows where ``fn`` returned None (a bad value).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:] = [fn(u) for u in uniques] + [fn(None)]
    bad = np.array([m is None for m in mapped], dtype=bool)
    return (
        pd.Series(mapped[codes], index=values.index),
        pd.Series(bad[codes], index=values.index),
    )


def _normalise(column: str, values: pd.Series) -> pd.Series:
    """Map response cells to CR/PR/SD/PD, NA for missing / not evaluable; raise on others."""

    def one(v: object) -> object:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        text = str(v).strip()
        up = text.upper()
        if up in RECIST:
            return up
        if text.lower() in _ALIASES:
            return _ALIASES[text.lower()]
        if up in _NOT_EVALUABLE:
            return pd.NA
        return None  # marks a bad value

    out, bad = _per_unique(values, one)
    if bad.any():
        labels = list(values.index[bad])
        shown = sorted({repr(v) for v in values[bad]})[:5]
        raise InputError(
            f"Column {column!r}: {int(bad.sum())} row(s) have a value that is not a RECIST "
            f"best response (rows {preview_labels(labels)}; values {', '.join(shown)}). "
            "Use CR, PR, SD or PD (NE or empty for not evaluable)."
        )
    return out


@dataclass(frozen=True)
class ProportionCI:
    """A proportion ``k / n`` with its exact (Clopper-Pearson) confidence interval."""

    k: int
    n: int
    estimate: float
    lower: float
    upper: float
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame: k, n, estimate, lower, upper, conf_level."""
        return pd.DataFrame([self.__dict__])


def clopper_pearson(k: int, n: int, conf_level: float = 0.95) -> ProportionCI:
    """Exact binomial CI for ``k`` successes out of ``n`` (R ``binom.test(k, n)$conf.int``).

    Raises
    ------
    AnalysisError
        If ``n`` is 0 (no evaluable patients).
    """
    if n <= 0:
        raise AnalysisError(
            "No evaluable patients (n = 0): a response rate needs at least one patient. "
            "Widen the filters."
        )
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=conf_level, method="exact")
    return ProportionCI(int(k), int(n), k / n, float(ci.low), float(ci.high), conf_level)


@dataclass(frozen=True)
class BestResponseTable:
    """Counts of each RECIST best response per group (``"Overall"`` first, then arms).

    ``counts`` is groups x (CR, PR, SD, PD); ``n_missing`` counts missing / not evaluable.
    """

    site: str
    column: str
    groups: tuple[str, ...]
    categories: tuple[str, ...]
    counts: np.ndarray
    n_missing: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per group: n evaluable, then ``k (pct%)`` per category and missing."""
        rows = []
        for i, g in enumerate(self.groups):
            n = int(self.counts[i].sum())
            row: dict[str, object] = {"site": self.site, "group": g, "n": n}
            for j, c in enumerate(self.categories):
                k = int(self.counts[i, j])
                row[c] = k
                row[f"{c} %"] = round(100.0 * k / n, 1) if n else np.nan
            row["not evaluable"] = int(self.n_missing[i])
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class ResponseRate:
    """ORR and DCR of one site in one group, with exact CIs."""

    site: str
    group: str
    n: int
    n_missing: int
    cr: int
    pr: int
    sd: int
    pd: int
    orr: ProportionCI
    dcr: ProportionCI


@dataclass(frozen=True)
class ResponseRates:
    """ORR (CR+PR) and DCR (CR+PR+SD) with Clopper-Pearson CIs, overall and by arm."""

    rows: tuple[ResponseRate, ...]
    conf_level: float
    by: str | None

    def to_frame(self) -> pd.DataFrame:
        """One row per site and group with ORR, DCR and their CI limits (proportions)."""
        out = []
        for r in self.rows:
            out.append(
                {
                    "site": r.site,
                    "group": r.group,
                    "n": r.n,
                    "not evaluable": r.n_missing,
                    "CR": r.cr,
                    "PR": r.pr,
                    "SD": r.sd,
                    "PD": r.pd,
                    "ORR": r.orr.estimate,
                    "ORR lower": r.orr.lower,
                    "ORR upper": r.orr.upper,
                    "DCR": r.dcr.estimate,
                    "DCR lower": r.dcr.lower,
                    "DCR upper": r.dcr.upper,
                }
            )
        return pd.DataFrame(out)


def _site_name(column: str) -> str:
    return column.removesuffix("_response").replace("_", " ").strip().capitalize() or column


def _groups(data: pd.DataFrame, by: str | None) -> list[tuple[str, pd.DataFrame]]:
    out = [("Overall", data)]
    if by is not None:
        if by not in data.columns:
            raise InputError(
                f"Cannot split response by {by!r}: the cohort has no such column. "
                "Choose another grouping column."
            )
        levels = sorted({str(v) for v in data[by].dropna().unique()})
        keyed, _ = _per_unique(data[by], lambda v: None if v is None else str(v))
        out += [(lvl, data.loc[keyed == lvl]) for lvl in levels]
    return out


def _need(data: pd.DataFrame, column: str) -> None:
    if column not in data.columns:
        raise InputError(
            f"The cohort has no response column {column!r} "
            f"(columns: {preview_labels(list(data.columns), 8)}). "
            "Map a RECIST best-response column on the data page."
        )


def best_response_table(
    data: pd.DataFrame, column: str, *, by: str | None = TREATMENT
) -> BestResponseTable:
    """Counts of RECIST best response in ``column``, overall and per level of ``by``.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical cohort.
    column : str
        Best-response column with values CR/PR/SD/PD (case-insensitive; full words accepted;
        empty/NE = not evaluable).
    by : str or None
        Grouping column (treatment arm by default); ignored when absent from ``data``.

    Raises
    ------
    InputError
        If ``column`` is missing or holds values that are not RECIST categories.
    """
    _need(data, column)
    resp = _normalise(column, data[column])
    by = by if by is not None and by in data.columns else None
    groups = _groups(data, by)
    counts = np.zeros((len(groups), len(RECIST)), dtype=np.int64)
    missing = np.zeros(len(groups), dtype=np.int64)
    for i, (_, sub) in enumerate(groups):
        r = resp.loc[sub.index]
        missing[i] = int(r.isna().sum())
        for j, c in enumerate(RECIST):
            counts[i, j] = int((r == c).sum())
    return BestResponseTable(
        site=_site_name(column),
        column=column,
        groups=tuple(g for g, _ in groups),
        categories=RECIST,
        counts=counts,
        n_missing=missing,
    )


def response_rates(
    data: pd.DataFrame,
    columns: Sequence[str] = RESPONSE_COLUMNS,
    *,
    by: str | None = TREATMENT,
    conf_level: float = 0.95,
) -> ResponseRates:
    """ORR and DCR with exact Clopper-Pearson CIs per response column, overall and by ``by``.

    Groups with no evaluable patient are left out (a rate over 0 patients has no meaning);
    if no group of any column has an evaluable patient an :class:`AnalysisError` is raised.
    """
    rows: list[ResponseRate] = []
    present_by = by if by is not None and by in data.columns else None
    for column in columns:
        table = best_response_table(data, column, by=present_by)
        for i, g in enumerate(table.groups):
            cr, pr, sd, pd_ = (int(x) for x in table.counts[i])
            n = cr + pr + sd + pd_
            if n == 0:
                continue
            rows.append(
                ResponseRate(
                    site=table.site,
                    group=g,
                    n=n,
                    n_missing=int(table.n_missing[i]),
                    cr=cr,
                    pr=pr,
                    sd=sd,
                    pd=pd_,
                    orr=clopper_pearson(cr + pr, n, conf_level),
                    dcr=clopper_pearson(cr + pr + sd, n, conf_level),
                )
            )
    if not rows:
        raise AnalysisError(
            f"No evaluable response in {', '.join(repr(c) for c in columns)} "
            f"among {len(data)} patient(s). Widen the filters."
        )
    return ResponseRates(rows=tuple(rows), conf_level=conf_level, by=present_by)


_TOX = re.compile(r"(^tox_|^toxicity|_toxicity$|_grade$)", re.IGNORECASE)


def toxicity_columns(data: pd.DataFrame) -> tuple[str, ...]:
    """Toxicity grade columns: names starting ``tox_``/``toxicity`` or ending ``_grade``."""
    return tuple(c for c in data.columns if _TOX.search(str(c)))


def _grade(column: str, values: pd.Series) -> pd.Series:
    def one(v: object) -> object:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        text = str(v).strip().lower().removeprefix("grade").strip()
        if text in {"none", "no"}:
            return 0
        try:
            g = float(text)
        except ValueError:
            return None
        return int(g) if g.is_integer() and 0 <= g <= 5 else None

    out, bad = _per_unique(values, one)
    if bad.any():
        shown = sorted({repr(v) for v in values[bad]})[:5]
        raise InputError(
            f"Column {column!r}: {int(bad.sum())} row(s) are not a CTCAE grade 0-5 "
            f"(rows {preview_labels(list(values.index[bad]))}; values {', '.join(shown)}). "
            "Use integers 0-5 (0 or 'none' for no event)."
        )
    return out


@dataclass(frozen=True)
class ToxicityTable:
    """Patients per CTCAE grade (0-5) for each toxicity column, overall and by arm."""

    columns: tuple[str, ...]
    groups: tuple[str, ...]
    grades: tuple[int, ...]
    counts: np.ndarray  # columns x groups x grades
    n: np.ndarray  # columns x groups: patients with a recorded grade

    def to_frame(self) -> pd.DataFrame:
        """One row per toxicity and group: n, count per grade, any grade and grade >= 3."""
        rows = []
        for i, c in enumerate(self.columns):
            for j, g in enumerate(self.groups):
                row: dict[str, object] = {"toxicity": c, "group": g, "n": int(self.n[i, j])}
                for k, grade in enumerate(self.grades):
                    row[f"grade {grade}"] = int(self.counts[i, j, k])
                row["any grade (1-5)"] = int(self.counts[i, j, 1:].sum())
                row["grade ≥3"] = int(self.counts[i, j, 3:].sum())
                rows.append(row)
        return pd.DataFrame(rows)


def toxicity_table(
    data: pd.DataFrame, columns: Sequence[str] | None = None, *, by: str | None = TREATMENT
) -> ToxicityTable:
    """Count patients by toxicity grade for each column, overall and per level of ``by``.

    Parameters
    ----------
    columns : sequence of str, optional
        Grade columns; default :func:`toxicity_columns`.

    Raises
    ------
    AnalysisError
        If the cohort has no toxicity column.
    InputError
        If a column holds values that are not grades 0-5.
    """
    cols = tuple(columns) if columns is not None else toxicity_columns(data)
    if not cols:
        raise AnalysisError(
            "The cohort has no toxicity column (expected names like 'tox_nausea' or "
            "'nausea_grade' holding CTCAE grades 0-5)."
        )
    for c in cols:
        _need(data, c)
    by = by if by is not None and by in data.columns else None
    groups = _groups(data, by)
    grades = (0, 1, 2, 3, 4, 5)
    counts = np.zeros((len(cols), len(groups), len(grades)), dtype=np.int64)
    n = np.zeros((len(cols), len(groups)), dtype=np.int64)
    for i, c in enumerate(cols):
        g_all = _grade(c, data[c])
        for j, (_, sub) in enumerate(groups):
            g = g_all.loc[sub.index].dropna()
            n[i, j] = len(g)
            for k, grade in enumerate(grades):
                counts[i, j, k] = int((g == grade).sum())
    return ToxicityTable(cols, tuple(name for name, _ in groups), grades, counts, n)

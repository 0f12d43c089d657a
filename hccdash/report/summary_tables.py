"""Table models of the descriptive results: baseline Table 1, response, toxicity, models.

Builders lay out results already computed (:mod:`hccdash.baseline`, :mod:`hccdash.response`,
:mod:`hccdash.models`) and format them; they compute no statistic.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hccdash.report.fmt import (
    DASH,
    format_count_pct,
    format_number,
    format_p,
    format_pct_ci,
)
from hccdash.report.labels import Labels
from hccdash.report.table import Row, Table, blank, superscript

__all__ = ["baseline_model", "models_model", "response_model", "toxicity_model"]

_TEST_WORDS = {
    "Fisher exact": "Fisher's exact test",
    "Fisher-Freeman-Halton exact": "Fisher-Freeman-Halton exact test",
    "Pearson chi-square": "Pearson's chi-square test (no continuity correction)",
    "Mann-Whitney U (exact)": "Wilcoxon rank-sum (Mann-Whitney U) test, exact",
    "Mann-Whitney U (normal approx.)": "Wilcoxon rank-sum (Mann-Whitney U) test, normal approx.",
    "Kruskal-Wallis": "Kruskal-Wallis rank-sum test",
}


def _clean(text: str) -> str:
    """A computed summary cell; its own placeholder dash becomes the table's ``—``."""
    return DASH if text.strip() in ("", "–", "-") else text


def baseline_model(
    table,
    labels: Labels,
    *,
    by_label: str | None = None,
    p_style: str = "journal",
    key: str = "baseline_characteristics",
) -> Table:
    """Baseline characteristics (``hccdash.baseline.BaselineTable``) as gtsummary's Table 1.

    A categorical variable is a header row (its p value) with its levels indented, ``n (%)``;
    a numeric variable one row, ``median (Q1–Q3)``; missing values count on an ``Unknown``
    level. Each p carries a footnote marker naming its test.
    """
    tests = {t.variable: t for t in table.tests}
    test_marks: dict[str, int] = {}
    has_p = bool(table.groups) and bool(table.tests)
    k = 1 + len(table.groups) + (1 if has_p else 0)

    def p_cell(variable: str) -> str:
        if not has_p:
            return ""
        t = tests.get(variable)
        if t is None or t.p_value is None:
            return DASH
        words = _TEST_WORDS.get(t.test, t.test)
        mark = test_marks.setdefault(words, len(test_marks) + 1)
        return format_p(t.p_value, p_style) + superscript(mark)

    order: list[str] = []
    grouped: dict[str, list] = {}
    for r in table.rows:
        grouped.setdefault(r.variable, []).append(r)
        if r.variable not in order:
            order.append(r.variable)
    rows: list[Row] = []
    numeric_seen = categorical_seen = False
    for variable in order:
        items = grouped[variable]
        label = labels(variable)
        tail = (p_cell(variable),) if has_p else ()
        if items[0].kind == "numeric":
            numeric_seen = True
            first, *rest = items
            cells = (_clean(first.overall), *(_clean(v) for v in first.by_group))
            if not rest:
                rows.append(Row("single", label, cells + tail))
                continue
            rows.append(Row("header", label, blank(k - len(tail)) + tail))
            rows.append(Row("level", "Median (Q1–Q3)", cells + ("",) * len(tail)))
            for r in rest:
                level_cells = (_clean(r.overall), *(_clean(v) for v in r.by_group))
                rows.append(Row("level", "Unknown", level_cells + ("",) * len(tail)))
            continue
        categorical_seen = True
        rows.append(Row("header", label, blank(k - len(tail)) + tail))
        for r in items:
            level = "Unknown" if r.level == "missing" else str(r.level)
            cells = (_clean(r.overall), *(_clean(v) for v in r.by_group))
            rows.append(Row("level", level, cells + ("",) * len(tail)))
    columns = [f"Overall (N={table.n})"]
    columns += [f"{g} (N={n})" for g, n in zip(table.groups, table.group_n, strict=True)]
    if has_p:
        columns.append("p-value")
    what = []
    if categorical_seen:
        what.append("n (%) of patients with a value")
    if numeric_seen:
        what.append("median (Q1–Q3)")
    text = "; ".join(what)
    notes = [text[:1].upper() + text[1:] + "." if what else "Summary per group."]
    notes += [f"{superscript(i)} {words.rstrip('.')}." for words, i in test_marks.items()]
    details = table.to_frame()
    if table.tests:
        raw = pd.DataFrame([t.__dict__ for t in table.tests])
        details = details.merge(raw, on="variable", how="left", suffixes=("", "_raw"))
    spanners: tuple[tuple[str, int], ...] = ()
    if table.groups and by_label:
        spanners = (("", 1), (by_label, len(table.groups))) + ((("", 1),) if has_p else ())
    return Table(
        key=key,
        title="Baseline characteristics" + (f" by {by_label}" if by_label else ""),
        stub="Characteristic",
        columns=tuple(columns),
        rows=tuple(rows),
        spanners=spanners,
        footnotes=tuple(notes),
        details=details,
    )


def response_model(
    best: Sequence,
    rates,
    *,
    key: str = "response",
) -> Table:
    """RECIST best response per site (``n (%)`` of evaluable patients), ORR and DCR with CIs.

    ``best`` are :class:`hccdash.response.BestResponseTable` (one per site), ``rates`` the
    :class:`hccdash.response.ResponseRates` of the same sites and groups.
    """
    groups = best[0].groups if best else ("Overall",)
    rate = {(r.site, r.group): r for r in (rates.rows if rates is not None else ())}
    rows: list[Row] = []
    names = {"CR": "Complete response", "PR": "Partial response", "SD": "Stable disease"}
    names["PD"] = "Progressive disease"
    for b in best:
        rows.append(Row("header", b.site, blank(len(groups))))
        n = b.counts.sum(axis=1)
        for j, c in enumerate(b.categories):
            cells = tuple(
                format_count_pct(int(b.counts[i, j]), int(n[i])) for i in range(len(groups))
            )
            rows.append(Row("level", f"{names.get(c, c)} ({c})", cells))
        rows.append(Row("level", "Not evaluable", tuple(str(int(v)) for v in b.n_missing)))
        for name in ("orr", "dcr"):
            cells = []
            for g in groups:
                r = rate.get((b.site, g))
                ci = getattr(r, name) if r is not None else None
                cells.append(format_pct_ci(ci.estimate, ci.lower, ci.upper) if ci else DASH)
            rows.append(Row("level", f"{name.upper()} (95% CI)", tuple(cells)))
    columns = []
    for i, g in enumerate(groups):
        total = int(best[0].counts[i].sum() + best[0].n_missing[i]) if best else 0
        columns.append(f"{g} (N={total})")
    conf = round(100 * rates.conf_level) if rates is not None else 95
    notes = (
        "n (%) of evaluable patients (RECIST 1.1 best response).",
        "ORR: objective response rate (CR + PR); DCR: disease control rate (CR + PR + SD); "
        f"{conf}% exact Clopper-Pearson confidence intervals (R binom.test).",
    )
    details = rates.to_frame() if rates is not None else pd.DataFrame()
    return Table(
        key=key,
        title="Tumour response",
        stub="Response",
        columns=tuple(columns),
        rows=tuple(rows),
        footnotes=notes,
        details=details,
    )


def toxicity_model(tox, labels: Labels, *, key: str = "toxicity") -> Table:
    """Patients per CTCAE grade for each toxicity (``hccdash.response.ToxicityTable``).

    Each toxicity is a header row with its observed grades, any grade and grade ≥3 indented
    under it, ``n (%)`` of patients with a recorded grade.
    """
    rows: list[Row] = []
    for i, c in enumerate(tox.columns):
        rows.append(Row("header", labels.toxicity(c), blank(len(tox.groups))))
        n = tox.n[i]
        for k, grade in enumerate(tox.grades):
            if grade == 0 or not tox.counts[i, :, k].any():
                continue
            cells = tuple(
                format_count_pct(int(tox.counts[i, j, k]), int(n[j]))
                for j in range(len(tox.groups))
            )
            rows.append(Row("level", f"Grade {grade}", cells))
        any_g = tuple(
            format_count_pct(int(tox.counts[i, j, 1:].sum()), int(n[j]))
            for j in range(len(tox.groups))
        )
        high = tuple(
            format_count_pct(int(tox.counts[i, j, 3:].sum()), int(n[j]))
            for j in range(len(tox.groups))
        )
        rows.append(Row("level", "Any grade", any_g))
        rows.append(Row("level", "Grade ≥3", high))
    totals = tox.n.max(axis=0) if len(tox.columns) else [0] * len(tox.groups)
    columns = tuple(f"{g} (N={int(t)})" for g, t in zip(tox.groups, totals, strict=True))
    return Table(
        key=key,
        title="Toxicity by CTCAE grade",
        stub="Toxicity",
        columns=columns,
        rows=tuple(rows),
        footnotes=("n (%) of patients with a recorded grade (CTCAE).",),
        details=tox.to_frame(),
    )


def models_model(
    results: Sequence,
    *,
    key: str = "risk_models_performance",
    details: pd.DataFrame | None = None,
) -> Table:
    """Out-of-sample performance of risk models (``hccdash.models.ValidationResult``).

    One header row per model with its metrics indented: estimate, SD and range over repeats
    (cross-validation) or apparent and optimism (bootstrap). ``details`` replaces the raw
    frame (default: every result's ``to_frame``).
    """
    results = [r for r in results if r.metrics]
    boot = any(r.method == "bootstrap" for r in results)
    columns = ("Estimate", "SD", "Range") + (("Apparent", "Optimism") if boot else ())
    rows: list[Row] = []
    for r in results:
        rows.append(Row("header", r.label, blank(len(columns))))
        for m in r.metrics:
            cells = [
                format_number(m.estimate, 3),
                format_number(m.sd, 3),
                f"{format_number(m.lower, 3)}–{format_number(m.upper, 3)}"
                if m.lower is not None and m.upper is not None
                else DASH,
            ]
            if boot:
                cells += [format_number(m.apparent, 3), format_number(m.optimism, 3)]
            rows.append(Row("level", m.label, tuple(cells)))
    if boot:
        how = (
            "Optimism-corrected bootstrap: estimate = apparent − optimism; SD and range of "
            "the optimism over replicates."
        )
    else:
        first = results[0] if results else None
        how = (
            f"Repeated {first.n_splits}-fold cross-validation, {first.n_repeats} repeats "
            "(stratified by event): estimate = mean over repeats; SD and range over repeats."
            if first
            else "No model could be validated."
        )
    if details is None:
        frames = [r.to_frame() for r in results]
        details = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Table(
        key=key,
        title="Risk models: out-of-sample performance",
        stub="Model and metric",
        columns=columns,
        rows=tuple(rows) or (Row("single", "No model", (DASH,) * len(columns)),),
        footnotes=(
            how,
            "C: concordance (0.5 = chance); AUC: time-dependent cumulative/dynamic AUC; "
            "Brier: integrated Brier score (lower is better). scikit-survival.",
        ),
        details=details,
    )

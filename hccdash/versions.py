"""The one list of software behind every number and figure the dashboard shows.

The methods text of every export (:func:`hccdash.export.software_versions`), the About page
and any report read this list, so they cannot disagree. A package is listed when it computes
a number shown (``COMPUTES``) or draws, reads or serves what is shown (``PRESENTS``).

Examples
--------
>>> names = [p.name for p in package_versions()]
>>> names[:2]
['hccdash', 'Python']
>>> {"scikit-survival", "scikit-learn", "statsmodels", "scipy"} <= set(names)
True
>>> "lifelines" in names  # a test dependency: it computes nothing the app shows
False
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

# (distribution name, what it does in hccdash): computes numbers shown on the pages.
COMPUTES: tuple[tuple[str, str], ...] = (
    ("numpy", "arrays and linear algebra of every estimate"),
    ("pandas", "cohort tables, filters and grouping"),
    ("scipy", "chi-square, normal and exact binomial distributions (p-values, CIs)"),
    ("statsmodels", "LOWESS smoother of the residual plots"),
    ("scikit-survival", "risk models: Cox, penalised Cox and random survival forest"),
    ("scikit-learn", "cross-validation, preprocessing and permutation importance"),
    ("duckdb", "counting for registry-scale cohorts (analyze --engine duckdb)"),
)
# Named in a methods paragraph only where the risk models computed something of it.
MODEL_PACKAGES: frozenset[str] = frozenset({"scikit-survival", "scikit-learn"})
# Draws, reads, exports or serves what is shown; computes no statistic.
PRESENTS: tuple[tuple[str, str], ...] = (
    ("plotly", "figures"),
    ("kaleido", "PNG/SVG/PDF export of figures (through chromium)"),
    ("streamlit", "the web application"),
    ("openpyxl", "XLSX import and export"),
    ("pyarrow", "Parquet import"),
    ("pyreadstat", "SPSS, Stata and SAS import"),
    ("python-docx", "Word tables and report"),
    ("pillow", "TIFF export for journals, text measurement of figure layouts"),
)


@dataclass(frozen=True)
class PackageVersion:
    """One row of the list: ``name``, installed ``version`` and its ``role``."""

    name: str
    version: str
    role: str
    computes: bool


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def package_versions() -> tuple[PackageVersion, ...]:
    """hccdash, Python, then every package of :data:`COMPUTES` and :data:`PRESENTS`."""
    from hccdash import __version__

    rows = [
        PackageVersion("hccdash", __version__, "survival estimates and tests (this tool)", True),
        PackageVersion("Python", platform.python_version(), "interpreter", False),
    ]
    rows += [PackageVersion(n, _installed(n), role, True) for n, role in COMPUTES]
    rows += [PackageVersion(n, _installed(n), role, False) for n, role in PRESENTS]
    return tuple(rows)


def versions_sentence(models: bool = True) -> str:
    """The methods paragraph: every package that computed or drew what was exported.

    ``models=False`` leaves out the risk-model packages (:data:`MODEL_PACKAGES`), for a
    report whose sections used none of them.

    Examples
    --------
    >>> versions_sentence().startswith("Software: hccdash ")
    True
    >>> "scikit-survival" in versions_sentence(models=False)
    False
    """
    parts = [
        f"{p.name} {p.version}"
        for p in package_versions()
        if p.version != "not installed" and (models or p.name not in MODEL_PACKAGES)
    ]
    tail = "; risk models use scikit-survival and scikit-learn." if models else "."
    return (
        "Software: " + ", ".join(parts) + ". Kaplan-Meier, log-rank and Cox estimates are "
        "hccdash's own code, checked against R's survival package (survfit, survdiff, coxph, "
        "cox.zph)" + tail
    )

"""The two classic tables: univariate (Table 1 layout) and multivariable Cox (Table 2).

Both are computed from the cohort's factors (:class:`hccdash.schema.Factor`: cut points,
level order, excluded levels) with the package's own estimators: Kaplan-Meier medians and
log-rank tests from :mod:`hccdash.nonparametric` / :mod:`hccdash.compare`, Cox models from
:mod:`hccdash.cox`. Expected failures (a factor with one level, a group without events, a
separated Cox model) become ``None``/NaN cells and plain messages, never exceptions.

One job per module: :mod:`~hccdash.tables.univariate` and
:mod:`~hccdash.tables.multivariable`; import the public names from here.
"""

from __future__ import annotations

from hccdash.tables.multivariable import (
    RULES,
    MultivariableRow,
    MultivariableTable,
    TermCell,
    multivariable_table,
)
from hccdash.tables.univariate import (
    EndpointCell,
    FactorTest,
    LevelRow,
    UnivariateTable,
    univariate_table,
)

__all__ = [
    "RULES",
    "EndpointCell",
    "FactorTest",
    "LevelRow",
    "MultivariableRow",
    "MultivariableTable",
    "TermCell",
    "UnivariateTable",
    "multivariable_table",
    "univariate_table",
]

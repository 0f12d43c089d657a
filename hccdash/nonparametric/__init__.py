"""Kaplan-Meier curves, medians, landmarks, risk tables, RMST and follow-up, as R computes them.

Every number here reproduces R's ``survival`` package (``survfit``, ``print.survfit``,
``summary.survfit(times=)``, ``print(fit, rmean=tau)``); ``tests/reference/README.md`` lists
the R call behind each function and where our defaults differ from R's (our default
confidence interval transform is ``"log-log"`` as in Stata, SAS and lifelines; R's is
``"log"``).

One job per module:

- :mod:`~hccdash.nonparametric.results`: the frozen result types (``SurvCurve``, ...);
- :mod:`~hccdash.nonparametric.ties`: R's near-tie rule ``aeqSurv`` (the one home of it:
  Kaplan-Meier, the log-rank tests and Cox all read it);
- :mod:`~hccdash.nonparametric.counting`: counts per distinct time (the counting kernel);
- :mod:`~hccdash.nonparametric.groups`: group columns as codes in R's ``factor`` order;
- :mod:`~hccdash.nonparametric.confint`: the curves' pointwise confidence intervals;
- :mod:`~hccdash.nonparametric.km`: the curves (``survfit``);
- :mod:`~hccdash.nonparametric.summaries`: medians, landmarks, risk tables, RMST, follow-up.

Speed: at 1e6 rows and 3 groups, KM + log-rank + risk table take about 2.5x (tied times) to
6x (all distinct) an ``np.argsort`` of the times, 11-15x less than lifelines (``bench/``
measures it).
"""

# _decode_times, _key_bits, _prepare and _runs: the log-rank tests (hccdash.compare) count with
# the same kernel and import them from here.
from hccdash.nonparametric.confint import CONF_TYPES
from hccdash.nonparametric.counting import _decode_times, _key_bits, _runs  # noqa: F401
from hccdash.nonparametric.groups import group_codes
from hccdash.nonparametric.km import _prepare, curve_from_counts, kaplan_meier, km_curve  # noqa: F401
from hccdash.nonparametric.restricted_mean import RMSTTable, default_tau, rmst_table
from hccdash.nonparametric.results import (
    RMST,
    KMResult,
    LandmarkTable,
    MedianSurvival,
    MedianTable,
    RiskTable,
    SurvCurve,
    SurvivalAt,
)
from hccdash.nonparametric.summaries import (
    landmark_table,
    median_followup,
    median_survival,
    median_table,
    risk_table,
    rmst,
    survival_at,
)
from hccdash.nonparametric.ties import aeq_times, near_tie_merge

__all__ = [
    "CONF_TYPES",
    "RMST",
    "KMResult",
    "LandmarkTable",
    "MedianSurvival",
    "MedianTable",
    "RMSTTable",
    "RiskTable",
    "SurvCurve",
    "SurvivalAt",
    "aeq_times",
    "curve_from_counts",
    "default_tau",
    "group_codes",
    "kaplan_meier",
    "km_curve",
    "landmark_table",
    "median_followup",
    "median_survival",
    "median_table",
    "near_tie_merge",
    "risk_table",
    "rmst",
    "rmst_table",
    "survival_at",
]

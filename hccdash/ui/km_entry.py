"""The Kaplan-Meier section's statistics with delayed entry (a codebook endpoint's ``entry``).

With an entry column a patient is at risk only from entry on: the curves are R's
``survfit(Surv(entry, time, event) ~ group)`` (:func:`hccdash.coxext.counting.km_counting`),
the test the log-rank test on those risk sets and the hazard ratio the Cox model
``coxph(Surv(entry, time, event) ~ group)``. :func:`entry_functions` returns them with the
signatures :func:`hccdash.plotting.views.km_inputs` takes, so the page draws them as any KM.
"""

from __future__ import annotations

from collections.abc import Callable

from hccdash.coxext import counting
from hccdash.errors import InputError
from hccdash.survdata import SurvData
from hccdash.ui import cache


def _frame(data):
    return data.frame if isinstance(data, SurvData) else data


@cache.cohort_cache(**cache.CACHE)
def km_entry(data, time, event, group, start, conf_type, conf_level, levels):
    """Cached delayed-entry Kaplan-Meier (R ``survfit(Surv(start, time, event) ~ group)``)."""
    return counting.km_counting(
        data, time, event, group, start=start, conf_type=conf_type, conf_level=conf_level,
        levels=levels,
    )  # fmt: skip


@cache.cohort_cache(**cache.CACHE)
def logrank_entry(data, time, event, group, start, levels):
    """Cached log-rank test on the delayed-entry risk sets."""
    return counting.logrank_counting(data, time, event, group, start=start, levels=levels)


def entry_functions(start: str) -> tuple[Callable, Callable, Callable]:
    """``kaplan_meier``, ``survdiff`` and ``cox_fit`` for :func:`km_inputs` with entry ``start``."""

    def kaplan_meier(data, time, event, group, conf_type, conf_level, levels):
        return km_entry(_frame(data), time, event, group, start, conf_type, conf_level, levels)

    def survdiff(data, time, event, group, method, p, q, levels):
        if method != "logrank":
            raise InputError(
                f"with delayed entry only the log-rank test is computed (not {method!r}); fix: "
                "choose the log-rank test in the test options."
            )
        return logrank_entry(_frame(data), time, event, group, start, levels)

    def cox_fit(data, time, event, covariates, ties, reference, categorical):
        return cache.cox_fit(data, time, event, covariates, ties, reference, categorical, False,
                             start)  # fmt: skip

    return kaplan_meier, survdiff, cox_fit

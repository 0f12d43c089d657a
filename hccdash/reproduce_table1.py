"""The paper's Table 1, published vs computed: the subgroup medians per factor level and
endpoint, and the log-rank p values (R ``survdiff``).
"""

from __future__ import annotations

import math

import pandas as pd

from hccdash.cohort.bundled import PAPER_FACTORS
from hccdash.cohort.published import load_published
from hccdash.compare import survdiff
from hccdash.nonparametric import kaplan_meier, median_survival
from hccdash.reproduce_common import (
    _ENDPOINT_KEY,
    ALPHA,
    SUBGROUP_MEDIAN_TOL,
    _grouped,
    _opt,
    factor_levels,
)


def table1_medians(data: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """Table 1 per factor level and endpoint: n and median, published vs computed.

    Parameters
    ----------
    data : pandas.DataFrame
        A cohort in the canonical schema.
    published : dict, optional
        The transcribed figures (default: :func:`hccdash.cohort.published.load_published`).

    Returns
    -------
    pandas.DataFrame
        Columns factor, level, endpoint ("PFS"/"OS"), n_published, n, median_published
        (NaN where the paper printed '-'), median (NaN when not reached), delta, within
        (|delta| <= 2 months; NA where the paper printed '-').
    """
    pub = published or load_published()
    rows = []
    for factor, prow in zip(PAPER_FACTORS, pub["table1_univariate"]["factors"], strict=True):
        sub = _grouped(data, factor)
        levels = factor_levels(factor)
        for key in ("pfs", "os"):
            ep = _ENDPOINT_KEY[key]
            km = kaplan_meier(sub, ep.time, ep.event, group="_level", levels=list(levels))
            by_level = {c.group: c for c in km.curves}
            for level, plevel in zip(levels, prow["levels"], strict=True):
                curve = by_level.get(level)
                med = math.nan if curve is None else _opt(median_survival(curve).median)
                want = plevel[f"median_{key}"]
                want = math.nan if want is None else float(want)
                delta = med - want
                rows.append(
                    {
                        "factor": factor.label,
                        "level": level,
                        "endpoint": key.upper(),
                        "n_published": int(plevel["n"]),
                        "n": 0 if curve is None else int(curve.n),
                        "median_published": want,
                        "median": med,
                        "delta": delta,
                        "within": pd.NA
                        if math.isnan(want)
                        else bool(abs(delta) <= SUBGROUP_MEDIAN_TOL),
                    }
                )
    out = pd.DataFrame(rows)
    out["within"] = out["within"].astype("boolean")
    return out


def table1_tests(data: pd.DataFrame, published: dict | None = None) -> pd.DataFrame:
    """Table 1's log-rank p values, published vs computed (R ``survdiff``).

    Failure mode compares the 18 patients who failed ("None" excluded), as the paper did.

    Returns
    -------
    pandas.DataFrame
        Columns factor, endpoint, p_published, chisq, df, p, log10_ratio
        (log10 p - log10 p_published), same_side (both below or both at/above 0.05).
    """
    pub = published or load_published()
    rows = []
    for factor, prow in zip(PAPER_FACTORS, pub["table1_univariate"]["factors"], strict=True):
        sub = _grouped(data, factor)
        for key in ("pfs", "os"):
            ep = _ENDPOINT_KEY[key]
            res = survdiff(sub, ep.time, ep.event, "_level", levels=list(factor_levels(factor)))
            want = float(prow[f"p_{key}"])
            rows.append(
                {
                    "factor": factor.label,
                    "endpoint": key.upper(),
                    "p_published": want,
                    "chisq": float(res.chisq),
                    "df": int(res.df),
                    "p": float(res.p_value),
                    "log10_ratio": math.log10(res.p_value) - math.log10(want),
                    "same_side": bool((res.p_value < ALPHA) == (want < ALPHA)),
                }
            )
    return pd.DataFrame(rows)

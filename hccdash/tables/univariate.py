"""The univariate table (Table 1 layout): per factor level, KM medians and landmark rates per
endpoint, and the log-rank test of each factor (also on delayed-entry risk sets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.compare import survdiff
from hccdash.coxext import counting
from hccdash.errors import AnalysisError, InputError
from hccdash.nonparametric import kaplan_meier, median_survival
from hccdash.schema import Endpoint, Factor
from hccdash.survdata import SurvData, survival_data

_LEVEL = "__level__"


# --------------------------------------------------------------------------------------------
# Univariate table
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EndpointCell:
    """One level's numbers for one endpoint: patients and events used, median with its CI
    (None where not reached / not estimable)."""

    endpoint: str
    n: int
    events: int
    median: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class LevelRow:
    """A row of the univariate table: one level of one factor."""

    factor: str
    column: str
    level: str
    n: int
    cells: tuple[EndpointCell, ...]


@dataclass(frozen=True)
class FactorTest:
    """Log-rank test of one factor for one endpoint (None values with a ``message`` when it
    cannot be computed, e.g. one level present or no events)."""

    factor: str
    column: str
    endpoint: str
    chisq: float | None
    df: int | None
    p_value: float | None
    message: str | None = None


@dataclass(frozen=True)
class UnivariateTable:
    """The seed's Table 1: per factor level n, events and median survival with CI per
    endpoint, and the log-rank p per factor and endpoint.

    Attributes
    ----------
    rows : tuple of LevelRow
        Factor levels in factor order, then level order.
    tests : tuple of FactorTest
        One per factor and endpoint.
    endpoints : tuple of str
        Endpoint keys in column order.
    conf_type, conf_level
        Median CI settings.
    messages : tuple of str
        Factors left out or tests not computed, in plain words.
    """

    rows: tuple[LevelRow, ...]
    tests: tuple[FactorTest, ...]
    endpoints: tuple[str, ...]
    conf_type: str
    conf_level: float
    messages: tuple[str, ...]
    entries: tuple[str | None, ...] = ()

    def test(self, factor: str, endpoint: str) -> FactorTest:
        """The log-rank test of ``factor`` (label or column) for ``endpoint`` (key)."""
        for t in self.tests:
            if factor in (t.factor, t.column) and t.endpoint == endpoint:
                return t
        raise KeyError(f"No test for factor {factor!r} and endpoint {endpoint!r}.")

    def to_frame(self) -> pd.DataFrame:
        """Table 1 layout: factor, level, n, then per endpoint ``<key>_events``,
        ``<key>_median``, ``<key>_lower``, ``<key>_upper`` and ``<key>_p`` (the factor's
        log-rank p, on the factor's first row only, as published tables print it)."""
        tests = {(t.column, t.endpoint): t for t in self.tests}
        out = []
        seen: set[str] = set()
        for row in self.rows:
            rec: dict[str, object] = {"factor": row.factor, "level": row.level, "n": row.n}
            first = row.column not in seen
            seen.add(row.column)
            for cell in row.cells:
                k = cell.endpoint
                rec[f"{k}_events"] = cell.events
                rec[f"{k}_median"] = _nan(cell.median)
                rec[f"{k}_lower"] = _nan(cell.lower)
                rec[f"{k}_upper"] = _nan(cell.upper)
                t = tests.get((row.column, k))
                rec[f"{k}_p"] = _nan(t.p_value) if first and t is not None else np.nan
            out.append(rec)
        cols = ["factor", "level", "n"] + [
            f"{k}_{c}" for k in self.endpoints for c in ("events", "median", "lower", "upper", "p")
        ]
        return pd.DataFrame(out, columns=cols)


def _nan(v: float | None) -> float:
    return np.nan if v is None else float(v)


def _factor_surv(surv: SurvData, data: pd.DataFrame, factor: Factor) -> SurvData:
    """The endpoint's validated survival data over a frame holding the factor's levels."""
    levels = factor.values(data).astype(object).where(lambda s: s.notna(), None)
    return surv.with_frame(pd.DataFrame({_LEVEL: levels}, index=data.index))


def _endpoint_surv(
    data: pd.DataFrame, endpoints: Sequence[Endpoint], surv: Sequence[SurvData] | None
) -> list[SurvData]:
    """One validated survival object per endpoint: ``surv`` as given (checked to be built on
    ``data`` for these endpoints), else built here, once per endpoint."""
    if surv is None:
        return [survival_data(data, e.time, e.event, endpoint=e.key) for e in endpoints]
    surv = list(surv)
    if len(surv) != len(endpoints):
        raise InputError(
            f"Got {len(surv)} survival objects for {len(endpoints)} endpoints; give one per "
            "endpoint, in the same order."
        )
    for sd, e in zip(surv, endpoints, strict=True):
        if (sd.time_col, sd.event_col) != (e.time, e.event) or sd.n != len(data):
            raise InputError(
                f"The survival data of endpoint {e.key!r} were built on columns "
                f"{sd.time_col!r}/{sd.event_col!r} of {sd.n} rows, not {e.time!r}/{e.event!r} "
                f"of these {len(data)} rows; build them from this frame "
                "(hccdash.survdata.survival_data)."
            )
    return surv


def _check_columns(data: pd.DataFrame, factors, endpoints) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    need = [f.column for f in factors] + [c for e in endpoints for c in (e.time, e.event)]
    missing = [c for c in dict.fromkeys(need) if c not in data.columns]
    if missing:
        raise InputError(
            f"Columns {missing!r} are not in the data (it has {list(data.columns)[:12]!r}"
            f"{' ...' if data.shape[1] > 12 else ''}). Map these columns on the data page or "
            "choose other factors/endpoints."
        )


def univariate_table(
    data: pd.DataFrame,
    factors: Sequence[Factor],
    endpoints: Sequence[Endpoint],
    *,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    surv: Sequence[SurvData] | None = None,
    entries: Sequence[str | None] | None = None,
) -> UnivariateTable:
    """The univariate table (Table 1 layout): per factor level, n, events and median
    survival with CI for each endpoint, and the log-rank p per factor and endpoint.

    Parameters
    ----------
    data : pandas.DataFrame
        Cohort in the canonical schema.
    factors : sequence of Factor
        Row groups; levels come from ``Factor.values`` (cut points applied, excluded levels
        such as failure mode "None" left out, so that factor compares the patients who failed).
    endpoints : sequence of Endpoint
        Column groups, in the order given.
    conf_type : {"log-log", "log", "plain"}
        Median CI transform (:func:`hccdash.nonparametric.kaplan_meier`).
    conf_level : float
        Median CI level.
    surv : sequence of SurvData, optional
        The validated survival data of ``data``, one per endpoint in order
        (:func:`hccdash.survdata.survival_data`); built here when not given. Every factor
        and endpoint uses them as they are: the endpoint columns are validated once.
    entries : sequence of str or None, optional
        The delayed-entry column of each endpoint (a codebook endpoint's ``entry``), None
        where there is none. With an entry the medians are R's
        ``survfit(Surv(entry, time, event) ~ factor)``
        (:func:`hccdash.coxext.counting.km_counting`) and p the log-rank test on those
        risk sets (:func:`hccdash.coxext.counting.logrank_counting`).

    Returns
    -------
    UnivariateTable
        Medians not reached are None (NaN in ``to_frame``); a factor with fewer than two
        levels, or without events, gets p = None and a message.

    Raises
    ------
    hccdash.errors.InputError
        A factor or endpoint column is missing, or the endpoint columns are invalid.
    """
    factors, endpoints = list(factors), list(endpoints)
    _check_columns(data, factors, endpoints)
    per_endpoint = _endpoint_surv(data, endpoints, surv)
    entries = list(entries) if entries is not None else [None] * len(endpoints)
    if len(entries) != len(endpoints):
        raise InputError(
            f"Got {len(entries)} entry columns for {len(endpoints)} endpoints; give one per "
            "endpoint (None without delayed entry), in the same order."
        )
    keys = tuple(e.key for e in endpoints)
    rows: list[LevelRow] = []
    tests: list[FactorTest] = []
    messages: list[str] = []
    for factor in factors:
        levels = factor.level_order(data)
        if not levels:
            messages.append(f"{factor.label}: no patient has a value; left out.")
            continue
        per_level: dict[str, list[EndpointCell]] = {lev: [] for lev in levels}
        for endpoint, sd, entry in zip(endpoints, per_endpoint, entries, strict=True):
            if entry is None:
                frame = _factor_surv(sd, data, factor)
                km = kaplan_meier(
                    frame,
                    group=_LEVEL,
                    conf_type=conf_type,
                    conf_level=conf_level,
                    levels=list(levels),
                )
            else:
                frame = _entry_frame(data, factor, endpoint, entry)
                km = counting.km_counting(
                    frame, endpoint.time, endpoint.event, _LEVEL, start=entry,
                    conf_type=conf_type, conf_level=conf_level, levels=list(levels),
                )  # fmt: skip
            present = {c.group: c for c in km.curves}
            for lev in levels:
                curve = present.get(lev)
                if curve is None:
                    per_level[lev].append(EndpointCell(endpoint.key, 0, 0, None, None, None))
                    continue
                med = median_survival(curve)
                per_level[lev].append(
                    EndpointCell(
                        endpoint.key, curve.n, curve.events, med.median, med.lower, med.upper
                    )
                )
            tests.append(_logrank(frame, factor, endpoint, levels, messages, entry))
        counts = factor.values(data).value_counts()
        for lev in levels:
            rows.append(
                LevelRow(
                    factor.label, factor.column, lev, int(counts.get(lev, 0)), tuple(per_level[lev])
                )
            )
    return UnivariateTable(
        rows=tuple(rows),
        tests=tuple(tests),
        endpoints=keys,
        conf_type=conf_type,
        conf_level=float(conf_level),
        messages=tuple(messages),
        entries=tuple(entries),
    )


def _entry_frame(data: pd.DataFrame, factor: Factor, endpoint: Endpoint, entry: str):
    """The endpoint's (entry, time, event) columns and the factor's levels (delayed entry)."""
    if entry not in data.columns:
        raise InputError(
            f"The entry column {entry!r} of endpoint {endpoint.key!r} is not in the data; "
            "map it on the data page or remove the endpoint's entry from the codebook."
        )
    levels = factor.values(data).astype(object).where(lambda s: s.notna(), None)
    return pd.DataFrame(
        {
            endpoint.time: data[endpoint.time],
            endpoint.event: data[endpoint.event],
            entry: data[entry],
            _LEVEL: levels,
        },
        index=data.index,
    )


def _logrank(frame, factor: Factor, endpoint: Endpoint, levels, messages, entry=None):
    try:
        if entry is None:
            res = survdiff(frame, group=_LEVEL, levels=list(levels))
        else:
            res = counting.logrank_counting(
                frame, endpoint.time, endpoint.event, _LEVEL, start=entry, levels=list(levels)
            )
    except AnalysisError as exc:
        msg = f"{factor.label}, {endpoint.label}: log-rank test not computed ({exc})"
        messages.append(msg)
        return FactorTest(factor.label, factor.column, endpoint.key, None, None, None, msg)
    return FactorTest(
        factor.label,
        factor.column,
        endpoint.key,
        float(res.chisq),
        int(res.df),
        float(res.p_value),
    )

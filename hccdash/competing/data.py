"""The boundary of the competing-risks engine: one check of (time, status codes, group).

An endpoint with several event types is a time column and a *status* column of codes: one
code means censored (default ``0``), one is the cause of interest (default ``1``) and every
other declared code is a competing event type. :func:`prepare` keeps the complete cases of the
columns an analysis needs, checks every rule once and returns plain arrays sorted by time (as
``cmprsk`` sorts them with R's stable ``order``), so the estimators never re-validate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hccdash.errors import AnalysisError, InputError
from hccdash.identity import key_of
from hccdash.survdata import SurvData
from hccdash.validate import _require_columns

__all__ = [
    "EventCodes",
    "Prepared",
    "cause_specific",
    "code_label",
    "codes_for_endpoint",
    "codes_of",
    "columns_of",
    "competing_data",
    "prepare",
]


def code_label(value: object) -> object:
    """A status code as a plain value: integral numbers become ``int``, other numbers ``float``,
    anything else ``str`` (so ``1``, ``1.0`` and ``"1"`` are the same code).

    Examples
    --------
    >>> code_label(2.0), code_label("1"), code_label("relapse")
    (2, 1, 'relapse')
    """
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else float(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


@dataclass(frozen=True)
class EventCodes:
    """What the codes of a status column mean.

    ``censor`` is the censoring code, ``cause`` the event of interest, ``competing`` the other
    declared event codes (``None``: every other code present is a competing event), ``names``
    optional display names per code.
    """

    censor: object = 0
    cause: object = 1
    competing: tuple[object, ...] | None = None
    names: Mapping[object, str] | None = None

    def name(self, code: object) -> str:
        """Display name of a code: the declared name, else ``'cause 2'`` / ``'censored'``."""
        code = code_label(code)
        names = {code_label(k): v for k, v in (self.names or {}).items()}
        if code in names:
            return str(names[code])
        return "censored" if code == code_label(self.censor) else f"cause {code}"

    def declared(self) -> tuple[object, ...] | None:
        """Every declared code, or ``None`` when any code other than censor is accepted."""
        if self.competing is None:
            return None
        return tuple(
            code_label(c) for c in (self.censor, self.cause, *self.competing) if c is not None
        )


def codes_for_endpoint(endpoint) -> EventCodes:
    """The :class:`EventCodes` of a codebook endpoint with competing event types.

    ``endpoint`` is a :class:`hccdash.codebook.EndpointSpec`; its codes are those of its
    :attr:`~hccdash.codebook.EndpointSpec.status_column` (the first censored code stands for
    every censored code, the first event code for every event code), its names
    ``coding.names``.

    Examples
    --------
    >>> from hccdash.codebook import EndpointSpec
    >>> e = EndpointSpec("rfs", "Relapse", "t", "s", event_values=("1",),
    ...                  censored_values=("0",), competing_values=("2",),
    ...                  code_names=(("1", "Relapse"), ("2", "Death")))
    >>> c = codes_for_endpoint(e)
    >>> c.censor, c.cause, c.competing, c.name(2)
    (0, 1, (2,), 'Death')
    """

    def norm(code: str) -> object:
        return code_label(str(code).strip().lower())

    names = {norm(k): v for k, v in endpoint.code_names}
    cause = norm(endpoint.event_values[0])
    return EventCodes(
        censor=norm(endpoint.censored_values[0]),
        cause=cause,
        competing=tuple(norm(c) for c in endpoint.competing_values),
        names=names,
    )


@dataclass(frozen=True)
class Prepared:
    """Complete cases sorted by time (stable), as plain arrays."""

    time: np.ndarray  # float64, sorted
    status: np.ndarray  # object codes (code_label), aligned with time
    censored: np.ndarray  # bool
    group: np.ndarray  # int codes 0..k-1 (all zero without a group)
    group_levels: tuple[str, ...]
    strata: np.ndarray  # int codes 0..s-1
    causes: tuple[object, ...]  # event codes present, sorted as R sorts unique(fstatus)
    frame: pd.DataFrame  # the complete-case rows in the same (sorted) order
    dropped: int

    @property
    def n(self) -> int:
        return int(self.time.size)


def _sort_codes(codes: Sequence[object]) -> tuple[object, ...]:
    nums = [c for c in codes if not isinstance(c, str)]
    texts = [c for c in codes if isinstance(c, str)]
    return (*sorted(nums), *sorted(texts))  # type: ignore[type-var]


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _first_labels(frame: pd.DataFrame, mask: np.ndarray) -> str:
    labels = [repr(x.item() if isinstance(x, np.generic) else x) for x in frame.index[mask][:5]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def _levels(col: pd.Series, column: str) -> tuple[np.ndarray, tuple[str, ...]]:
    # the same level rule as every other analysis (categorical order, numbers numerically,
    # then strings: R's factor()); one home for it
    from hccdash.cox.design import _level_str, _levels

    order = _levels(col, column, None)
    labels = np.array([_level_str(v) for v in col.to_numpy()], dtype=object)
    pos = {lev: i for i, lev in enumerate(order)}
    return np.array([pos[x] for x in labels], dtype=np.int64), tuple(order)


def codes_of(data: object, codes: EventCodes | None) -> EventCodes:
    """``codes``, else those a :class:`~hccdash.survdata.SurvData` was built with, else the
    default (0 censored, 1 the event of interest, others competing)."""
    if codes is not None:
        return codes
    if isinstance(data, SurvData) and isinstance(data.codes, EventCodes):
        return data.codes
    return EventCodes()


def columns_of(data: object, time: str | None, status: str | None) -> tuple[str, str]:
    """The time and status column names (those of a SurvData when not given)."""
    if isinstance(data, SurvData):
        return time or data.time_col, status or data.event_col
    if time is None or status is None:
        raise InputError("Give the time and status columns (or a SurvData built on them).")
    return time, status


def competing_data(
    data: pd.DataFrame,
    time: str,
    status: str,
    codes: EventCodes | None = None,
    *,
    endpoint: str | None = None,
    key: str | None = None,
) -> SurvData:
    """Validate an endpoint with several event types once: a :class:`SurvData` with codes.

    Every present time must be a finite number >= 0 and every present status code a declared
    one (``codes.declared()``); rows missing either are kept and marked ``missing`` (left out
    as incomplete cases). ``event`` is 1 for an event of any type, ``status`` holds the codes
    (:func:`code_label`), ``codes`` their meaning. :func:`prepare`, ``cuminc``, ``crr`` and
    ``pairwise_gray`` take the object as it is; :func:`cause_specific` gives the
    cause-specific event (competing events censored) for Kaplan-Meier and Cox.

    Raises
    ------
    hccdash.errors.InputError
        Not a DataFrame, a missing column, bad times, undeclared codes, the event of interest
        coded as censored.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [3, 1, None, 5], "s": [1, 2, 0, 0]})
    >>> sd = competing_data(df, "t", "s")
    >>> sd.event.tolist(), sd.status.tolist(), sd.dropped
    ([1, 1, 0, 0], [1, 2, None, 0], 1)
    """
    codes = codes or EventCodes()
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    _require_columns(data, [time, status])
    if len(data) == 0:
        raise AnalysisError(
            "The data have 0 rows. Load a file with at least one patient, or widen the filters."
        )
    missing = (data[time].isna() | data[status].isna()).to_numpy()
    present = ~missing
    t = pd.to_numeric(data[time], errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = present & (~np.isfinite(t) | (t < 0))
    if bad.any():
        raise InputError(
            f"Column {time!r} (time) has {_rows(int(bad.sum()))} that are not a finite number "
            f">= 0 (rows {_first_labels(data, bad)}; values "
            f"{', '.join(repr(v) for v in data[time].to_numpy()[bad][:5])}); correct these "
            "cells or choose another time column."
        )
    raw = data[status].to_numpy()
    st = np.array([code_label(v) if ok else None for v, ok in zip(raw, present, strict=True)],
                  dtype=object)  # fmt: skip
    censor, cause = code_label(codes.censor), code_label(codes.cause)
    declared = codes.declared()
    if declared is not None:
        undeclared = present & ~np.isin(st, np.array(declared, dtype=object))
        if undeclared.any():
            values = list(dict.fromkeys(st[undeclared].tolist()))[:5]
            raise InputError(
                f"Column {status!r} (status) has {_rows(int(undeclared.sum()))} with codes "
                f"that are not declared ({', '.join(repr(v) for v in values)}; rows "
                f"{_first_labels(data, undeclared)}); declared codes are "
                f"{', '.join(f'{c!r} = {codes.name(c)}' for c in declared)}. Declare the code "
                "(censored, the event of interest or a competing event) or correct the cells."
            )
    if cause == censor:
        raise InputError(
            f"The event of interest and censoring have the same code {cause!r}; give "
            "different codes."
        )
    event = (present & (st != censor)).astype(np.int8)
    t = np.where(present, t, np.nan) + 0.0
    for arr in (t, event, missing, st):
        arr.setflags(write=False)  # shared by every analysis of this object
    return SurvData(
        time=t, event=event, missing=missing, time_col=time, event_col=status, frame=data,
        endpoint=endpoint, key=key if key is not None else key_of(data), status=st, codes=codes,
    )  # fmt: skip


def cause_specific(surv: SurvData, cause: object | None = None) -> SurvData:
    """The cause-specific event of ``cause`` (default the event of interest): 1 for that
    cause, 0 for censored *and* for competing events, for Kaplan-Meier (1 − KM) and the
    cause-specific Cox model. R: ``Surv(time, status == cause)``.

    Examples
    --------
    >>> sd = competing_data(pd.DataFrame({"t": [3, 1, 2], "s": [1, 2, 0]}), "t", "s")
    >>> cause_specific(sd).event.tolist(), cause_specific(sd, 2).event_col
    ([1, 0, 0], 's == 2')
    """
    if surv.status is None:
        raise InputError("These survival data have no event types; build them with competing_data.")
    codes = codes_of(surv, None)
    cause = code_label(codes.cause if cause is None else cause)
    event = (surv.status == cause).astype(np.int8)
    event.setflags(write=False)
    return replace(
        surv, event=event, event_col=f"{surv.event_col} == {cause!r}", status=None, codes=None,
        key=f"{surv.key}|cause={cause!r}" if surv.key is not None else None, _codes={},
    )  # fmt: skip


def prepare(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    status: str | None = None,
    codes: EventCodes | None = None,
    *,
    group: str | None = None,
    strata: str | None = None,
    extra: Sequence[str] = (),
    need_cause: bool = True,
) -> Prepared:
    """Validate an endpoint with several event types and return sorted arrays.

    Parameters
    ----------
    data : pandas.DataFrame or hccdash.survdata.SurvData
        One row per patient (never modified), or the object of :func:`competing_data`
        (validated once when it was built: then ``time`` and ``status`` may be omitted).
    time, status : str
        Follow-up time (numeric, finite, >= 0) and status code columns.
    codes : EventCodes, optional
        Meaning of the codes (default: the SurvData's, else 0 censored, 1 the event of
        interest, others competing).
    group, strata : str, optional
        Grouping column of the curves and tests; stratification column of Gray's test.
    extra : sequence of str
        Further columns that must be complete (model covariates).
    need_cause : bool
        Raise when the cause of interest has no event (Fine-Gray); curves do not need it.

    Raises
    ------
    hccdash.errors.InputError
        Missing columns, bad times, undeclared status codes.
    hccdash.errors.AnalysisError
        No complete rows, no event of any type, or (``need_cause``) no event of the cause.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [3, 1, 2, 5], "s": [1, 2, 0, 1]})
    >>> p = prepare(df, "t", "s")
    >>> p.time.tolist(), p.status.tolist(), p.causes
    ([1.0, 2.0, 3.0, 5.0], [2, 0, 1, 1], (1, 2))
    """
    if isinstance(data, SurvData):
        if data.status is None:
            raise InputError(
                "These survival data have one event type (0/1); build them with "
                "hccdash.competing.data.competing_data for an endpoint with several."
            )
        if codes is not None and data.codes is not None and codes != data.codes:
            raise InputError(
                f"The survival data were built with codes {data.codes!r}, not {codes!r}; "
                "build them with these codes (competing_data)."
            )
        if (time, status) != (None, None) and (time, status) != (data.time_col, data.event_col):
            raise InputError(
                f"The survival data were built on ({data.time_col!r}, {data.event_col!r}), not "
                f"({time!r}, {status!r})."
            )
        surv = data
    else:
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
        time, status = columns_of(data, time, status)
        _require_columns(data, [time, status, *(c for c in (group, strata) if c), *extra])
        surv = competing_data(data, time, status, codes)
    codes = codes_of(surv, codes)
    time, status = surv.time_col, surv.event_col
    data = surv.frame
    others = [c for c in dict.fromkeys([*(c for c in (group, strata) if c), *extra])]
    _require_columns(data, others)
    needed = [time, status, *others]
    missing = surv.missing.copy()
    for c in others:
        missing |= data[c].isna().to_numpy()
    if missing.all():
        raise AnalysisError(
            f"No complete rows: all {len(data)} rows miss a value in one of "
            f"{list(dict.fromkeys(needed))!r}. Fill in these columns, choose others or widen "
            "the filters."
        )
    keep = np.flatnonzero(~missing)
    t, st = surv.time[keep], surv.status[keep]
    censor, cause = code_label(codes.censor), code_label(codes.cause)
    censored = st == censor
    if not (~censored).any():
        raise AnalysisError(
            f"All {keep.size} patients are censored (code {censor!r} in {status!r}): no event "
            "of any type, so no cumulative incidence can be estimated. Check the coding of "
            f"{status!r} or widen the filters."
        )
    if need_cause and not (st == cause).any():
        raise AnalysisError(
            f"The event of interest {codes.name(cause)!r} (code {cause!r} in {status!r}) has "
            f"no events among the {keep.size} patients; choose another cause or widen the "
            "filters."
        )
    order = np.argsort(t, kind="stable")
    rows = keep[order]
    frame = data.iloc[rows] if rows.size != len(data) or np.any(np.diff(rows) < 0) else data
    t, st, censored = t[order], st[order], censored[order]
    if group:
        g, g_levels = _levels(frame[group], group)
    else:
        g, g_levels = np.zeros(t.size, dtype=np.int64), ("all",)
    if strata:
        s, _ = _levels(frame[strata], strata)
    else:
        s = np.zeros(t.size, dtype=np.int64)
    causes = _sort_codes(list(dict.fromkeys(st[~censored].tolist())))
    return Prepared(t, st, censored, g, g_levels, s, causes, frame, int(missing.sum()))

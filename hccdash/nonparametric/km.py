"""Kaplan-Meier curves (R ``survfit``): from rows (:func:`kaplan_meier`, :func:`km_curve`) or
from counts per distinct time (:func:`curve_from_counts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hccdash.errors import InputError, preview_labels
from hccdash.nonparametric.confint import _check_conf, _confint
from hccdash.nonparametric.counting import _count_groups, _Counts
from hccdash.nonparametric.results import KMResult, SurvCurve
from hccdash.validate import survival_arrays

if TYPE_CHECKING:
    import pandas as pd

    from hccdash.survdata import SurvData

# hccdash.survdata (and pandas) are imported by the functions that take rows: the engine's
# ``analyze --engine`` finishes curves from counts and never needs them.

__all__ = ["curve_from_counts", "kaplan_meier", "km_curve"]


def _curve_from_counts(
    c: _Counts, group: str | None, conf_type: str, conf_level: float
) -> SurvCurve:
    nr = c.n_risk.astype(np.float64)
    ne = c.n_event.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ne / nr
        surv = np.cumprod(1.0 - r)
        r /= nr - ne  # Greenwood term d / (n (n - d)); inf when n == d, 0 when d == 0
    std_err = np.sqrt(np.cumsum(r, out=r), out=r)
    lower, upper = _confint(surv, std_err, conf_type, conf_level)
    return SurvCurve(
        group=group,
        n=c.n,
        events=int(c.n_event.sum()),
        time=c.time,
        n_risk=c.n_risk,
        n_event=c.n_event,
        n_censor=c.n_censor,
        surv=surv,
        std_err=std_err,
        lower=lower,
        upper=upper,
        conf_type=conf_type,
        conf_level=float(conf_level),
    )


def curve_from_counts(
    time: np.ndarray,
    n_event: np.ndarray,
    n_censor: np.ndarray,
    *,
    group: str | None = None,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
) -> SurvCurve:
    """One Kaplan-Meier curve from counts per distinct time (pre-aggregated, e.g. by SQL).

    ``time`` ascending and distinct, with R's near-tie rule (:func:`near_tie_merge`) already
    applied; ``n_event``/``n_censor`` are the events and censorings at each time. The numbers
    at risk are the reverse cumulative sum of both; the curve is the one ``kaplan_meier``
    computes from the rows (same code from here on).

    Examples
    --------
    >>> c = curve_from_counts(np.array([1.0, 2.0]), np.array([1, 1]), np.array([1, 0]))
    >>> c.n_risk.tolist(), c.surv.tolist()
    ([3, 1], [0.6666666666666667, 0.0])

    References
    ----------
    R: ``survfit(Surv(c(1, 1, 2), c(1, 0, 1)) ~ 1)`` (the same rows): n.risk 3, 1; surv
    0.6666667, 0.
    """
    _check_conf(conf_type, conf_level)
    ne = np.asarray(n_event, dtype=np.int64)
    nc = np.asarray(n_censor, dtype=np.int64)
    n_risk = np.cumsum((ne + nc)[::-1])[::-1]
    n = int(n_risk[0]) if n_risk.size else 0
    c = _Counts(np.asarray(time, dtype=np.float64), n_risk, ne, nc, n)
    return _curve_from_counts(c, group, conf_type, conf_level)


def _prepare(
    data: pd.DataFrame | SurvData,
    time: str | None,
    event: str | None,
    group: str | None,
    levels: Sequence[str] | None,
    extra: Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...], int, np.ndarray]:
    """Validated arrays of the complete cases, group codes and labels, rows dropped, kept mask.

    Rows missing the time, event, group or an ``extra`` column, or with a group value
    outside ``levels``, are dropped and counted. Present values must be valid (InputError).
    A :class:`~hccdash.survdata.SurvData` is used as it is (validated when it was built); a
    DataFrame is validated here.
    """
    import pandas as pd

    from hccdash.survdata import SurvData, as_surv

    if not isinstance(data, pd.DataFrame | SurvData):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    frame = data.frame if isinstance(data, SurvData) else data
    cols = [c for c in [group, *extra] if c is not None]
    missing_cols = [c for c in cols if c not in frame.columns]
    if missing_cols:
        raise InputError(
            f"Column {missing_cols[0]!r} is not in the data. Choose an existing column or "
            "rename it in the column mapping."
        )
    if len(frame) == 0:
        raise InputError(
            "The data have 0 rows. Load a file with at least one patient, or widen the filters."
        )
    surv = as_surv(data, time, event)
    time, event = surv.time_col, surv.event_col
    t, e, missing = surv.time, surv.event, surv.missing.copy()
    if group is None:
        codes, labels = np.zeros(t.size, dtype=np.int64), ()
    else:
        codes, labels = surv.group_codes(group, levels)  # -1: missing or outside levels
        missing |= codes < 0
    for c in extra:
        missing |= frame[c].isna().to_numpy()
    dropped = int(missing.sum())
    keep = ~missing
    if dropped:
        t, e, codes = t[keep], e[keep], codes[keep]
    if t.size == 0:
        raise InputError(
            f"No complete rows: all {len(frame)} rows miss one of "
            f"{', '.join(map(repr, [time, event, *cols]))}"
            + (f" or have a {group!r} level outside {list(levels)!r}" if levels else "")
            + ". Fill in the data, choose other columns, or widen the filters."
        )
    return t, e, codes, labels, dropped, keep


def kaplan_meier(
    data: pd.DataFrame | SurvData,
    time: str | None = None,
    event: str | None = None,
    group: str | None = None,
    *,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    levels: Sequence[str] | None = None,
) -> KMResult:
    """Kaplan-Meier curves per group, as R ``survfit(Surv(time, event) ~ group)``.

    Parameters
    ----------
    data : pandas.DataFrame or hccdash.survdata.SurvData
        One row per patient, or the validated survival data (then ``time`` and ``event``
        may be left out; the group column comes from its frame).
    time, event : str
        Follow-up time column and event column (1 = event, 0 = censored).
    group : str, optional
        Grouping column; values are converted to strings. Without it, one curve.
    conf_type : {"log-log", "log", "plain"}
        Confidence interval transform. Default "log-log" (Stata, SAS, lifelines); R's
        default is "log". "plain" is clipped to [0, 1] as R does.
    conf_level : float
        Confidence level, e.g. 0.95.
    levels : sequence of str, optional
        Group levels in display order; rows with other levels are left out (and counted in
        ``dropped``). Default: observed levels sorted (categories keep their order).

    Returns
    -------
    KMResult
        One ``SurvCurve`` per level present, in level order; ``dropped`` counts rows left
        out as incomplete (missing time, event or group) or outside ``levels``.

    Raises
    ------
    hccdash.errors.InputError
        Bad input (see ``validate_survival``) or a bad ``conf_type``/``conf_level``.

    Examples
    --------
    >>> from hccdash.rdata import aml
    >>> km = kaplan_meier(aml(), "time", "status", "x")
    >>> km.levels, [c.n for c in km.curves], [c.events for c in km.curves]
    (('Maintained', 'Nonmaintained'), [11, 12], [7, 11])
    >>> c = km.curve("Maintained")
    >>> c.time[:4].tolist(), c.n_risk[:4].tolist(), c.surv[:4].round(6).tolist()
    ([9.0, 13.0, 18.0, 23.0], [11, 10, 8, 7], [0.909091, 0.818182, 0.715909, 0.613636])

    References
    ----------
    R: ``survfit(Surv(time, status) ~ x, aml, conf.type = "log-log")`` (``summary(fit)``:
    Maintained n.risk 11, 10, 8, 7; survival 0.909, 0.818, 0.716, 0.614).
    """
    _check_conf(conf_type, conf_level)
    t, e, codes, labels, dropped, _ = _prepare(data, time, event, group, levels)
    k = max(len(labels), 1)
    counts = _count_groups(t, e, codes, k)
    names: Sequence[str | None] = labels if group is not None else (None,)
    curves = tuple(
        _curve_from_counts(c, name, conf_type, conf_level)
        for c, name in zip(counts, names, strict=True)
        if c.n > 0
    )
    return KMResult(
        curves=curves,
        group=group,
        n=int(t.size),
        events=int(e.sum(dtype=np.int64)),
        dropped=int(dropped),
        conf_type=conf_type,
        conf_level=float(conf_level),
    )


def _arrays(time: Sequence[float] | np.ndarray, event: Sequence[int] | np.ndarray):
    """Validated arrays from array-likes; missing values are an error here."""
    import pandas as pd

    tt, ee = np.asarray(time), np.asarray(event)
    if tt.shape != ee.shape or tt.ndim != 1:
        raise InputError(
            f"time and event must be 1-D and of equal length (got shapes {tt.shape} and "
            f"{ee.shape}). Pass one value per patient."
        )
    frame = pd.DataFrame({"time": tt, "event": ee})
    t, e, missing = survival_arrays(frame, "time", "event")
    if missing.any():
        raise InputError(
            f"{int(missing.sum())} of {t.size} patients miss a time or event (rows "
            f"{preview_labels(list(np.flatnonzero(missing)))}). Remove them or fill them in."
        )
    if t.size == 0:
        raise InputError("No patients were given. Pass at least one time and event.")
    return t, e


def km_curve(
    time: Sequence[float] | np.ndarray,
    event: Sequence[int] | np.ndarray,
    *,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    group: str | None = None,
) -> SurvCurve:
    """One Kaplan-Meier curve from arrays, as R ``survfit(Surv(time, event) ~ 1)``.

    Parameters
    ----------
    time, event : array-like
        Times (>= 0) and event indicators (1/0), same length, no missing values.
    conf_type, conf_level
        As in ``kaplan_meier``.
    group : str, optional
        Label stored on the curve.

    Returns
    -------
    SurvCurve

    Examples
    --------
    >>> from hccdash.rdata import aml
    >>> d = aml()
    >>> c = km_curve(d["time"], d["status"])
    >>> c.n_risk[:3].tolist(), c.surv[:3].round(6).tolist()
    ([23, 21, 19], [0.913043, 0.826087, 0.782609])

    References
    ----------
    R: ``survfit(Surv(time, status) ~ 1, aml)``: n.risk 23, 21, 19; surv 0.9130435,
    0.8260870, 0.7826087.
    """
    _check_conf(conf_type, conf_level)
    t, e = _arrays(time, event)
    (c,) = _count_groups(t, e, np.zeros(t.size, dtype=np.int64), 1)
    return _curve_from_counts(c, group, conf_type, conf_level)

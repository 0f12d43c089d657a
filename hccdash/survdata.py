"""One validated survival object per cohort and endpoint (as scikit-survival's ``Surv``).

:func:`survival_data` runs the boundary rules of :mod:`hccdash.validate` (the same checks and
messages as ``validate_survival``'s time and event part) **once** and returns a frozen
:class:`SurvData`. ``kaplan_meier``, ``survdiff``, ``trend_test``, ``pairwise_survdiff`` and
``cox_fit`` accept it in place of a DataFrame and use its arrays as they are; the group and
covariate columns come from the frame it carries (:meth:`SurvData.with_frame` attaches a frame
with derived columns, row for row). Their DataFrame signatures build one and delegate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from hccdash.errors import InputError
from hccdash.identity import key_of
from hccdash.validate import _require_columns, survival_arrays

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SurvData", "as_surv", "survival_data"]


@dataclass(frozen=True, eq=False)
class SurvData:
    """Validated times and events of every row of a frame, with the frame for groups.

    Attributes
    ----------
    time : numpy.ndarray
        float64 follow-up times, one per row of ``frame`` (NaN where missing).
    event : numpy.ndarray
        int8 event indicators (1 event, 0 censored; 0 where missing).
    missing : numpy.ndarray
        bool, rows missing the time or the event (dropped as incomplete cases).
    time_col, event_col : str
        The columns they were read from (named in messages).
    frame : pandas.DataFrame
        The rows, for group, strata and covariate columns.
    endpoint : str or None
        The endpoint's key (``"os"``, ``"rfs"`` ...), when known.
    key : str or None
        The identity of ``frame``'s content (:mod:`hccdash.identity`); caches use it as key.
    start, weights : numpy.ndarray or None
        Entry times and case weights, when the analysis has them.
    status, codes : numpy.ndarray and EventCodes, or None
        An endpoint with several event types (:func:`hccdash.competing.data.competing_data`):
        the status code of every row (``None`` where missing) and what the codes mean;
        ``event`` is then 1 for an event of any type.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [5.0, 8.0, None], "d": [1, 0, 1], "arm": ["a", "b", "a"]})
    >>> sd = survival_data(df, "t", "d", endpoint="os")
    >>> sd.n, sd.dropped, sd.time[:2].tolist(), sd.event.tolist()
    (3, 1, [5.0, 8.0], [1, 0, 1])
    """

    time: np.ndarray
    event: np.ndarray
    missing: np.ndarray
    time_col: str
    event_col: str
    frame: pd.DataFrame = field(repr=False)
    endpoint: str | None = None
    key: str | None = None
    start: np.ndarray | None = None
    weights: np.ndarray | None = None
    status: np.ndarray | None = field(default=None, repr=False)
    codes: object | None = None
    _codes: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        """Rows, complete or not."""
        return int(self.time.size)

    @property
    def dropped(self) -> int:
        """Rows missing the time or the event (left out as incomplete cases)."""
        return int(self.missing.sum())

    @property
    def labels(self) -> np.ndarray:
        """Row labels (the frame's index) for messages."""
        return self.frame.index.to_numpy()

    def with_frame(self, frame: pd.DataFrame, key: str | None = None) -> SurvData:
        """The same survival arrays over ``frame``, which has the same rows plus derived
        columns (a cut group, a label); ``key`` identifies the new frame's content."""
        if len(frame) != self.n:
            raise InputError(
                f"The frame has {len(frame)} rows but the survival data have {self.n}; derive "
                "columns row for row (DataFrame.assign) from the frame the data were built on."
            )
        return replace(self, frame=frame, key=key if key is not None else key_of(frame), _codes={})

    def group_codes(
        self, column: str, levels: Sequence[str] | None = None
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        """``hccdash.nonparametric.group_codes`` of a column, factorised once per object."""
        from hccdash.nonparametric import group_codes

        memo_key = (column, tuple(levels) if levels is not None else None)
        hit = self._codes.get(memo_key)
        if hit is None:
            hit = group_codes(self.frame[column], levels)
            self._codes[memo_key] = hit
        return hit


def survival_data(
    data: pd.DataFrame,
    time: str,
    event: str,
    *,
    endpoint: str | None = None,
    id_column: str | None = None,
    key: str | None = None,
) -> SurvData:
    """Validate ``time`` and ``event`` of ``data`` once and return them as a :class:`SurvData`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    time, event : str
        Follow-up time column (finite, ``>= 0``) and event column (1/0, booleans allowed).
        Missing values are allowed: those rows are counted in ``dropped``.
    endpoint : str, optional
        The endpoint's key, carried along.
    id_column : str, optional
        Column whose values label rows in messages (default: the index).
    key : str, optional
        Identity of ``data``'s content; default the key registered for the frame, if any.

    Returns
    -------
    SurvData

    Raises
    ------
    hccdash.errors.InputError
        Not a DataFrame, zero rows, a missing column, non-numeric, negative or infinite
        times, event codes other than 0/1 (the messages of ``validate_survival``).

    References
    ----------
    R: ``Surv(time, event)`` of package survival.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1.0, -2.0], "d": [1, 0]})
    >>> try:
    ...     survival_data(df, "t", "d")
    ... except InputError as exc:
    ...     print(str(exc)[:68])
    Column 't' (time) has 1 row with a negative or infinite time (rows 1
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame, got {type(data).__name__!r}.")
    _require_columns(data, [time, event])
    if len(data) == 0:
        raise InputError(
            "The data have 0 rows. Load a file with at least one patient, or widen the filters."
        )
    t, e, missing = survival_arrays(data, time, event, id_column=id_column)
    for arr in (t, e, missing):
        arr.setflags(write=False)  # shared by every analysis of this object: never modified
    return SurvData(
        time=t,
        event=e,
        missing=missing,
        time_col=time,
        event_col=event,
        frame=data,
        endpoint=endpoint,
        key=key if key is not None else key_of(data),
    )


def as_surv(data: pd.DataFrame | SurvData, time: str | None, event: str | None) -> SurvData:
    """``data`` itself when it is a :class:`SurvData` (whose columns must be ``time`` and
    ``event`` when those are given), else :func:`survival_data` of the frame."""
    if isinstance(data, SurvData):
        for given, have, role in ((time, data.time_col, "time"), (event, data.event_col, "event")):
            if given is not None and given != have:
                raise InputError(
                    f"The survival data were built on {role} column {have!r}, not {given!r}; "
                    "build them for this endpoint (hccdash.survdata.survival_data)."
                )
        return data
    if time is None or event is None:
        raise InputError("Give the time and event columns (or a SurvData built on them).")
    return survival_data(data, time, event)

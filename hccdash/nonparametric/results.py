"""Result types of the Kaplan-Meier engine, with R ``survfit`` field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hccdash.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RMST",
    "KMResult",
    "LandmarkTable",
    "MedianSurvival",
    "MedianTable",
    "RiskTable",
    "SurvCurve",
    "SurvivalAt",
]

_ROW_FIELDS = ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper")


def _rows_frame(result: SurvCurve | SurvivalAt) -> pd.DataFrame:
    """One row per time with R's survfit column names, led by the group."""
    import pandas as pd

    columns = {"group": [result.group] * len(result.time)}
    columns.update({name: getattr(result, name) for name in _ROW_FIELDS})
    return pd.DataFrame(columns)


@dataclass(frozen=True)
class SurvCurve:
    """One Kaplan-Meier curve with R ``survfit`` field names.

    One entry per distinct observed time (events or censorings), ascending. ``std_err`` is
    R's ``std.err``: the standard error of the cumulative hazard (of ``-log S``), Greenwood;
    it is ``inf`` once ``surv`` reaches 0. ``lower``/``upper`` are NaN where R returns NA
    (``surv == 0`` for "log" and "log-log"); where ``surv == 1`` the "log-log" band is
    ``1, 1`` (R: NA) so plotted bands start at 1.
    """

    group: str | None
    n: int
    events: int
    time: np.ndarray = field(repr=False)
    n_risk: np.ndarray = field(repr=False)
    n_event: np.ndarray = field(repr=False)
    n_censor: np.ndarray = field(repr=False)
    surv: np.ndarray = field(repr=False)
    std_err: np.ndarray = field(repr=False)
    lower: np.ndarray = field(repr=False)
    upper: np.ndarray = field(repr=False)
    conf_type: str = "log-log"
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """One row per distinct time: group, time, n_risk, n_event, n_censor, surv, ..."""
        return _rows_frame(self)


@dataclass(frozen=True)
class KMResult:
    """Kaplan-Meier curves of every group (in level order) and what was used to fit them."""

    curves: tuple[SurvCurve, ...]
    group: str | None
    n: int
    events: int
    dropped: int
    conf_type: str
    conf_level: float

    @property
    def levels(self) -> tuple[str | None, ...]:
        """Group levels in curve order."""
        return tuple(c.group for c in self.curves)

    def curve(self, level: str | None = None) -> SurvCurve:
        """The curve of ``level`` (the only curve when ``level`` is None and there is one)."""
        if level is None and len(self.curves) == 1:
            return self.curves[0]
        for c in self.curves:
            if c.group == str(level):
                return c
        raise InputError(
            f"Group level {level!r} is not among the curves ({', '.join(map(repr, self.levels))})."
            " Pick one of these levels."
        )

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, one row per group and distinct time."""
        import pandas as pd

        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


@dataclass(frozen=True)
class MedianSurvival:
    """Median survival with its confidence interval (None where not reached)."""

    group: str | None
    n: int
    events: int
    median: float | None
    lower: float | None
    upper: float | None
    conf_type: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame."""
        import pandas as pd

        return pd.DataFrame([self.__dict__])


@dataclass(frozen=True)
class MedianTable:
    """Medians of every curve of a ``KMResult``."""

    rows: tuple[MedianSurvival, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per group: group, n, events, median, lower, upper, conf_type, conf_level."""
        import pandas as pd

        return pd.DataFrame([r.__dict__ for r in self.rows])


@dataclass(frozen=True)
class SurvivalAt:
    """Survival at requested times, as R ``summary(fit, times=, extend=TRUE)``.

    ``n_risk`` is the number at risk at each time; ``n_event``/``n_censor`` count events and
    censorings in the interval since the previous requested time (from 0 for the first);
    ``std_err`` is on the survival scale (R summary's ``std.err`` = S x SE of log S).
    Times after the last observation carry the last estimate forward with ``n_risk`` 0.
    """

    group: str | None
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per requested time."""
        return _rows_frame(self)


@dataclass(frozen=True)
class LandmarkTable:
    """Survival with CI at landmark times for every group."""

    rows: tuple[SurvivalAt, ...]
    conf_type: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """Columns group, time, n_risk, surv, lower, upper."""
        import pandas as pd

        cols = ["group", "time", "n_risk", "surv", "lower", "upper"]
        return pd.concat([r.to_frame()[cols] for r in self.rows], ignore_index=True)


@dataclass(frozen=True)
class RiskTable:
    """Numbers at risk, cumulative events and cumulative censored at chosen times (KMunicate).

    Arrays are groups x times. ``n_risk`` counts patients still followed at each time
    (time >= t); ``n_event`` and ``n_censor`` are cumulative up to and including t.
    """

    times: np.ndarray
    groups: tuple[str | None, ...]
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Long format: group, time, n_risk, n_event, n_censor."""
        import pandas as pd

        g, t = len(self.groups), len(self.times)
        return pd.DataFrame(
            {
                "group": np.repeat(np.array(self.groups, dtype=object), t),
                "time": np.tile(self.times, g),
                "n_risk": self.n_risk.ravel(),
                "n_event": self.n_event.ravel(),
                "n_censor": self.n_censor.ravel(),
            }
        )


@dataclass(frozen=True)
class RMST:
    """Restricted mean survival time up to ``tau`` and its standard error (R's)."""

    group: str | None
    tau: float
    estimate: float
    se: float

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame."""
        import pandas as pd

        return pd.DataFrame([self.__dict__])

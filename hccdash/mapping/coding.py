"""Event codes of an event column: which values mean the event, censored or another type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from hccdash.errors import InputError, preview_labels
from hccdash.io import map_unique

EVENT_VALUES: tuple[str, ...] = (
    "1", "yes", "y", "true", "t", "dead", "death", "died", "deceased", "event",
    "progressed", "progression", "relapse", "recurrence", "是", "有", "死亡", "已故", "进展",
    "复发",
)  # fmt: skip
CENSOR_VALUES: tuple[str, ...] = (
    "0", "no", "n", "false", "f", "alive", "censored", "living", "no event", "否", "无",
    "存活", "生存", "未进展", "无进展", "删失",
)  # fmt: skip


def norm_code(value: object) -> str | None:
    """A cell as a comparable code: lower-case text, ``1.0`` -> ``"1"``; None when missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip().lower()
    if text in ("", "nan", "na", "n/a", "<na>"):
        return None
    if re.fullmatch(r"[+-]?\d+\.0+", text):
        return text.split(".")[0]
    return text


@dataclass(frozen=True)
class EventCoding:
    """Which cell values mean "event", "censored" and another (competing) event type
    (compared after :func:`norm_code`: case-insensitive, ``1.0`` equals ``1``).

    ``competing`` codes are other event types (competing risks: R's ``cmprsk`` status codes);
    a cause-specific analysis reads them as censored (``Surv(time, status == 1)``), the
    competing-risks page keeps them apart. ``names`` gives codes display names
    (``(("2", "Death without relapse"),)``).

    >>> c = EventCoding(event=("1",), censored=("0",), competing=("2",),
    ...                 names=(("2", "Death"),))
    >>> [c.code(v) for v in (1, 0, 2.0)], c.kind("2"), c.kind(7)
    ([1.0, 0.0, 0.0], 'competing', None)
    """

    event: tuple[str, ...] = EVENT_VALUES
    censored: tuple[str, ...] = CENSOR_VALUES
    competing: tuple[str, ...] = ()
    names: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        ev = {norm_code(v) for v in self.event}
        ce = {norm_code(v) for v in self.censored}
        cr = {norm_code(v) for v in self.competing}
        for a, b, sa, sb in (("event", "censored", ev, ce), ("event", "competing", ev, cr),
                             ("censored", "competing", ce, cr)):  # fmt: skip
            both = sorted(x for x in sa & sb if x is not None)
            if both:
                raise InputError(
                    f"event coding: {preview_labels(both)} listed both as {a} and as {b}; "
                    "fix: put each value in one list only."
                )
        names = tuple((str(norm_code(k)), str(v).strip()) for k, v in self.names)
        object.__setattr__(self, "names", tuple((k, v) for k, v in names if v))

    @cached_property
    def _sets(self) -> tuple[frozenset[str | None], frozenset[str | None], frozenset[str | None]]:
        return (
            frozenset(norm_code(v) for v in self.event),
            frozenset(norm_code(v) for v in self.censored),
            frozenset(norm_code(v) for v in self.competing),
        )

    def kind(self, value: object) -> str | None:
        """``"event"``, ``"censored"``, ``"competing"``, or None (missing or not coded)."""
        key = norm_code(value)
        if key is None:
            return None
        events, censored, competing = self._sets
        if key in events:
            return "event"
        if key in censored:
            return "censored"
        if key in competing:
            return "competing"
        return None

    def code(self, value: object) -> float:
        """1.0 for an event, 0.0 for censored or a competing event type (cause-specific),
        NaN when missing or not in the coding."""
        kind = self.kind(value)
        return np.nan if kind is None else float(kind == "event")

    def codes(self, values: pd.Series) -> pd.Series:
        """:meth:`code` of a whole column (float, NaN when missing or unknown)."""
        return map_unique(values, self.code).astype(float)

    def unknown(self, values: pd.Series) -> pd.Series:
        """Boolean mask of present values that are in none of the lists."""
        events, censored, competing = self._sets
        keys = map_unique(values, norm_code)
        return keys.notna() & ~keys.isin(events | censored | competing)

    def present(self, values: pd.Series) -> EventCoding:
        """The coding restricted to the codes ``values`` hold (``1``/``0`` when none), in
        the coding's order: what the cohort's codebook lists."""
        have = set(map_unique(values, norm_code).dropna())

        def keep(codes: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(str(norm_code(v)) for v in codes if norm_code(v) in have))

        event, censored = keep(self.event) or ("1",), keep(self.censored) or ("0",)
        competing = keep(self.competing)
        listed = {*event, *censored, *competing}
        return EventCoding(
            event=event,
            censored=censored,
            competing=competing,
            names=tuple((k, v) for k, v in self.names if k in listed),
        )

    def status(self, values: pd.Series) -> pd.Series:
        """The event-type column of a competing-risks endpoint (codebook
        :attr:`~hccdash.codebook.EndpointSpec.status_column`): censored codes as the first
        censored code present, event codes as the first event code present, competing codes
        as written (normalised); missing or unknown cells missing."""
        book = self.present(values)
        cen, ev = book.censored[0], book.event[0]

        def one(v: object) -> object:
            kind = self.kind(v)
            if kind is None:
                return pd.NA
            return cen if kind == "censored" else ev if kind == "event" else norm_code(v)

        return map_unique(values, one).astype(object)


def coding_to_dict(coding: EventCoding) -> dict[str, object]:
    """The JSON form of a coding (``names`` as an object of code: name)."""
    return {
        "event": list(coding.event),
        "censored": list(coding.censored),
        "competing": list(coding.competing),
        "names": dict(coding.names),
    }


def coding_from_dict(doc: dict, where: str) -> EventCoding:
    """Read :func:`coding_to_dict`'s form (``competing`` and ``names`` optional: older files).

    >>> coding_from_dict({"event": [1], "censored": ["0"]}, "x").event
    ('1',)
    """
    names = doc.get("names", {})
    if not isinstance(names, dict):
        raise TypeError(f"{where}.names must be an object of code: name")
    return EventCoding(
        event=tuple(str(x) for x in doc["event"]),
        censored=tuple(str(x) for x in doc["censored"]),
        competing=tuple(str(x) for x in doc.get("competing", [])),
        names=tuple((str(c), str(n)) for c, n in names.items()),
    )

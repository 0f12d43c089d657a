"""Endpoints of a mapping beyond the OS and PFS slots (any number: RFS, DFS, local control...).

An :class:`EndpointMapping` names the endpoint (``key`` for URLs and column names, ``label``
for pages and figures), its time column (or the date of its event, counted from the mapping's
start date, censored at the last follow-up date), its event column with its coding, its time
unit and its delayed entry. :class:`EndpointSlot` is what every endpoint of a mapping (the OS
and PFS slots too) looks like to the code that applies, checks and describes it.

>>> e = EndpointMapping("rfs", "Recurrence-free survival", time="rfs_days", event="rfs_status",
...                     unit="days")
>>> e.columns()
('rfs_months', 'rfs_event', 'rfs_entry_months')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hccdash.codebook import TO_MONTHS
from hccdash.errors import InputError, preview_labels
from hccdash.mapping.coding import EventCoding, coding_from_dict, coding_to_dict

RESERVED_KEYS = ("os", "pfs")  # the two slots' own keys (columns os_months, pfs_months)
KEY_RULE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def slug_key(text: str) -> str:
    """A short name as an endpoint key: lower case letters, digits and ``_``.

    >>> slug_key(" Local control! "), slug_key("DFS-2")
    ('localcontrol', 'dfs2')
    """
    return "".join(
        ch for ch in str(text).strip().lower() if ch.isascii() and (ch.isalnum() or ch == "_")
    )


@dataclass(frozen=True)
class EndpointMapping:
    """A further endpoint of a :class:`~hccdash.mapping.ColumnMapping`.

    Attributes
    ----------
    key : str
        Short name: lower-case letters, digits, ``_`` (``"rfs"``); its cohort columns are
        ``<key>_months``, ``<key>_event`` and ``<key>_entry_months``.
    label : str
        Display name ("Recurrence-free survival").
    time, event : str or None
        The user's time and event columns. Without a time column the time runs from the
        mapping's start date to ``end_date`` (event) or the last follow-up date (censored).
    coding : EventCoding
        Codes of the event column.
    unit : str or None
        Unit of the time (and entry) column; None = the mapping's ``time_unit``.
    entry : str or None
        Delayed-entry (start) time column, same unit and origin as the time.
    end_date : str or None
        Date of the event, for an endpoint computed from dates.
    """

    key: str
    label: str
    time: str | None = None
    event: str | None = None
    coding: EventCoding = field(default_factory=EventCoding)
    unit: str | None = None
    entry: str | None = None
    end_date: str | None = None

    def __post_init__(self) -> None:
        where = f"endpoint {self.key!r}"
        if not KEY_RULE.fullmatch(self.key):
            raise InputError(
                f"{where}: the short name must be lower-case letters, digits or _ starting with "
                "a letter (e.g. rfs, dfs, local_control); fix: rename it."
            )
        if self.key in RESERVED_KEYS:
            raise InputError(
                f"{where}: {self.key!r} is the short name of the {self.key.upper()} columns "
                "above; fix: map it there, or give this endpoint another short name."
            )
        if self.unit is not None and self.unit not in TO_MONTHS:
            raise InputError(
                f"{where}: time unit {self.unit!r} is not one of "
                f"{preview_labels(list(TO_MONTHS))}; fix: choose days, weeks, months or years."
            )
        if not str(self.label).strip():
            object.__setattr__(self, "label", self.key.upper())

    def columns(self) -> tuple[str, str, str]:
        """The cohort frame's time (months), event and entry (months) columns."""
        return f"{self.key}_months", f"{self.key}_event", f"{self.key}_entry_months"

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key, "label": self.label, "time": self.time, "event": self.event,
            "coding": coding_to_dict(self.coding), "unit": self.unit, "entry": self.entry,
            "end_date": self.end_date,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, doc: dict) -> EndpointMapping:
        texts = {}
        for k in ("time", "event", "unit", "entry", "end_date"):
            v = doc.get(k)
            if v is not None and not isinstance(v, str):
                raise TypeError(f"endpoints[].{k} must be text or null, got {v!r}")
            texts[k] = v
        coding = doc.get("coding")
        return cls(
            key=str(doc["key"]),
            label=str(doc.get("label", "")),
            coding=coding_from_dict(coding, "endpoints[].coding") if coding else EventCoding(),
            **texts,
        )


@dataclass(frozen=True)
class EndpointSlot:
    """One endpoint of a mapping as the code that applies and checks it sees it.

    ``which`` is ``"os"``, ``"pfs"`` or the further endpoint's key; ``name`` is used in the
    report's messages ("OS", "PFS", the endpoint's label); ``time``, ``event``, ``entry`` are
    cohort-frame columns; ``src_time``/``src_event`` the user's columns (None: from dates);
    ``entry_source`` the entry column, ``"(dates)"`` or None.
    """

    which: str
    name: str
    time: str
    event: str
    entry: str
    src_time: str | None
    src_event: str | None
    coding: EventCoding
    unit: str
    entry_source: str | None

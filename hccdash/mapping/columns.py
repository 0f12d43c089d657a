"""The column mapping: which user column plays which part, and its JSON file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from hccdash import schema
from hccdash.codebook import TO_MONTHS
from hccdash.errors import InputError, preview_labels
from hccdash.mapping.coding import EventCoding, coding_from_dict, coding_to_dict
from hccdash.mapping.endpoints import EndpointMapping, EndpointSlot

DERIVATION_RULE = (
    "Durations from dates: months = days / 30.4375 (365.25 / 12). "
    "OS runs from the start date to the death date (event) or, without one, to the last "
    "follow-up date (censored). PFS runs from the start date to the earlier of progression "
    "and death (event) or, without either, to the last follow-up date (censored). "
    "An event column, if mapped, overrides the event status derived from the dates."
)
ENTRY_FROM_DATES = "(dates)"
ENTRY_RULE = (
    "Delayed entry: a patient counts as at risk only after entry (counting-process rows "
    "(entry, time], R Surv(entry, time, event)). The entry time is the entry column (same "
    "unit and origin as the time), or months from the start date to the entry date "
    "(days / 30.4375); it must be below the endpoint's time."
)


@dataclass(frozen=True)
class ColumnMapping:
    """How a user's columns become the canonical cohort (all column names are the user's).

    Attributes
    ----------
    patient_id : str or None
        Identifier column; without one, rows are named ``"row N"`` (N = spreadsheet row).
    os_time, os_event, pfs_time, pfs_event : str or None
        Duration and event columns; a time left ``None`` is computed from the dates.
    time_unit : str
        Unit of the duration columns: ``"days"``, ``"weeks"``, ``"months"`` or ``"years"``.
    os_coding, pfs_coding : EventCoding
        Event codes of the event columns (with competing event types, if any).
    os_entry, pfs_entry : str or None
        Entry (start) time columns, same unit and origin as the time: rows are counting-process
        intervals ``(entry, time]`` (delayed entry, R ``Surv(entry, time, event)``).
    start_date, progression_date, death_date, last_followup_date : str or None
        Date columns used when a time column is not given (rule: :data:`DERIVATION_RULE`).
    entry_date : str or None
        Date of entry (e.g. registry enrolment): the entry time of every endpoint without an
        entry column is ``entry_date - start_date`` in months (:data:`ENTRY_RULE`).
    date_format : str or None
        ``strftime`` format of the date cells; None = detect (one format per column).
    child_pugh, kps, pvtt, ascites, treatment : str or None
        Columns playing the sidebar filter roles (renamed to the canonical names).
    extra_factors : tuple of str
        Further columns kept under their own names (factors, covariates).
    cuts : tuple of (str, float)
        Numeric cut points: each adds a two-level column ``"<col> ≤cut / >cut"``.
    endpoints : tuple of EndpointMapping
        Further endpoints, any number (RFS, DFS, local control...), each with its own time
        or end date, event coding, unit and entry.
    """

    patient_id: str | None = None
    os_time: str | None = None
    os_event: str | None = None
    pfs_time: str | None = None
    pfs_event: str | None = None
    time_unit: str = "months"
    os_coding: EventCoding = field(default_factory=EventCoding)
    pfs_coding: EventCoding = field(default_factory=EventCoding)
    start_date: str | None = None
    progression_date: str | None = None
    death_date: str | None = None
    last_followup_date: str | None = None
    os_entry: str | None = None
    pfs_entry: str | None = None
    entry_date: str | None = None
    date_format: str | None = None
    child_pugh: str | None = None
    kps: str | None = None
    pvtt: str | None = None
    ascites: str | None = None
    treatment: str | None = None
    extra_factors: tuple[str, ...] = ()
    cuts: tuple[tuple[str, float], ...] = ()
    endpoints: tuple[EndpointMapping, ...] = ()

    def __post_init__(self) -> None:
        if self.time_unit not in TO_MONTHS:
            raise InputError(
                f"time unit {self.time_unit!r} is not one of {preview_labels(list(TO_MONTHS))}; "
                "fix: choose days, weeks, months or years."
            )
        keys = [e.key for e in self.endpoints]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise InputError(
                f"endpoints: short names {preview_labels(twice)} used twice; fix: give each "
                "endpoint its own short name."
            )

    # -- which endpoints are defined, and how --------------------------------------------
    def os_from_dates(self) -> bool:
        """True when OS is computed from dates (no OS time column)."""
        return (
            self.os_time is None
            and self.start_date is not None
            and (self.death_date is not None or self.last_followup_date is not None)
        )

    def pfs_from_dates(self) -> bool:
        """True when PFS is computed from dates (no PFS time column)."""
        return (
            self.pfs_time is None
            and self.start_date is not None
            and (self.progression_date is not None or self.death_date is not None)
            and self.last_followup_date is not None
        )

    def has_os(self) -> bool:
        return (self.os_time is not None and self.os_event is not None) or self.os_from_dates()

    def has_endpoint(self, e: EndpointMapping) -> bool:
        """True when a further endpoint has its time and event, or its dates."""
        if e.time is not None:
            return e.event is not None
        return self.start_date is not None and (
            e.end_date is not None and self.last_followup_date is not None
        )

    def slots(self) -> tuple[EndpointSlot, ...]:
        """Every defined endpoint: OS, PFS, then the further endpoints in their order."""
        out = []
        for which, name, tcol, ecol, entry in (
            ("os", "OS", schema.OS_TIME, schema.OS_EVENT, schema.OS_ENTRY),
            ("pfs", "PFS", schema.PFS_TIME, schema.PFS_EVENT, schema.PFS_ENTRY),
        ):
            if getattr(self, f"has_{which}")():
                out.append(
                    EndpointSlot(
                        which, name, tcol, ecol, entry, getattr(self, f"{which}_time"),
                        getattr(self, f"{which}_event"), getattr(self, f"{which}_coding"),
                        self.time_unit, self.entry_of(which),
                    )
                )  # fmt: skip
        for e in self.endpoints:
            if self.has_endpoint(e):
                tcol, ecol, entry = e.columns()
                out.append(
                    EndpointSlot(
                        e.key, e.label, tcol, ecol, entry, e.time, e.event, e.coding,
                        e.unit or self.time_unit, self.entry_of(e.key),
                    )
                )  # fmt: skip
        return tuple(out)

    def has_pfs(self) -> bool:
        return (self.pfs_time is not None and self.pfs_event is not None) or self.pfs_from_dates()

    def roles(self) -> dict[str, str]:
        """Canonical role name -> user column, for the roles that are mapped."""
        return {r: getattr(self, r) for r in schema.ROLE_COLUMNS if getattr(self, r) is not None}

    def date_columns(self) -> dict[str, str]:
        """Date role -> user column, for the dates that are mapped (a further endpoint's
        event date under ``"<key>_date"``)."""
        names = ("start_date", "progression_date", "death_date", "last_followup_date",
                 "entry_date")  # fmt: skip
        out = {n: getattr(self, n) for n in names if getattr(self, n) is not None}
        # a further endpoint's event date: role "<key>_date"
        return out | {f"{e.key}_date": e.end_date for e in self.endpoints if e.end_date}

    def entry_of(self, which: str) -> str | None:
        """How endpoint ``which`` (``"os"``, ``"pfs"`` or a further key) gets its entry time:
        its entry column, ``"(dates)"`` (entry date - start date), or None (everyone at risk
        from time 0)."""
        if which in ("os", "pfs"):
            col = getattr(self, f"{which}_entry")
        else:
            col = next((e.entry for e in self.endpoints if e.key == which), None)
        if col is not None:
            return col
        if self.entry_date is not None and self.start_date is not None:
            return ENTRY_FROM_DATES
        return None

    def source_columns(self) -> tuple[str, ...]:
        """Every user column the mapping reads, in a stable order without repeats."""
        cols = [
            self.patient_id, self.os_time, self.os_event, self.pfs_time, self.pfs_event,
            self.os_entry, self.pfs_entry, *self.date_columns().values(),
            *self.roles().values(), *self.extra_factors, *(c for c, _ in self.cuts),
            *(c for e in self.endpoints for c in (e.time, e.event, e.entry, e.end_date)),
        ]  # fmt: skip
        return tuple(dict.fromkeys(c for c in cols if c is not None))

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self) -> str:
        """The mapping as a JSON document (save it next to the spreadsheet)."""
        doc = asdict(self)
        doc["cuts"] = [[c, v] for c, v in self.cuts]
        for k in ("os_coding", "pfs_coding"):
            doc[k] = coding_to_dict(getattr(self, k))
        doc["endpoints"] = [e.to_dict() for e in self.endpoints]
        return json.dumps({"hccdash_mapping": 1, **doc}, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> ColumnMapping:
        """Read a mapping written by :meth:`to_json`.

        Raises
        ------
        InputError
            Not JSON, not a mapping, unknown keys or wrong types.
        """
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"mapping file is not valid JSON ({exc}); fix: load a mapping saved by hccdash."
            ) from exc
        if not isinstance(doc, dict) or doc.pop("hccdash_mapping", None) != 1:
            raise InputError(
                "mapping file is not an hccdash mapping (no 'hccdash_mapping': 1); fix: load "
                "a mapping saved by hccdash."
            )
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(doc) - names)
        if unknown:
            raise InputError(
                f"mapping file has unknown keys {preview_labels(unknown)}; fix: load a mapping "
                "saved by this version of hccdash."
            )
        kwargs: dict[str, object] = {}
        try:
            for k, v in doc.items():
                if k in ("os_coding", "pfs_coding"):
                    kwargs[k] = coding_from_dict(v, k)
                elif k == "endpoints":
                    kwargs[k] = tuple(EndpointMapping.from_dict(x) for x in v)
                elif k == "extra_factors":
                    kwargs[k] = tuple(str(x) for x in v)
                elif k == "cuts":
                    kwargs[k] = tuple((str(c), float(x)) for c, x in v)
                elif v is None or isinstance(v, str):
                    kwargs[k] = v
                else:
                    raise TypeError(f"{k!r} must be text or null, got {v!r}")
        except (TypeError, KeyError, ValueError) as exc:
            raise InputError(
                f"mapping file has a malformed entry ({exc}); fix: load a mapping saved by hccdash."
            ) from exc
        return cls(**kwargs)  # type: ignore[arg-type]

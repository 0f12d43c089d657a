"""Map a user's columns onto the canonical cohort schema (:mod:`hccdash.schema`).

A :class:`ColumnMapping` says which column is the OS/PFS time and event (or which dates they
are computed from), how event codes read, which columns play the sidebar roles (liver-function
class, performance status, thrombus, ascites, treatment arm), which are extra factors and where
numeric columns are cut. :func:`mapping_codebook` writes the cohort's codebook from it (labels
are the user's own column names; levels and references follow R unless a loaded codebook says
otherwise), and :func:`unit_check` compares the time unit with the column names and the range.
:func:`guess_mapping` proposes one from the column names (English and common Chinese
headers), :func:`apply_mapping` builds the canonical frame, and the mapping round-trips through
JSON so a user can save it next to the spreadsheet.

``apply_mapping`` never raises on bad cell values: it turns them into missing values, and
:mod:`hccdash.datacheck` lists them (column, rows, value, fix) before anything is analysed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from functools import cached_property

import numpy as np
import pandas as pd

from hccdash import schema
from hccdash.codebook import (
    Codebook,
    EndpointSpec,
    Variable,
    infer_variable,
    status_column_name,
)
from hccdash.cohort.roles import ROLE_ALIASES
from hccdash.errors import InputError, preview_labels
from hccdash.io import map_unique
from hccdash.vocab import NO_VALUES, YES_VALUES  # the one yes/no vocabulary

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
# Multiply a time in this unit by the factor to get months.
TIME_UNITS: dict[str, float] = {
    "days": 1 / DAYS_PER_MONTH,
    "weeks": 7 / DAYS_PER_MONTH,
    "months": 1.0,
    "years": 12.0,
}
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
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%Y-%m-%d", "YYYY-MM-DD"),
    ("%Y/%m/%d", "YYYY/MM/DD"),
    ("%Y.%m.%d", "YYYY.MM.DD"),
    ("%Y%m%d", "YYYYMMDD"),
    ("%d/%m/%Y", "DD/MM/YYYY"),
    ("%m/%d/%Y", "MM/DD/YYYY"),
    ("%d.%m.%Y", "DD.MM.YYYY"),
    ("%d-%m-%Y", "DD-MM-YYYY"),
    ("%Y-%m-%dT%H:%M:%S", "YYYY-MM-DDThh:mm:ss"),
    ("%Y-%m-%d %H:%M:%S", "YYYY-MM-DD hh:mm:ss"),
    ("%Y年%m月%d日", "YYYY年MM月DD日"),
)

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

    def __post_init__(self) -> None:
        if self.time_unit not in TIME_UNITS:
            raise InputError(
                f"time unit {self.time_unit!r} is not one of {preview_labels(list(TIME_UNITS))}; "
                "fix: choose days, weeks, months or years."
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

    def has_pfs(self) -> bool:
        return (self.pfs_time is not None and self.pfs_event is not None) or self.pfs_from_dates()

    def roles(self) -> dict[str, str]:
        """Canonical role name -> user column, for the roles that are mapped."""
        return {r: getattr(self, r) for r in schema.ROLE_COLUMNS if getattr(self, r) is not None}

    def date_columns(self) -> dict[str, str]:
        """Date role -> user column, for the dates that are mapped."""
        names = ("start_date", "progression_date", "death_date", "last_followup_date",
                 "entry_date")  # fmt: skip
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def entry_of(self, which: str) -> str | None:
        """How endpoint ``which`` (``"os"``/``"pfs"``) gets its entry time: its entry column,
        ``"(dates)"`` (entry date - start date), or None (everyone at risk from time 0)."""
        col = getattr(self, f"{which}_entry")
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
        ]  # fmt: skip
        return tuple(dict.fromkeys(c for c in cols if c is not None))

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self) -> str:
        """The mapping as a JSON document (save it next to the spreadsheet)."""
        doc = asdict(self)
        doc["cuts"] = [[c, v] for c, v in self.cuts]
        for k in ("os_coding", "pfs_coding"):
            doc[k]["names"] = dict(getattr(self, k).names)
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
                    names = v.get("names", {})  # competing and names: optional (older files)
                    if not isinstance(names, dict):
                        raise TypeError(f"{k}.names must be an object of code: name")
                    kwargs[k] = EventCoding(
                        event=tuple(str(x) for x in v["event"]),
                        censored=tuple(str(x) for x in v["censored"]),
                        competing=tuple(str(x) for x in v.get("competing", [])),
                        names=tuple((str(c), str(n)) for c, n in names.items()),
                    )
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


# -- guessing ------------------------------------------------------------------------------
_ALIASES: dict[str, tuple[str, ...]] = {
    "patient_id": (
        "patientid", "id", "patient", "pid", "subject", "subjectid", "caseid", "case",
        "patientno", "no", "编号", "病例号", "患者编号", "住院号", "病案号", "序号", "id号",
    ),
    "os_time": (
        "osmonths", "os", "ostime", "overallsurvival", "overallsurvivaltime", "survivaltime",
        "survtime", "survival", "time", "futime", "osmo", "生存时间", "总生存期", "总生存时间",
        "os时间", "生存期",
    ),
    "os_event": (
        "osevent", "osstatus", "status", "death", "dead", "vitalstatus", "event",
        "died", "fustat", "cens", "死亡", "生存状态", "结局", "状态", "是否死亡", "os状态",
        "os事件",
    ),
    "pfs_time": (
        "pfsmonths", "pfs", "pfstime", "progressionfreesurvival", "pfsmo", "无进展生存期",
        "无进展生存时间", "pfs时间",
    ),
    "pfs_event": (
        "pfsevent", "pfsstatus", "progression", "progressed", "pd", "进展", "疾病进展",
        "是否进展", "pfs状态", "pfs事件",
    ),
    "start_date": (
        "startdate", "diagnosisdate", "dateofdiagnosis", "treatmentstart", "treatmentstartdate",
        "datestart", "dateoftreatment", "rtstart", "诊断日期", "确诊日期", "治疗开始日期",
        "开始日期", "治疗日期", "入组日期",
    ),
    "progression_date": (
        "progressiondate", "dateofprogression", "pddate", "进展日期", "疾病进展日期",
    ),
    "death_date": ("deathdate", "dateofdeath", "dod", "死亡日期", "死亡时间"),
    "last_followup_date": (
        "lastfollowup", "lastfollowupdate", "lastfu", "lastfudate", "lastcontact",
        "lastcontactdate", "dateoflastfollowup", "datelastfollowup", "末次随访", "末次随访日期",
        "最后随访日期", "随访日期",
    ),
    # The sidebar roles' header aliases: hccdash.cohort.roles (the bundled disease's words).
    **ROLE_ALIASES,
}  # fmt: skip
_UNIT_WORDS = (
    ("days", ("days", "day", "d", "天", "日")),
    ("weeks", ("weeks", "week", "wk", "wks", "w", "周")),
    ("years", ("years", "year", "yr", "yrs", "y", "年")),
    ("months", ("months", "month", "mo", "mos", "mon", "m", "月")),
)


def _key(name: str) -> str:
    """Column name without case, units in brackets, spaces or punctuation."""
    text = str(name).lower()
    text = re.sub(r"[\(\[（【].*?[\)\]）】]", "", text)
    return re.sub(r"[\s_\-\.\:/,;'\"]+", "", text)


def _unit_of(name: str) -> str | None:
    """The time unit a column name states (``"Survival_days"``, ``"os (mo)"``, ``"生存时间(月)"``).

    >>> _unit_of("Survival_days"), _unit_of("OS (mo)"), _unit_of("生存时间(月)"), _unit_of("time")
    ('days', 'months', 'months', None)
    """
    text = str(name).lower()
    for unit, words in _UNIT_WORDS:
        for w in words:
            if w.isascii():
                if re.search(rf"(^|[^a-z]){re.escape(w)}($|[^a-z])", text):
                    return unit
            elif w in text:
                return unit
    return None


def guess_mapping(data: pd.DataFrame) -> ColumnMapping:
    """Propose a mapping from the column names (exact aliases first, then prefixes).

    Columns that are not recognised become extra factors when they look categorical (2-12
    distinct values) or numeric. The guess is a proposal: the data page shows it for editing.
    """
    cols = [str(c) for c in data.columns]
    keys = {c: _key(c) for c in cols}
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for role, aliases in _ALIASES.items():
        for alias in aliases:
            hit = next((c for c in cols if c not in used and keys[c] == alias), None)
            if hit is not None:
                chosen[role] = hit
                used.add(hit)
                break
    # Second pass: names that start with an alias ("os_months_from_rt", "死亡日期(随访)").
    for role, aliases in _ALIASES.items():
        if role in chosen or role == "patient_id":
            continue
        # OS columns by prefix only for long aliases ("survival_in_days", "survtime_mo"),
        # so that "time_to_x" or "status_ecog" are not taken for the endpoint.
        shortest = 6 if role in ("os_time", "os_event") else 3
        for alias in aliases:
            if len(alias) < shortest:
                continue
            hit = next((c for c in cols if c not in used and keys[c].startswith(alias)), None)
            if hit is not None:
                chosen[role] = hit
                used.add(hit)
                break
    # A date column is not a duration: drop time guesses whose cells look like dates.
    for role in ("os_time", "pfs_time"):
        col = chosen.get(role)
        if col is not None and _looks_like_dates(data[col]):
            used.discard(chosen.pop(role))
    # An "event" column holding dates ("death": 2021-03-04) is the event's date.
    for role, date_role in (("os_event", "death_date"), ("pfs_event", "progression_date")):
        col = chosen.get(role)
        if col is not None and _looks_like_dates(data[col]):
            del chosen[role]
            if date_role not in chosen:
                chosen[date_role] = col
            else:
                used.discard(col)
    time_cols = [chosen[r] for r in ("os_time", "pfs_time") if r in chosen]
    unit = next((u for u in (_unit_of(c) for c in time_cols) if u), "months")
    extras = []
    for c in cols:
        if c in used:
            continue
        s = data[c]
        if _looks_like_dates(s):
            continue
        nunique = s.nunique(dropna=True)
        if (pd.api.types.is_numeric_dtype(s) and nunique > 1) or 1 < nunique <= 12:
            extras.append(c)
    return ColumnMapping(
        patient_id=chosen.get("patient_id"),
        os_time=chosen.get("os_time"),
        os_event=chosen.get("os_event"),
        pfs_time=chosen.get("pfs_time"),
        pfs_event=chosen.get("pfs_event"),
        time_unit=unit,
        start_date=chosen.get("start_date"),
        progression_date=chosen.get("progression_date"),
        death_date=chosen.get("death_date"),
        last_followup_date=chosen.get("last_followup_date"),
        child_pugh=chosen.get("child_pugh"),
        kps=chosen.get("kps"),
        pvtt=chosen.get("pvtt"),
        ascites=chosen.get("ascites"),
        treatment=chosen.get("treatment"),
        extra_factors=tuple(extras),
    )


def _looks_like_dates(s: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(s):
        return False
    present = s[map_unique(s, norm_code).notna()]
    if present.empty:
        return False
    sample = present.astype(str).head(50)
    hits = sample.str.match(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
    return bool(hits.mean() >= 0.8)


# -- dates ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParsedDates:
    """A date column parsed with one format.

    Attributes
    ----------
    values : pandas.Series
        ``datetime64`` values (NaT where missing or unparsable).
    format : str or None
        The format used (strftime), None when no cell parsed.
    label : str or None
        The format for people (``"DD/MM/YYYY"``).
    bad : tuple of int
        Row positions with a value that does not parse with ``format``.
    ambiguous : bool
        True when day/month and month/day both read every value (the day-first reading is
        used).
    """

    values: pd.Series = field(repr=False)
    format: str | None
    label: str | None
    bad: tuple[int, ...]
    ambiguous: bool


def _strptime_ok(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def parse_dates(values: pd.Series, date_format: str | None = None) -> ParsedDates:
    """Parse a date column with one format: the given one or the one that reads most cells.

    Several formats in one column (``2020-01-03`` next to ``03/01/2020``) are not mixed
    silently: the cells that do not fit the column's main format are reported as bad.
    """
    text = map_unique(values, lambda v: None if norm_code(v) is None else str(v).strip())
    present = text.dropna()
    candidates = [(date_format, date_format)] if date_format else list(DATE_FORMATS)
    best = None
    for fmt, label in candidates:
        ok = present.map({u: _strptime_ok(u, fmt) for u in pd.unique(present)})
        score = int(ok.sum())
        if best is None or score > best[0]:
            best = (score, fmt, label, ok)
    if best is None or best[0] == 0:
        bad = tuple(int(values.index.get_loc(i)) for i in present.index)
        empty = pd.Series(np.datetime64("NaT", "s"), index=values.index, dtype="datetime64[s]")
        return ParsedDates(empty, None, None, bad, False)
    _, fmt, label, ok = best
    ambiguous = False
    if fmt == "%d/%m/%Y":
        ambiguous = all(_strptime_ok(u, "%m/%d/%Y") for u in pd.unique(present))
    # strptime per cell into second resolution: years like 2999 (typos to report) stay
    # representable, unlike pandas' nanosecond default.
    stamps = [
        datetime.strptime(t, fmt) if t is not None and ok.get(i, False) else None
        for i, t in text.items()
    ]
    parsed = pd.Series(
        [np.datetime64(x, "s") if x is not None else np.datetime64("NaT", "s") for x in stamps],
        index=values.index,
        dtype="datetime64[s]",
    )
    bad = tuple(int(values.index.get_loc(i)) for i in ok[~ok].index)
    return ParsedDates(parsed, fmt, label, bad, ambiguous)


# -- role normalisation -------------------------------------------------------------------
def normalise_yes_no(values: pd.Series) -> pd.Series:
    """ "Yes"/"No" from yes/no, y/n, 1/0, true/false, present/absent, 是/否, 有/无; else NA."""

    def one(v: object) -> object:
        key = norm_code(v)
        if key is None:
            return pd.NA
        if key in YES_VALUES:
            return "Yes"
        if key in NO_VALUES:
            return "No"
        return pd.NA

    return map_unique(values, one)


def normalise_child_pugh(values: pd.Series) -> pd.Series:
    """ "A"/"B"/"C" from class letters ("B", "b", "A5", "class B" with the score's name as a
    prefix) or scores (5-6 A, 7-9 B, 10-15 C); else NA."""

    def one(v: object) -> object:
        key = norm_code(v)
        if key is None:
            return pd.NA
        m = re.fullmatch(r"(?:child[\s\-]*pugh|cp|child)?[\s\-:]*([abc])\s*\d{0,2}(级)?", key)
        if m:
            return m.group(1).upper()
        try:
            score = float(key)
        except ValueError:
            return pd.NA
        if 5 <= score <= 6:
            return "A"
        if 7 <= score <= 9:
            return "B"
        if 10 <= score <= 15:
            return "C"
        return pd.NA

    return map_unique(values, one)


def to_number(values: pd.Series) -> pd.Series:
    """Numbers from numeric cells or text like ``"80"``, ``"80%"``, ``"12,5"``; else NaN."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)

    def one(v: object) -> float:
        if isinstance(v, bool | np.bool_) or norm_code(v) is None:
            return np.nan
        if isinstance(v, int | float | np.integer | np.floating):
            return float(v)
        text = str(v).strip().rstrip("%").strip()
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            text = text.replace(",", ".")
        try:
            return float(text)
        except ValueError:
            return np.nan

    return map_unique(values, one).astype(float)


def to_months(values: pd.Series, unit: str) -> pd.Series:
    """Durations in ``unit`` as months (days / 30.4375, weeks x 7 / 30.4375, years x 12)."""
    if unit == "days":
        return values / DAYS_PER_MONTH
    if unit == "weeks":
        return values * 7 / DAYS_PER_MONTH
    if unit == "years":
        return values * 12.0
    return values * 1.0


def cut_column_name(column: str, cut: float) -> str:
    """Name of the two-level column a cut point adds."""
    return f"{column} ≤{cut:g} / >{cut:g}"


# -- applying ------------------------------------------------------------------------------
def check_columns(data: pd.DataFrame, mapping: ColumnMapping) -> None:
    """Raise InputError when the mapping names columns the data lack or collide.

    Raises
    ------
    InputError
        Missing columns (listing the available ones), an endpoint with a time but no event
        (or the reverse), or an extra factor whose name is a canonical column in use.
    """
    missing = [c for c in mapping.source_columns() if c not in data.columns]
    if missing:
        raise InputError(
            f"mapping names {len(missing)} columns the file does not have: "
            f"{preview_labels(missing)}; the file has {preview_labels(list(data.columns), 8)}; "
            "fix: choose columns from the file (or load the mapping saved for this file)."
        )
    for label, t, e in (
        ("OS", mapping.os_time, mapping.os_event),
        ("PFS", mapping.pfs_time, mapping.pfs_event),
    ):
        if t is not None and e is None:
            raise InputError(
                f"{label} time column {t!r} has no event column; fix: choose the {label} event "
                "column (1 = event, 0 = censored)."
            )
    if not (mapping.has_os() or mapping.has_pfs()):
        raise InputError(
            "mapping defines no endpoint; fix: choose an OS or PFS time and event column, or "
            "the start date with the death/last follow-up dates to compute them."
        )
    if mapping.entry_date is not None and mapping.start_date is None:
        raise InputError(
            f"entry date column {mapping.entry_date!r} needs the start date the times count "
            "from; fix: choose the start date column too (entry time = entry date - start "
            "date), or an entry time column instead."
        )
    canonical = _canonical_names(mapping)
    clash = [c for c in mapping.extra_factors if c in canonical]
    if clash:
        raise InputError(
            f"extra factors {preview_labels(clash)} have the names of canonical columns "
            "already in use; fix: map them to their role instead, or rename them in the file."
        )


def _canonical_names(mapping: ColumnMapping) -> set[str]:
    names = {schema.PATIENT_ID}
    if mapping.has_os():
        names |= {schema.OS_TIME, schema.OS_EVENT, schema.OS_ENTRY,
                  status_column_name(schema.OS_EVENT)}  # fmt: skip
    if mapping.has_pfs():
        names |= {schema.PFS_TIME, schema.PFS_EVENT, schema.PFS_ENTRY,
                  status_column_name(schema.PFS_EVENT)}  # fmt: skip
    return names | set(mapping.roles())


def row_labels(data: pd.DataFrame, mapping: ColumnMapping) -> pd.Series:
    """Patient id per row as text; ``"row N"`` (spreadsheet row, header = row 1) when the id
    column is not mapped or the cell is empty."""
    fallback = pd.Series([f"row {i + 2}" for i in range(len(data))], index=data.index)
    if mapping.patient_id is None:
        return fallback
    ids = map_unique(
        data[mapping.patient_id],
        lambda v: (
            None
            if norm_code(v) is None
            else (str(norm_code(v)) if isinstance(v, float | np.floating) else str(v).strip())
        ),
    )
    return ids.where(ids.notna(), fallback).astype(object)


@dataclass(frozen=True)
class Derived:
    """Canonical endpoint columns and the parsed dates they came from."""

    frame: pd.DataFrame = field(repr=False)
    dates: dict[str, ParsedDates] = field(repr=False)


def derive_endpoints(data: pd.DataFrame, mapping: ColumnMapping) -> Derived:
    """OS/PFS months and events per row (NaN where missing or unreadable)."""
    out = pd.DataFrame(index=data.index)
    dates = {
        role: parse_dates(data[col], mapping.date_format)
        for role, col in mapping.date_columns().items()
    }

    def date(role: str) -> pd.Series:
        if role in dates:
            return dates[role].values
        return pd.Series(np.datetime64("NaT", "s"), index=data.index, dtype="datetime64[s]")

    def months(end: pd.Series) -> pd.Series:
        return (end - date("start_date")).dt.days.astype(float) / DAYS_PER_MONTH

    if mapping.os_time is not None and mapping.os_event is not None:
        out[schema.OS_TIME] = to_months(to_number(data[mapping.os_time]), mapping.time_unit)
        out[schema.OS_EVENT] = mapping.os_coding.codes(data[mapping.os_event])
    elif mapping.os_from_dates():
        death, last = date("death_date"), date("last_followup_date")
        out[schema.OS_TIME] = months(death.fillna(last))
        if mapping.os_event is not None:
            out[schema.OS_EVENT] = mapping.os_coding.codes(data[mapping.os_event])
        else:
            ev = death.notna().astype(float)
            out[schema.OS_EVENT] = ev.where(death.notna() | last.notna(), np.nan)
    if mapping.pfs_time is not None and mapping.pfs_event is not None:
        out[schema.PFS_TIME] = to_months(to_number(data[mapping.pfs_time]), mapping.time_unit)
        out[schema.PFS_EVENT] = mapping.pfs_coding.codes(data[mapping.pfs_event])
    elif mapping.pfs_from_dates():
        prog, death, last = date("progression_date"), date("death_date"), date("last_followup_date")
        first = pd.concat([prog, death], axis=1).min(axis=1)
        out[schema.PFS_TIME] = months(first.fillna(last))
        if mapping.pfs_event is not None:
            out[schema.PFS_EVENT] = mapping.pfs_coding.codes(data[mapping.pfs_event])
        else:
            ev = first.notna().astype(float)
            out[schema.PFS_EVENT] = ev.where(first.notna() | last.notna(), np.nan)
    for which, ecol, entry_col in (("os", schema.OS_EVENT, schema.OS_ENTRY),
                                   ("pfs", schema.PFS_EVENT, schema.PFS_ENTRY)):  # fmt: skip
        how = mapping.entry_of(which) if ecol in out else None
        if how == ENTRY_FROM_DATES:
            out[entry_col] = months(date("entry_date"))
        elif how is not None:
            out[entry_col] = to_months(to_number(data[how]), mapping.time_unit)
    out = out.astype(float)
    for which, ecol in (("os", schema.OS_EVENT), ("pfs", schema.PFS_EVENT)):
        coding: EventCoding = getattr(mapping, f"{which}_coding")
        src = getattr(mapping, f"{which}_event")
        if ecol in out and src is not None and coding.competing:
            out[status_column_name(ecol)] = coding.status(data[src])
    return Derived(out, dates)


def apply_mapping(data: pd.DataFrame, mapping: ColumnMapping) -> pd.DataFrame:
    """The canonical frame (column names of :mod:`hccdash.schema`) for ``data``.

    ``data`` is not modified. Times are in months (converted from ``mapping.time_unit`` or
    computed from dates, :data:`DERIVATION_RULE`), events 1.0/0.0 (NaN where missing or not
    in the coding), yes/no roles "Yes"/"No", the class role "A"/"B"/"C", KPS numeric, treatment
    text; extra factors keep their names and values; each cut point adds a two-level column.

    Raises
    ------
    InputError
        When the mapping does not fit the columns (see :func:`check_columns`).
    """
    check_columns(data, mapping)
    out = pd.DataFrame(index=data.index)
    out[schema.PATIENT_ID] = row_labels(data, mapping)
    derived = derive_endpoints(data, mapping).frame
    for c in derived.columns:
        out[c] = derived[c]
    for role, col in mapping.roles().items():
        s = data[col]
        if role in (schema.PVTT, schema.ASCITES):
            out[role] = normalise_yes_no(s)
        elif role == schema.CHILD_PUGH:
            out[role] = normalise_child_pugh(s)
        elif role == schema.KPS:
            kps = to_number(s)
            # Whole numbers stay integers (as in the bundled cohort) when none is missing.
            whole = kps.notna().all() and bool((kps == kps.round()).all())
            out[role] = kps.astype("int64") if whole else kps
        else:
            out[role] = map_unique(s, lambda v: pd.NA if norm_code(v) is None else str(v).strip())
    for col in mapping.extra_factors:
        out[col] = data[col].copy()
    for col, cut in mapping.cuts:
        num = to_number(data[col])
        low, high = f"≤{cut:g}", f">{cut:g}"
        lab = pd.Series(np.where(num <= cut, low, high), index=data.index, dtype=object)
        out[cut_column_name(col, cut)] = lab.where(num.notna(), pd.NA)
    return out[_column_order(data, mapping, list(out.columns))]


def _column_order(data: pd.DataFrame, mapping: ColumnMapping, names: list[str]) -> list[str]:
    """Canonical columns in the order of their source columns in the file (the bundled CSV
    uploaded comes back column for column); cut columns follow their source."""
    pos = {str(c): i for i, c in enumerate(data.columns)}
    end = len(pos)
    source = {
        schema.PATIENT_ID: mapping.patient_id,
        schema.OS_TIME: mapping.os_time or mapping.start_date,
        schema.OS_EVENT: mapping.os_event or mapping.death_date,
        schema.PFS_TIME: mapping.pfs_time or mapping.start_date,
        schema.PFS_EVENT: mapping.pfs_event or mapping.progression_date,
        schema.OS_ENTRY: mapping.os_entry or mapping.entry_date,
        schema.PFS_ENTRY: mapping.pfs_entry or mapping.entry_date,
        status_column_name(schema.OS_EVENT): mapping.os_event,
        status_column_name(schema.PFS_EVENT): mapping.pfs_event,
        **mapping.roles(),
        **{c: c for c in mapping.extra_factors},
    }
    cut_src = {cut_column_name(c, v): c for c, v in mapping.cuts}

    def key(name: str) -> float:
        if name in cut_src:
            return pos.get(cut_src[name], end) + 0.5
        return float(pos.get(source.get(name) or "", end))

    return sorted(names, key=key)


# -- unit check and codebook -------------------------------------------------------------
PLAUSIBLE_MAX_MONTHS = 360.0  # 30 years of follow-up: longer maxima suggest a unit error


@dataclass(frozen=True)
class UnitAdvice:
    """A doubt about the time unit: the message and the unit one click switches to."""

    message: str
    suggested: str


def time_unit_of(mapping: ColumnMapping) -> str | None:
    """The unit stated by the names of the mapped time columns, if any."""
    cols = [c for c in (mapping.os_time, mapping.pfs_time) if c is not None]
    return next((u for u in map(_unit_of, cols) if u), None)


def unit_check(data: pd.DataFrame, mapping: ColumnMapping) -> UnitAdvice | None:
    """Compare the chosen unit with the time columns' names and range; None when they fit.

    A warning, never an exclusion: the fix is to change the unit (``suggested``).

    >>> d = pd.DataFrame({"Survival_days": [30.0, 400.0, 2400.0], "dead": [1, 0, 1]})
    >>> m = ColumnMapping(os_time="Survival_days", os_event="dead", time_unit="months")
    >>> unit_check(d, m).suggested
    'days'
    """
    both = ((mapping.os_time, mapping.os_entry), (mapping.pfs_time, mapping.pfs_entry))
    pairs = [(t, e) for t, e in both if t is not None and t in data]
    cols = [t for t, _ in pairs]
    if not cols:
        return None
    unit = mapping.time_unit
    named = time_unit_of(mapping)

    def span(t: str, e: str | None) -> pd.Series:
        # with delayed entry the time scale may be age: the follow-up is time - entry
        if e is None or e not in data:
            return to_number(data[t])
        return to_number(data[t]) - to_number(data[e]).fillna(0.0).clip(lower=0.0)

    times = pd.concat([span(t, e) for t, e in pairs]).dropna()
    if named is not None and named != unit:
        return UnitAdvice(
            f"The time column {cols[0]!r} is named in {named}, but the times are read as "
            f"{unit}; read them as {named}?",
            named,
        )
    if times.empty:
        return None
    top, mid = float(times.max()), float(times.median())
    months = top * TIME_UNITS[unit]
    if months > PLAUSIBLE_MAX_MONTHS:
        smaller = [u for u in ("days", "weeks") if TIME_UNITS[u] < TIME_UNITS[unit]]
        fit = next((u for u in smaller if top * TIME_UNITS[u] <= PLAUSIBLE_MAX_MONTHS), None)
        if fit is not None:
            return UnitAdvice(
                f"Read as {unit}, the longest follow-up is {months / 12:.0f} years (median "
                f"{mid:g} {unit}); these look like {fit}. Read the times as {fit}?",
                fit,
            )
    if unit == "days" and top < 60 and mid < 30:
        return UnitAdvice(
            f"Read as days, the longest follow-up is {top:g} days (median {mid:g}); these look "
            "like months. Read the times as months?",
            "months",
        )
    return None


def mapping_codebook(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    data: pd.DataFrame,
    *,
    names: dict[str, tuple[str, str]] | None = None,
    loaded: Codebook | None = None,
    file_labels: dict[str, str] | None = None,
    file_levels: dict[str, tuple[str, ...]] | None = None,
) -> Codebook:
    """The codebook of a mapped upload.

    Parameters
    ----------
    raw : pandas.DataFrame
        The file's table.
    mapping : ColumnMapping
    data : pandas.DataFrame
        ``apply_mapping(raw, mapping)`` (the cohort frame).
    names : dict, optional
        Endpoint slot (``"os"``, ``"pfs"``) -> (key, label) chosen by the user.
    loaded : Codebook, optional
        A codebook the user uploaded: its variables and endpoint names win over the defaults.
    file_labels, file_levels : dict, optional
        Variable labels and value-label levels stored in the file (SPSS, Stata, SAS; see
        :class:`hccdash.readstat.StatTableFile`), by source column.

    Returns
    -------
    Codebook
        Endpoints with their source unit and coding; one variable per other column with the
        user's column name as label (a role column: the name of the column it came from),
        kinds and levels by R's rules (two distinct values: binary).
    """
    names = dict(names or {})
    slots = []
    if mapping.has_os():
        slots.append(("os", "Overall survival", schema.OS_TIME, schema.OS_EVENT,
                      mapping.os_time, mapping.os_event, mapping.os_coding))  # fmt: skip
    if mapping.has_pfs():
        slots.append(("pfs", "Progression-free survival", schema.PFS_TIME, schema.PFS_EVENT,
                      mapping.pfs_time, mapping.pfs_event, mapping.pfs_coding))  # fmt: skip
    entries = {schema.OS_TIME: schema.OS_ENTRY, schema.PFS_TIME: schema.PFS_ENTRY}
    endpoints = []
    for slot, label, tcol, ecol, src_t, src_e, coding in slots:
        key, lab = names.get(slot, (slot, label))
        if src_e is not None:  # the codebook lists the codes the file uses
            coding = coding.present(raw[src_e])
        else:  # event status from the dates: 1 = the event, 0 = censored
            coding = EventCoding(event=("1",), censored=("0",))
        entry = entries[tcol] if entries[tcol] in data.columns else None
        endpoints.append(
            EndpointSpec(
                key=key or slot,
                label=lab or label,
                time=tcol,
                event=ecol,
                unit=mapping.time_unit if src_t is not None else "days",
                event_values=tuple(dict.fromkeys(str(norm_code(v)) for v in coding.event)),
                censored_values=tuple(dict.fromkeys(str(norm_code(v)) for v in coding.censored)),
                competing_values=coding.competing,
                code_names=coding.names,
                start_date=mapping.start_date if src_t is None else None,
                end_date=(src_e if src_t is None else None),
                entry=entry,
            )
        )
    roles = dict(mapping.roles())
    file_labels, file_levels = dict(file_labels or {}), dict(file_levels or {})
    variables = []
    described = Codebook(endpoints=tuple(endpoints)).endpoint_columns()
    for c in data.columns:
        if c in described:
            continue
        if c == schema.PATIENT_ID:
            variables.append(Variable(c, mapping.patient_id or "row", kind="id"))
            continue
        src = roles.get(c, c)
        v = infer_variable(c, data[c], file_labels.get(src, src))
        if src in file_levels and v.levels:
            order = [x for x in file_levels[src] if x in v.levels]
            levels = (*order, *(x for x in v.levels if x not in order))
            v = replace(v, levels=levels, reference=levels[0])
        if c in roles:
            v = replace(v, role=c, short=file_labels.get(src, src))
        variables.append(v)
    cb = Codebook(
        variables=tuple(variables), endpoints=tuple(endpoints), id_column=schema.PATIENT_ID
    )
    if loaded is None:
        return cb
    # The loaded codebook names the file's columns; the cohort frame has the canonical names
    # of the mapped endpoint and role columns.
    renamed = {src: c for c, src in roles.items()}
    by_source = {(s[4], s[5]): (s[2], s[3]) for s in slots if s[4] is not None}
    loaded = replace(
        loaded,
        variables=tuple(replace(v, name=renamed.get(v.name, v.name)) for v in loaded.variables),
        endpoints=tuple(
            replace(x, time=by_source[(x.time, x.event)][0], event=by_source[(x.time, x.event)][1])
            if (x.time, x.event) in by_source
            else x
            for x in loaded.endpoints
        ),
    )
    return merge_codebooks(cb, loaded)


def merge_codebooks(base: Codebook, loaded: Codebook) -> Codebook:
    """``base`` with everything ``loaded`` describes taken from ``loaded`` (variables by
    name; endpoints by their time and event columns, else by key)."""
    present = {v.name for v in base.variables}
    # A role the mapping gave to a column stays with it (one column per role).
    mapped = {v.role: v.name for v in base.variables if v.role is not None}
    described = tuple(
        v if v.role is None or mapped.get(v.role, v.name) == v.name else replace(v, role=None)
        for v in loaded.variables
        if v.name in present
    )
    names = {v.name for v in described}
    # The loaded codebook's variables in its order (its tables' order), then the others.
    variables = described + tuple(v for v in base.variables if v.name not in names)
    endpoints = []
    for e in base.endpoints:
        match = next(
            (x for x in loaded.endpoints if (x.time, x.event) == (e.time, e.event)), None
        ) or next((x for x in loaded.endpoints if x.key == e.key), None)
        if match is None:
            endpoints.append(e)
            continue
        # The mapping's declaration of event types wins; the loaded codebook's names fill in.
        own = {*e.event_values, *e.censored_values}
        competing = e.competing_values or tuple(c for c in match.competing_values if c not in own)
        listed = own | set(competing)
        code_names = {**dict(match.code_names), **dict(e.code_names)}
        endpoints.append(
            replace(
                e,
                key=match.key,
                label=match.label,
                competing_values=competing,
                code_names=tuple((k, v) for k, v in code_names.items() if k in listed),
            )
        )
    return replace(
        base,
        variables=variables,
        endpoints=tuple(endpoints),
        name=loaded.name or base.name,
        description=loaded.description or base.description,
        notice=loaded.notice,
        default_model=loaded.default_model or base.default_model,
    )

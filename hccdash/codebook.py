"""A cohort's codebook: what every column means, in a documented, versioned JSON file.

The codebook is where a cohort's knowledge lives (labels, levels in order with display labels,
reference levels, units, named cut points, endpoints and their event coding), so the generic
code never knows one cohort. The bundled cohort ships ``data/<csv stem>.codebook.json``; an
upload's mapping step writes one; ``HCCDASH_CODEBOOK`` and ``--codebook`` read one. The format
is documented in ``docs/codebook.md``.

Without a codebook entry a column follows R's defaults (:func:`infer_codebook`): levels in
sorted order (numbers numerically), the first is the reference; a column with two distinct
values is binary; other numbers stay numeric.

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"time": [5.0, 8.0, 3.0], "status": [1, 0, 1], "arm": ["b", "a", "b"]})
>>> cb = infer_codebook(d, endpoints=[EndpointSpec("os", "Overall survival", "time", "status")])
>>> cb.variable("arm").levels, cb.variable("arm").reference
(('a', 'b'), 'a')
>>> Codebook.from_json(cb.to_json()) == cb
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from hccdash.errors import InputError, preview_labels

FORMAT = "hccdash-codebook"
VERSION = 1
KINDS: tuple[str, ...] = ("id", "binary", "categorical", "ordinal", "numeric", "date")
MAX_LEVELS = 12  # more distinct texts than this: not a factor by default
# The sidebar's filter roles (hccdash.schema.ROLE_COLUMNS: also their canonical column names):
# a level list, a range, two yes/no filters and the treatment arm.
ROLES: tuple[str, ...] = ("child_pugh", "kps", "pvtt", "ascites", "treatment")


def _fail(where: str, problem: str) -> InputError:
    return InputError(
        f"codebook: {where}: {problem}; fix: edit the codebook JSON (format in "
        "docs/codebook.md) or download a fresh one from the data page."
    )


@dataclass(frozen=True)
class Grouping:
    """A named two-group cut of a numeric variable (``value <= cut`` vs ``value > cut``).

    Attributes
    ----------
    name : str
        What the grouping is called ("KPS > 70 vs 60–70").
    cut : float
        Values ``<= cut`` form the low group.
    labels : (str, str)
        Display labels of the low and high group.
    order : tuple of str
        Display order of the two labels; the first is the reference. Default: low, high.
    preset : bool
        Offer each group as a one-click range filter in the sidebar.
    """

    name: str
    cut: float
    labels: tuple[str, str]
    order: tuple[str, ...] = ()
    preset: bool = False

    def level_order(self) -> tuple[str, ...]:
        return self.order or self.labels


@dataclass(frozen=True)
class Variable:
    """One column of the cohort.

    Attributes
    ----------
    name : str
        Column name in the cohort frame.
    label : str
        Shown in tables and figures.
    kind : str
        One of :data:`KINDS`.
    levels : tuple of str
        Levels in display order (binary, categorical, ordinal); values as they appear in the
        cohort frame after loading (display labels replace codes, see ``level_labels``).
    level_labels : dict
        Code in the file -> display label (SPSS value labels, ``1`` -> ``"Male"``); applied
        when the file is loaded.
    reference : str or None
        Reference level of comparisons; default the first level.
    unit : str or None
        Unit of a numeric variable ("years", "Gy").
    short : str or None
        Short label for sidebar widgets and axis titles; default ``label``.
    role : str or None
        The sidebar filter this variable drives (see :data:`hccdash.schema.ROLE_COLUMNS`).
    exclude : tuple of str
        Levels left out of comparisons (e.g. "None" for a failure mode).
    groupings : tuple of Grouping
        Named cut points; the first is the variable's default grouping in tables and models.
    """

    name: str
    label: str
    kind: str = "categorical"
    levels: tuple[str, ...] = ()
    level_labels: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    reference: str | None = None
    unit: str | None = None
    short: str | None = None
    role: str | None = None
    exclude: tuple[str, ...] = ()
    groupings: tuple[Grouping, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise _fail(f"variable {self.name!r}", f"kind {self.kind!r} is not one of {KINDS}")
        if self.role is not None and self.role not in ROLES:
            raise _fail(f"variable {self.name!r}", f"role {self.role!r} is not one of {ROLES}")
        if self.reference is not None and self.levels and self.reference not in self.levels:
            raise _fail(
                f"variable {self.name!r}",
                f"reference {self.reference!r} is not among its levels {list(self.levels)!r}",
            )

    @property
    def is_factor(self) -> bool:
        return self.kind in ("binary", "categorical", "ordinal")

    def ordered_levels(self) -> tuple[str, ...]:
        """Levels with the reference first."""
        ref = self.reference
        if ref is None or ref not in self.levels:
            return self.levels
        return (ref, *(v for v in self.levels if v != ref))


def status_column_name(event: str) -> str:
    """The cohort-frame column keeping the event codes of a competing-risks endpoint whose
    event column is ``event``."""
    return f"{event} (event type)"


@dataclass(frozen=True)
class EndpointSpec:
    """A time-to-event endpoint.

    Attributes
    ----------
    key : str
        Short name used in URLs and exports ("os", "rfs").
    label : str
        Shown on every page and figure ("Recurrence-free survival").
    time : str
        Column of the follow-up time (in the cohort frame: months).
    event : str
        Column of the event status.
    unit : str
        Unit of ``time`` in the source file ("days", "weeks", "months", "years"). The cohort
        frame holds months; loading converts.
    event_values, censored_values, competing_values : tuple of str
        Codes of the event column: the event, censored, other event types (competing risks:
        censored in cause-specific analyses, as R's ``Surv(time, status == 1)``).
    code_names : tuple of (code, name)
        Display names of the codes (``("1", "Relapse"), ("2", "Death without relapse")``),
        used by the competing-risks page and CLI; JSON ``coding.names``.
    start_date, end_date : str or None
        Date columns the time was computed from (documentation of the derivation).
    entry : str or None
        Column of the entry (delayed-entry start) time, same unit and origin as ``time``:
        rows are ``(entry, time]`` (R ``Surv(entry, time, event)``); JSON ``entry``.
    """

    key: str
    label: str
    time: str
    event: str
    unit: str = "months"
    event_values: tuple[str, ...] = ("1",)
    censored_values: tuple[str, ...] = ("0",)
    competing_values: tuple[str, ...] = ()
    start_date: str | None = None
    end_date: str | None = None
    code_names: tuple[tuple[str, str], ...] = ()
    entry: str | None = None

    def __post_init__(self) -> None:
        sets = (self.event_values, self.censored_values, self.competing_values)
        seen: dict[str, int] = {}
        for i, values in enumerate(sets):
            for v in values:
                if v in seen and seen[v] != i:
                    raise _fail(f"endpoint {self.key!r}", f"code {v!r} is listed twice")
                seen[v] = i
        object.__setattr__(self, "code_names", tuple((str(k), str(v)) for k, v in self.code_names))
        unknown = [k for k, _ in self.code_names if k not in seen]
        if unknown:
            raise _fail(
                f"endpoint {self.key!r}",
                f"coding.names has codes {preview_labels(unknown)} that its event, censored or "
                "competing lists do not have; fix: name only listed codes",
            )

    @property
    def has_competing(self) -> bool:
        """True when the endpoint declares other event types (a competing-risks endpoint)."""
        return bool(self.competing_values)

    @property
    def status_column(self) -> str:
        """The cohort-frame column that keeps the event codes of a competing-risks endpoint
        (written by :func:`apply_codebook`; the event column itself becomes 0/1)."""
        return status_column_name(self.event)

    def code_name(self, code: str) -> str | None:
        return dict(self.code_names).get(str(code))


@dataclass(frozen=True)
class Codebook:
    """Everything a cohort's columns mean. Round-trips through :meth:`to_json`."""

    variables: tuple[Variable, ...] = ()
    endpoints: tuple[EndpointSpec, ...] = ()
    name: str | None = None
    description: str | None = None
    notice: str | None = None
    default_model: tuple[str, ...] = ()
    id_column: str | None = None

    def __post_init__(self) -> None:
        names = [v.name for v in self.variables]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise _fail("variables", f"{preview_labels(dup)} described twice")
        keys = [e.key for e in self.endpoints]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise _fail("endpoints", f"keys {preview_labels(dup)} used twice")
        roles = [v.role for v in self.variables if v.role is not None]
        dup = sorted({r for r in roles if roles.count(r) > 1})
        if dup:
            twice = [v.name for v in self.variables if v.role in dup]
            raise _fail(
                "variables",
                f"role {preview_labels(dup)} given to {preview_labels(twice)}; one column per role",
            )

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def label(self, name: str) -> str:
        """The label of a column (the column name when the codebook does not describe it)."""
        v = self.variable(name)
        return v.label if v is not None else name

    def by_role(self, role: str) -> Variable | None:
        return next((v for v in self.variables if v.role == role), None)

    def endpoint_columns(self) -> set[str]:
        """Time, event, entry and event-type columns of the endpoints."""
        cols = {c for e in self.endpoints for c in (e.time, e.event)}
        cols |= {e.entry for e in self.endpoints if e.entry is not None}
        return cols | {e.status_column for e in self.endpoints if e.has_competing}

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, object]:
        doc: dict[str, object] = {"format": FORMAT, "version": VERSION}
        for k in ("name", "description", "notice", "id_column"):
            if getattr(self, k) is not None:
                doc[k] = getattr(self, k)
        if self.default_model:
            doc["default_model"] = list(self.default_model)
        doc["endpoints"] = [_endpoint_dict(e) for e in self.endpoints]
        doc["variables"] = [_variable_dict(v) for v in self.variables]
        return doc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "codebook") -> Codebook:
        """Read a codebook; every problem names the entry and the fix.

        Raises
        ------
        InputError
            Not JSON, not a codebook, an unknown version, key or kind, a malformed entry.
        """
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{source}: not valid JSON ({exc}); fix: upload a codebook saved by hccdash."
            ) from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(
                f'{source}: not an hccdash codebook (no "format": {FORMAT!r}); fix: upload a '
                "codebook saved by hccdash (format in docs/codebook.md)."
            )
        if doc.get("version") != VERSION:
            raise InputError(
                f"{source}: codebook version {doc.get('version')!r} is not supported (this "
                f"hccdash reads version {VERSION}); fix: save it again from the data page."
            )
        try:
            return _from_dict(doc)
        except (TypeError, KeyError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"{source}: malformed entry ({exc!r}); fix: compare it with docs/codebook.md."
            ) from exc

    @classmethod
    def read(cls, path: str | Path) -> Codebook:
        p = Path(path)
        try:
            text = p.read_bytes()
        except OSError as exc:
            raise InputError(
                f"{p.name}: cannot read the codebook ({exc.strerror}); fix: check the path."
            ) from exc
        return cls.from_json(text, source=p.name)


_VAR_KEYS = {
    "name", "label", "kind", "levels", "reference", "unit", "short", "role", "exclude",
    "groupings",
}  # fmt: skip
_EP_KEYS = {
    "key", "label", "time", "event", "unit", "start_date", "end_date", "coding", "entry",
}  # fmt: skip
_TOP_KEYS = {
    "format", "version", "name", "description", "notice", "default_model", "id_column",
    "endpoints", "variables",
}  # fmt: skip


def _variable_dict(v: Variable) -> dict[str, object]:
    d: dict[str, object] = {"name": v.name, "label": v.label, "kind": v.kind}
    if v.levels:
        d["levels"] = [_level_entry(v, lv) for lv in v.levels]
    for k in ("reference", "unit", "short", "role"):
        if getattr(v, k) is not None:
            d[k] = getattr(v, k)
    if v.exclude:
        d["exclude"] = list(v.exclude)
    if v.groupings:
        d["groupings"] = [
            {
                "name": g.name,
                "cut": g.cut,
                "labels": list(g.labels),
                **({"order": list(g.order)} if g.order else {}),
                **({"preset": True} if g.preset else {}),
            }
            for g in v.groupings
        ]
    return d


def _level_entry(v: Variable, label: str) -> object:
    code = next((c for c, lab in v.level_labels.items() if lab == label), None)
    return label if code is None or code == label else {"value": code, "label": label}


def _endpoint_dict(e: EndpointSpec) -> dict[str, object]:
    d: dict[str, object] = {
        "key": e.key, "label": e.label, "time": e.time, "event": e.event, "unit": e.unit,
        "coding": {
            "event": list(e.event_values), "censored": list(e.censored_values),
            "competing": list(e.competing_values),
        },
    }  # fmt: skip
    if e.code_names:
        d["coding"]["names"] = dict(e.code_names)  # type: ignore[index]
    for k in ("start_date", "end_date", "entry"):
        if getattr(e, k) is not None:
            d[k] = getattr(e, k)
    return d


def _strs(values: object, where: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise _fail(where, f"expected a list, got {values!r}")
    return tuple(str(x) for x in values)


def _names(values: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(values, dict):
        raise _fail(where, f"coding.names must be an object of code: name, got {values!r}")
    return tuple((str(k), str(v)) for k, v in values.items())


def _unknown(d: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise _fail(where, f"unknown keys {preview_labels(extra)}")


def _from_dict(doc: dict) -> Codebook:
    _unknown(doc, _TOP_KEYS, "top level")
    variables = []
    for i, vd in enumerate(doc.get("variables", [])):
        where = f"variables[{i}]"
        if not isinstance(vd, dict) or "name" not in vd:
            raise _fail(where, "each variable needs at least a 'name'")
        _unknown(vd, _VAR_KEYS, f"variable {vd['name']!r}")
        levels, labels = [], {}
        for lv in vd.get("levels", []):
            if isinstance(lv, dict):
                code, lab = str(lv["value"]), str(lv.get("label", lv["value"]))
                labels[code] = lab
                levels.append(lab)
            else:
                levels.append(str(lv))
        groupings = tuple(
            Grouping(
                name=str(g["name"]),
                cut=float(g["cut"]),
                labels=tuple(str(x) for x in g["labels"]),  # type: ignore[arg-type]
                order=tuple(str(x) for x in g.get("order", ())),
                preset=bool(g.get("preset", False)),
            )
            for g in vd.get("groupings", [])
        )
        for g in groupings:
            if len(g.labels) != 2:
                raise _fail(f"variable {vd['name']!r}", f"grouping {g.name!r} needs two labels")
        variables.append(
            Variable(
                name=str(vd["name"]),
                label=str(vd.get("label", vd["name"])),
                kind=str(vd.get("kind", "categorical")),
                levels=tuple(levels),
                level_labels=labels,
                reference=None if vd.get("reference") is None else str(vd["reference"]),
                unit=vd.get("unit"),
                short=vd.get("short"),
                role=vd.get("role"),
                exclude=_strs(vd.get("exclude", []), f"variable {vd['name']!r} exclude"),
                groupings=groupings,
            )
        )
    endpoints = []
    for i, ed in enumerate(doc.get("endpoints", [])):
        where = f"endpoints[{i}]"
        if not isinstance(ed, dict) or not {"key", "time", "event"} <= set(ed):
            raise _fail(where, "each endpoint needs 'key', 'time' and 'event'")
        _unknown(ed, _EP_KEYS, f"endpoint {ed['key']!r}")
        coding = ed.get("coding", {})
        endpoints.append(
            EndpointSpec(
                key=str(ed["key"]),
                label=str(ed.get("label", ed["key"])),
                time=str(ed["time"]),
                event=str(ed["event"]),
                unit=str(ed.get("unit", "months")),
                event_values=_strs(coding.get("event", ["1"]), where),
                censored_values=_strs(coding.get("censored", ["0"]), where),
                competing_values=_strs(coding.get("competing", []), where),
                start_date=ed.get("start_date"),
                end_date=ed.get("end_date"),
                code_names=_names(coding.get("names", {}), where),
                entry=None if ed.get("entry") is None else str(ed["entry"]),
            )
        )
    return Codebook(
        variables=tuple(variables),
        endpoints=tuple(endpoints),
        name=doc.get("name"),
        description=doc.get("description"),
        notice=doc.get("notice"),
        default_model=_strs(doc.get("default_model", []), "default_model"),
        id_column=doc.get("id_column"),
    )


# -- R defaults -----------------------------------------------------------------------------
def r_levels(values: pd.Series) -> tuple[str, ...]:
    """Distinct values as R's ``factor()`` orders them: numbers numerically, text sorted.

    >>> r_levels(pd.Series([10, 2, 2, 1]))
    ('1', '2', '10')
    """
    uniq = pd.unique(values.dropna())
    num = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce")
    if len(uniq) and num.notna().all():
        order = np.argsort(num.to_numpy(dtype=float), kind="stable")
        return tuple(level_text(uniq[i]) for i in order)
    return tuple(sorted(level_text(v) for v in uniq))


def level_text(v: object) -> str:
    """A cell as its level string (``1.0`` -> ``"1"``)."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def infer_kind(values: pd.Series) -> str:
    """``binary`` (two distinct values), ``numeric``, ``categorical`` (<= 12 texts), ``id``."""
    s = values.dropna()
    n = s.nunique()
    if n == 2:
        return "binary"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return "numeric"
    if n <= MAX_LEVELS:
        return "categorical"
    return "id"


def infer_variable(name: str, values: pd.Series, label: str | None = None) -> Variable:
    """R's defaults for one column: sorted levels, the first is the reference."""
    kind = infer_kind(values)
    levels = r_levels(values) if kind in ("binary", "categorical") else ()
    reference = levels[0] if levels else None
    return Variable(name=name, label=label or name, kind=kind, levels=levels, reference=reference)


def infer_codebook(
    data: pd.DataFrame,
    endpoints: Sequence[EndpointSpec] = (),
    *,
    id_column: str | None = None,
    labels: dict[str, str] | None = None,
    skip: Iterable[str] = (),
) -> Codebook:
    """A codebook with R's defaults for every column not used by an endpoint."""
    labels = labels or {}
    used = {c for e in endpoints for c in (e.time, e.event)} | set(skip)
    variables = []
    for c in data.columns:
        name = str(c)
        if name in used:
            continue
        if name == id_column:
            variables.append(Variable(name, labels.get(name, name), kind="id"))
            continue
        variables.append(infer_variable(name, data[c], labels.get(name)))
    return Codebook(variables=tuple(variables), endpoints=tuple(endpoints), id_column=id_column)


def complete(codebook: Codebook, data: pd.DataFrame) -> Codebook:
    """``codebook`` plus R-default entries for the columns of ``data`` it does not describe."""
    known = {v.name for v in codebook.variables} | codebook.endpoint_columns()
    if codebook.id_column:
        known.add(codebook.id_column)
    extra = [infer_variable(str(c), data[c]) for c in data.columns if str(c) not in known]
    if not extra:
        return codebook
    return replace(codebook, variables=codebook.variables + tuple(extra))


# -- applying a codebook to a file's table -----------------------------------------------
# Months per unit (a month is 365.25 / 12 = 30.4375 days): the one table of time divisors.
TO_MONTHS: dict[str, float] = {
    "days": 1 / 30.4375, "weeks": 7 / 30.4375, "months": 1.0, "years": 12.0,
}  # fmt: skip


def _code(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float | np.floating) and np.isnan(v)):
        return None
    return level_text(v).strip().lower()


def apply_codebook(data: pd.DataFrame, codebook: Codebook, source: str = "file") -> pd.DataFrame:
    """The cohort frame of a table described by ``codebook`` (``data`` is not modified).

    Value labels replace codes, each endpoint's event column becomes 1.0 (event) / 0.0
    (censored or another event type, as in a cause-specific analysis) and its time is
    converted from the endpoint's unit to months.

    Raises
    ------
    InputError
        A column the codebook names is missing, or event codes outside the coding.
    """
    cols = {str(c) for c in data.columns}
    named = [v.name for v in codebook.variables if v.kind != "id"]
    named += [c for e in codebook.endpoints for c in (e.time, e.event)]
    named += [e.entry for e in codebook.endpoints if e.entry is not None]
    missing = [c for c in dict.fromkeys(named) if c not in cols]
    if missing:
        raise InputError(
            f"{source}: the codebook names {len(missing)} columns the file does not have: "
            f"{preview_labels(missing)}; the file has {preview_labels(sorted(cols), 8)}; fix: "
            "use the codebook written for this file, or edit its column names."
        )
    out = data.copy()
    out.columns = [str(c) for c in out.columns]
    for v in codebook.variables:
        if v.level_labels and v.name in out:
            labels = {k.lower(): lab for k, lab in v.level_labels.items()}
            col = out[v.name]
            out[v.name] = col.map(lambda x, m=labels: m.get(_code(x) or "", x)).where(
                col.notna(), pd.NA
            )
    converted: set[str] = set()
    for e in codebook.endpoints:
        if e.unit not in TO_MONTHS:
            raise InputError(
                f"{source}: endpoint {e.key!r} has unit {e.unit!r}; fix: use one of "
                f"{preview_labels(list(TO_MONTHS))}."
            )
        ev = {x.lower() for x in e.event_values}
        other = {x.lower() for x in (*e.censored_values, *e.competing_values)}
        raw = out[e.event]
        codes = raw.map(_code)
        bad = codes.notna() & ~codes.isin(ev | other)
        if bad.any():
            values = sorted({str(x) for x in raw[bad]})
            raise InputError(
                f"{source}: column {e.event!r}: {int(bad.sum())} rows have event codes "
                f"{preview_labels(values)} that the codebook's endpoint {e.key!r} does not list; "
                "fix: add them to its coding (event, censored or competing)."
            )
        already = (
            pd.api.types.is_numeric_dtype(raw)
            and ev == {"1"}
            and "0" in other
            and set(codes.dropna()) <= {"0", "1"}
        )
        if e.competing_values:
            # the event types stay in their own column: censored codes as the first censored
            # code, event codes as the first event code, competing codes as written
            cen, evc = e.censored_values[0].lower(), e.event_values[0].lower()
            kinds = {c: (cen if c in {x.lower() for x in e.censored_values} else
                         evc if c in ev else c) for c in codes.dropna().unique()}  # fmt: skip
            out[e.status_column] = codes.map(kinds)
        if not already:  # a 0/1 column coded 1 = event stays as it is (dtype too)
            coded = codes.map({c: float(c in ev) for c in codes.dropna().unique()})
            out[e.event] = coded.astype(float)
        for c in (e.time, e.entry):  # the entry time is in the unit of the time
            if c is not None and e.unit != "months" and c not in converted:
                out[c] = pd.to_numeric(out[c], errors="coerce") * TO_MONTHS[e.unit]
                converted.add(c)
    return out

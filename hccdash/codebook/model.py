"""The codebook's dataclasses: variables, groupings, endpoints, the codebook."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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
        from hccdash.codebook.jsonio import _endpoint_dict, _variable_dict  # (cycle)

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
            from hccdash.codebook.jsonio import _from_dict  # the JSON module needs ours

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

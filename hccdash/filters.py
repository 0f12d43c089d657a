"""Cohort filters shared by every page: a frozen spec, applied to a frame, round-tripped via URL.

The sidebar builds a :class:`FilterSpec` from its widgets or from the URL query string, so a
bookmarked view restores the same patients. The URL contract (issue 5)::

    child_pugh=A,B      levels kept of the liver-function class role (column child_pugh)
    kps=80-100          inclusive range of the performance-status role (column kps)
    pvtt=yes|no         the thrombus role (column pvtt)
    ascites=yes|no      the ascites role (column ascites)
    arm=<slug>          treatment arm, as the slug of its level (see :func:`slug`)
    endpoint=<key>      page choice: an endpoint key (see :func:`parse_endpoint`)
    by=<column>         page choice (see :func:`parse_by`)
    cut=<number>        page choice: split value of a numeric ``by`` (see :func:`parse_cut`)
    <column>=a,b        "more filters": categories of any other column
    <column>=lo-hi      "more filters": inclusive range of any other numeric column

The five roles are the design card's sidebar filters; their labels and levels come from the
cohort's codebook. A codebook may give a role to a column of any name (a lung-cancer file's
``ecog`` as the performance-status role, a breast file's ``horTh`` as the treatment role):
:func:`role_columns` resolves role -> column, the spec keeps the non-canonical ones
(``FilterSpec.roles``), and the URL key of such a role is the column's own name
(``horTh=yes``, ``ecog=0-1``); the role's key (``arm``, ``kps`` ...) is read as an alias
when no column of that name exists. Invalid values are reported as warnings and ignored: a
shared link never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.codebook import level_text
from hccdash.errors import InputError, preview_labels
from hccdash.schema import ASCITES, CHILD_PUGH, ENDPOINTS, KPS, PVTT, ROLE_COLUMNS, TREATMENT
from hccdash.vocab import yes_no  # the one yes/no vocabulary (also the mapping's)

# The URL key of each sidebar role on its canonical column (the FilterSpec field's name).
ROLE_KEYS: dict[str, str] = {
    CHILD_PUGH: "child_pugh",
    KPS: "kps",
    PVTT: "pvtt",
    ASCITES: "ascites",
    TREATMENT: "arm",
}
# Query keys of page choices, never filters.
PAGE_KEYS: frozenset[str] = frozenset({"endpoint", "by", "cut", "page", "embed", "data"})
# Query keys that are not filters on a column of the same name (for a cohort whose roles sit
# on their canonical columns; see FilterSpec.query_key for the others).
RESERVED_KEYS: frozenset[str] = PAGE_KEYS | frozenset(ROLE_KEYS.values())
# Query keys of page options that are not filters: figure options of each figure's panel
# (hccdash.plotting.spec.FigureSpec.to_query prefixes) and Streamlit's embed options.
RESERVED_PREFIXES: tuple[str, ...] = ("fig_", "forest_", "zph_", "cif_", "cifs_", "kmcif_", "embed")
_NUM = r"-?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*(?:-|–|\.\.)\s*({_NUM})\s*$")

ExtraValue = tuple[str, ...] | tuple[float, float]


def slug(value: object) -> str:
    """URL slug of a level: lower-case, every run of non-alphanumerics becomes ``"_"``.

    ``"Arm B+C"`` -> ``"arm_b_c"``, ``"Control"`` -> ``"control"``.
    """
    return re.sub(r"[^0-9a-z]+", "_", level_text(value).strip().lower()).strip("_")


def role_columns(cohort) -> dict[str, str]:
    """Role -> column of a :class:`~hccdash.schema.Cohort`, for the roles it has (the
    codebook's ``role`` entries, else the canonical column names; ``Cohort.role``).

    >>> import pandas as pd
    >>> from hccdash.codebook import Codebook, Variable
    >>> from hccdash.schema import Cohort
    >>> book = Codebook(variables=(Variable("ecog", "ECOG", kind="numeric", role="kps"),))
    >>> role_columns(Cohort("c", pd.DataFrame({"ecog": [0, 1, 2]}), "c.csv", codebook=book))
    {'kps': 'ecog'}
    """
    out: dict[str, str] = {}
    for role in ROLE_COLUMNS:
        column = cohort.role(role)
        if column is not None and column not in out.values():
            out[role] = column
    return out


def _is_range(values: ExtraValue) -> bool:
    return len(values) == 2 and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in values
    )


@dataclass(frozen=True)
class FilterSpec:
    """Which patients are kept. ``None`` means "no restriction" for every field.

    Attributes
    ----------
    child_pugh : tuple of str or None
        Levels kept of the ``child_pugh`` role column (e.g. ``("A", "B")``).
    kps : (int, int) or None
        Inclusive range of the ``kps`` role column.
    pvtt, ascites : str or None
        Keep patients with (``"yes"``) / without (``"no"``) the ``pvtt`` / ``ascites`` role;
        for a role column whose levels are not yes/no, the :func:`slug` of the level kept.
    arm : str or None
        Treatment level kept, as its :func:`slug`.
    extra : tuple of (column, values) pairs
        "More filters": ``values`` is a tuple of category strings, or a ``(low, high)`` pair
        of floats for an inclusive numeric range.
    roles : tuple of (role, column) pairs
        Roles played by a column not of the role's canonical name (from the codebook, see
        :func:`role_columns`); a role not listed is its canonical column.
    """

    child_pugh: tuple[str, ...] | None = None
    kps: tuple[int, int] | None = None
    pvtt: str | None = None
    ascites: str | None = None
    arm: str | None = None
    extra: tuple[tuple[str, ExtraValue], ...] = ()
    roles: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no filter is set (every patient kept)."""
        return FilterSpec(roles=self.roles) == self

    def column(self, role: str) -> str:
        """The column playing ``role`` (its canonical name unless ``roles`` says otherwise)."""
        return dict(self.roles).get(role, role)

    def query_key(self, role: str) -> str:
        """The URL key of a role: its key (``arm``, ``kps`` ...) on the canonical column, the
        column's own name otherwise (``horTh``)."""
        column = self.column(role)
        return ROLE_KEYS[role] if column == role else column

    def role_values(self) -> dict[str, object]:
        """Role -> the value set for it (only the roles that filter)."""
        values = {
            CHILD_PUGH: self.child_pugh, KPS: self.kps, PVTT: self.pvtt,
            ASCITES: self.ascites, TREATMENT: self.arm,
        }  # fmt: skip
        return {r: v for r, v in values.items() if v is not None}

    def to_query(self) -> dict[str, str]:
        """The URL query parameters of this spec (only the fields that are set)."""
        out: dict[str, str] = {}
        for role, value in self.role_values().items():
            if role == CHILD_PUGH:
                text = ",".join(value)  # type: ignore[arg-type]
            elif role == KPS:
                text = f"{value[0]:d}-{value[1]:d}"  # type: ignore[index]
            else:
                text = str(value)
            out[self.query_key(role)] = text
        for column, values in self.extra:
            if _is_range(values):
                out[column] = f"{values[0]:g}-{values[1]:g}"
            else:
                out[column] = ",".join(str(v) for v in values)
        return out

    @classmethod
    def from_query(
        cls,
        params: Mapping[str, str | Sequence[str]],
        data: pd.DataFrame,
        roles: Mapping[str, str] | None = None,
    ) -> tuple[FilterSpec, list[str]]:
        """Parse URL query parameters against the loaded cohort.

        Parameters
        ----------
        params : mapping
            Query parameters (``st.query_params`` or a plain dict); list values use the last.
        data : pandas.DataFrame
            The unfiltered cohort: levels and columns are checked against it.
        roles : mapping, optional
            Role -> column of the cohort (:func:`role_columns`). Default: the canonical
            columns.

        Returns
        -------
        spec : FilterSpec
            The valid part of the query.
        warnings : list of str
            One plain-language message per ignored value.

        Examples
        --------
        >>> d = pd.DataFrame({"horTh": ["no", "yes", "no"], "age": [40, 50, 60]})
        >>> spec, w = FilterSpec.from_query({"horTh": "yes"}, d, {"treatment": "horTh"})
        >>> spec.arm, spec.query_key("treatment"), spec.to_query(), w
        ('yes', 'horTh', {'horTh': 'yes'}, [])
        >>> FilterSpec.from_query({"arm": "no"}, d, {"treatment": "horTh"})[0].arm  # alias
        'no'
        """
        warnings: list[str] = []
        get = {k: _last(v) for k, v in params.items()}
        canonical = roles is None
        roles = {r: r for r in ROLE_COLUMNS} if roles is None else dict(roles)
        moved = tuple((r, c) for r, c in roles.items() if c != r)
        probe = cls(roles=moved)
        fields: dict[str, object] = {"roles": moved}
        cols = {str(c) for c in data.columns}
        role_cols = set(roles.values())
        for role in ROLE_COLUMNS:
            alias = ROLE_KEYS[role]
            if role not in roles:
                # a role key the cohort has no role for: a warning, unless a column of that
                # name exists (then it is a "more filters" key, read below)
                if alias in get and alias not in cols:
                    warnings.append(
                        f"URL parameter {alias}={get.pop(alias)!r} ignored: the cohort has no "
                        f"{role!r} column."
                    )
                continue
            column, key = roles[role], probe.query_key(role)
            raw = get.pop(key, None)
            if alias != key and alias in get and (alias not in cols or alias in role_cols):
                alias_raw = get.pop(alias)
                raw = alias_raw if raw is None else raw
            if raw is None:
                continue
            if column not in cols:
                warnings.append(
                    f"URL parameter {key}={raw!r} ignored: the cohort has no {column!r} column."
                )
                continue
            if role == CHILD_PUGH:
                fields["child_pugh"] = _parse_levels(key, raw, data, column, warnings)
            elif role == KPS:
                fields["kps"] = _parse_kps(raw, warnings, key, bounded=canonical or column == KPS)
            elif role == TREATMENT:
                fields["arm"] = _parse_arm(raw, data, warnings, column, key)
            else:
                fields[role] = _parse_binary(key, raw, data[column], warnings)

        extra: list[tuple[str, ExtraValue]] = []
        for key, raw in get.items():
            if key in PAGE_KEYS or key.startswith(RESERVED_PREFIXES):
                continue
            if key in role_cols or (canonical and key in RESERVED_KEYS):
                continue
            if key not in cols:
                warnings.append(
                    f"URL parameter {key!r} names no column of this cohort, so it is ignored; "
                    "fix: remove it from the link, or load the cohort it was made for."
                )
                continue
            parsed = _parse_extra(key, raw, data, warnings)
            if parsed is not None:
                extra.append((key, parsed))
        fields["extra"] = tuple(extra)
        return cls(**fields), warnings  # type: ignore[arg-type]


def _last(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def _levels_of(data: pd.DataFrame, column: str) -> list[str]:
    if column not in data.columns:
        return []
    return sorted({level_text(v) for v in data[column].dropna().unique()})


def _parse_levels(
    key: str, raw: str, data: pd.DataFrame, column: str, warnings: list[str]
) -> tuple[str, ...] | None:
    wanted = [v.strip() for v in raw.split(",") if v.strip()]
    if column not in data.columns:
        warnings.append(f"URL parameter {key}={raw!r} ignored: the cohort has no {column!r}.")
        return None
    known = {v.lower(): v for v in _levels_of(data, column)}
    kept, bad = [], []
    for v in wanted:
        (kept if v.lower() in known else bad).append(v)
    if bad:
        warnings.append(
            f"URL parameter {key}: {len(bad)} unknown value(s) ignored "
            f"({preview_labels(bad)}); known levels: {', '.join(known.values())}."
        )
    out = tuple(dict.fromkeys(known[v.lower()] for v in kept))
    return out or None


def _parse_kps(
    raw: str, warnings: list[str], key: str = "kps", bounded: bool = True
) -> tuple[int, int] | None:
    """An inclusive integer range; ``bounded``: within 0-100 (the canonical KPS column)."""
    m = _RANGE.match(raw)
    if m is None:
        if re.fullmatch(r"\s*\d+\s*", raw):
            v = int(raw)
            return (v, v)
        example = "80-100" if bounded else "0-1"
        warnings.append(
            f"URL parameter {key}={raw!r} ignored: use an inclusive range such as {key}={example}."
        )
        return None
    lo, hi = float(m.group(1)), float(m.group(2))
    if lo > hi or (bounded and (lo < 0 or hi > 100)):
        within, example = (" within 0-100", "80-100") if bounded else ("", "0-1")
        warnings.append(
            f"URL parameter {key}={raw!r} ignored: the range must go from low to high"
            f"{within}, e.g. {key}={example}."
        )
        return None
    return (int(np.floor(lo)), int(np.ceil(hi)))


def _parse_arm(
    raw: str,
    data: pd.DataFrame,
    warnings: list[str],
    column: str = TREATMENT,
    key: str = "arm",
) -> str | None:
    value = slug(raw)
    if value in {"", "any"}:
        return None
    slugs = {slug(v): v for v in _levels_of(data, column)}
    if value not in slugs:
        choices = ", ".join(sorted(slugs)) or "none (the cohort has no treatment column)"
        warnings.append(f"URL parameter {key}={raw!r} ignored: known arms are {choices}.")
        return None
    return value


def binary_options(col: pd.Series) -> dict[str, str] | None:
    """Choices of a yes/no role column whose levels are not yes/no: level slug -> level
    (None when every level reads as yes or no, and the choices are ``yes``/``no``).

    >>> binary_options(pd.Series(["Yes", "None", "Yes"])) is None
    True
    >>> binary_options(pd.Series(["involved", "free"]))
    {'free': 'free', 'involved': 'involved'}
    """
    levels = _levels_of(col.to_frame("x"), "x")
    if levels and {yes_no(v) for v in levels} <= {"yes", "no"}:
        return None
    return {slug(v): v for v in levels}


def _parse_binary(key: str, raw: str, col: pd.Series, warnings: list[str]) -> str | None:
    text = raw.strip().lower()
    if text in {"", "any"}:
        return None
    options = binary_options(col)
    if options is None:
        if yes_no(text) is not None:  # yes/no, or any word of the one vocabulary (positive)
            return yes_no(text)
        warnings.append(f"URL parameter {key}={raw!r} ignored: use {key}=yes or {key}=no.")
        return None
    if slug(raw) in options:
        return slug(raw)
    warnings.append(
        f"URL parameter {key}={raw!r} ignored: use one of "
        f"{', '.join(f'{key}={s}' for s in options)}."
    )
    return None


def _binary_match(value: str):
    """Row test of a yes/no role: ``yes``/``no`` as read by :func:`yes_no`, else a slug."""
    if value in {"yes", "no"}:
        return lambda v: yes_no(v) == value
    return lambda v: v is not None and slug(v) == value


def _parse_extra(
    column: str, raw: str, data: pd.DataFrame, warnings: list[str]
) -> ExtraValue | None:
    col = data[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        m = _RANGE.match(raw)
        if m is None or float(m.group(1)) > float(m.group(2)):
            warnings.append(
                f"URL parameter {column}={raw!r} ignored: {column!r} is numeric; "
                f"use an inclusive range low-high such as {column}=1-10."
            )
            return None
        return (float(m.group(1)), float(m.group(2)))
    levels = _parse_levels(column, raw, data, column, warnings)
    return levels


def _by_unique(col: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` once per distinct value (fast on a million rows of few levels)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques] + [fn(None)], dtype=object)
    return pd.Series(mapped[codes], index=col.index)


def _category_mask(col: pd.Series, values: Sequence[str]) -> pd.Series:
    wanted = {str(v).lower() for v in values}
    return _by_unique(col, lambda v: v is not None and level_text(v).lower() in wanted).astype(bool)


def apply_filters(data: pd.DataFrame, spec: FilterSpec) -> pd.DataFrame:
    """Rows of ``data`` that pass every filter of ``spec`` (order and index preserved).

    A patient whose value is missing for a filtered column is dropped by that filter.

    Raises
    ------
    InputError
        If ``spec`` filters on a column the data does not have.
    """
    mask = pd.Series(True, index=data.index)

    def need(column: str) -> pd.Series:
        if column not in data.columns:
            raise InputError(
                f"Filter on column {column!r}, but the cohort has no such column "
                f"(columns: {preview_labels(list(data.columns), 8)}). "
                "Reset the filters or map the column on the data page."
            )
        return data[column]

    col = spec.column
    if spec.child_pugh is not None:
        mask &= _category_mask(need(col(CHILD_PUGH)), spec.child_pugh)
    if spec.kps is not None:
        kps = pd.to_numeric(need(col(KPS)), errors="coerce")
        mask &= kps.between(spec.kps[0], spec.kps[1]).fillna(False)
    if spec.pvtt is not None:
        mask &= _by_unique(need(col(PVTT)), _binary_match(spec.pvtt)).astype(bool)
    if spec.ascites is not None:
        mask &= _by_unique(need(col(ASCITES)), _binary_match(spec.ascites)).astype(bool)
    if spec.arm is not None:
        arm = spec.arm
        mask &= _by_unique(need(col(TREATMENT)), lambda v: v is not None and slug(v) == arm).astype(
            bool
        )
    for column, values in spec.extra:
        cells = need(column)
        if _is_range(values):
            num = pd.to_numeric(cells, errors="coerce")
            mask &= num.between(values[0], values[1]).fillna(False)
        else:
            mask &= _category_mask(cells, values)
    return data.loc[mask.astype(bool)]


def filter_labels(cohort) -> dict[str, str]:
    """Display label per filterable column of a :class:`~hccdash.schema.Cohort`: the
    codebook's short label, else the column name (for :func:`describe`, page and CLI)."""
    return {str(c): cohort.short_label(str(c)) for c in cohort.data.columns}


def filter_levels(cohort) -> dict[str, dict[str, str]]:
    """Level text by slug of the treatment and yes/no role columns of a
    :class:`~hccdash.schema.Cohort` (the codebook's levels, else the data's), so that
    :func:`describe` says ``Arm B+C`` where the spec keeps ``arm_b_c``."""
    out: dict[str, dict[str, str]] = {}
    for role in (TREATMENT, PVTT, ASCITES):
        column = cohort.role(role)
        if column is None:
            continue
        v = cohort.variable(column)
        levels = list(v.levels) if v is not None and v.levels else _levels_of(cohort.data, column)
        out[column] = {slug(x): x for x in levels}
    return out


def describe(
    spec: FilterSpec,
    labels: Mapping[str, str] | None = None,
    levels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """One line saying which filters are set, for captions and methods text.

    ``labels`` maps a column (or role column) to its display label (``Cohort.short_label``);
    without one the column name is used. ``levels`` maps a role column to its level text by
    slug (:func:`filter_levels`); without it the slug is shown.

    >>> spec = FilterSpec(arm="arm_b_c", roles=(("treatment", "Arm"),))
    >>> describe(spec, {"Arm": "Study arm"}, {"Arm": {"arm_b_c": "Arm B+C"}})
    'Study arm Arm B+C'
    """
    lab = dict(labels or {})
    lev = {k: dict(v) for k, v in (levels or {}).items()}

    def name(column: str) -> str:
        return lab.get(column, column)

    def level(column: str, value: str) -> str:
        return lev.get(column, {}).get(value, value)

    parts: list[str] = []
    col = spec.column
    if spec.child_pugh is not None:
        parts.append(f"{name(col(CHILD_PUGH))} " + ", ".join(spec.child_pugh))
    if spec.kps is not None:
        lo, hi = spec.kps
        kps = name(col(KPS))
        parts.append(f"{kps} {lo}" if lo == hi else f"{kps} {lo}–{hi}")
    for role, value in ((PVTT, spec.pvtt), (ASCITES, spec.ascites)):
        if value is not None:  # yes/no as they are; other levels by their text
            text = value if value in {"yes", "no"} else level(col(role), value)
            parts.append(f"{name(col(role))} " + text)
    if spec.arm is not None:
        arm = col(TREATMENT)
        parts.append(f"{lab.get(arm, 'arm' if arm == TREATMENT else arm)} " + level(arm, spec.arm))
    for column, values in spec.extra:
        if _is_range(values):
            parts.append(f"{name(column)} {values[0]:g}–{values[1]:g}")
        else:
            parts.append(f"{name(column)} " + ", ".join(str(v) for v in values))
    return "; ".join(parts) if parts else "no filters (all patients)"


def parse_endpoint(
    params: Mapping[str, str | Sequence[str]], keys: Sequence[str] | None = None
) -> tuple[str | None, list[str]]:
    """The ``endpoint`` URL choice (one of ``keys``, default ``"os"``/``"pfs"``), or None,
    plus warnings."""
    if "endpoint" not in params:
        return None, []
    raw = _last(params["endpoint"])
    keys = [k.lower() for k in keys] if keys is not None else [e.key for e in ENDPOINTS]
    if raw.strip().lower() in keys:
        return raw.strip().lower(), []
    return None, [f"URL parameter endpoint={raw!r} ignored: use {' or '.join(keys)}."]


def parse_by(
    params: Mapping[str, str | Sequence[str]], data: pd.DataFrame
) -> tuple[str | None, list[str]]:
    """The ``by`` URL choice (a column of ``data`` to stratify by), or None, plus warnings."""
    if "by" not in params:
        return None, []
    raw = _last(params["by"]).strip()
    if raw in {"", "none"}:
        return None, []
    if raw in data.columns:
        return raw, []
    return None, [
        f"URL parameter by={raw!r} ignored: the cohort has no column {raw!r} "
        f"(columns: {preview_labels(list(data.columns), 8)})."
    ]


def parse_cut(params: Mapping[str, str | Sequence[str]]) -> tuple[float | None, list[str]]:
    """The ``cut`` URL choice (split value of a numeric ``by`` column), or None, plus warnings."""
    if "cut" not in params:
        return None, []
    raw = _last(params["cut"]).strip()
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        return None, [f"URL parameter cut={raw!r} ignored: give a number, e.g. cut=70."]
    return value, []


def events_per_endpoint(data: pd.DataFrame, endpoints: Sequence = ENDPOINTS) -> dict[str, int]:
    """Number of events per endpoint present in ``data`` (``{"os": 18, "pfs": 20}``)."""
    out: dict[str, int] = {}
    for e in endpoints:
        if e.time in data.columns and e.event in data.columns:
            ev = pd.to_numeric(data[e.event], errors="coerce")
            out[e.key] = int((ev == 1).sum())
    return out

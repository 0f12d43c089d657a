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

The URL values are read in :mod:`hccdash.filter_url`; a spec is applied and described in
:mod:`hccdash.filter_apply`; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from hccdash.filter_apply import (  # re-exported: applying a spec and describing it
    apply_filters,
    describe,
    events_per_endpoint,
    filter_labels,
    filter_levels,
)
from hccdash.filter_url import (  # re-exported: the URL values and page choices
    ExtraValue,
    _is_range,
    _last,
    _parse_arm,
    _parse_binary,
    _parse_extra,
    _parse_kps,
    _parse_levels,
    binary_options,
    parse_by,
    parse_cut,
    parse_endpoint,
    slug,
)
from hccdash.schema import ASCITES, CHILD_PUGH, KPS, PVTT, ROLE_COLUMNS, TREATMENT
from hccdash.vocab import yes_no  # the one yes/no vocabulary (also the mapping's)

__all__ = [
    "PAGE_KEYS",
    "RESERVED_KEYS",
    "RESERVED_PREFIXES",
    "ROLE_KEYS",
    "ExtraValue",
    "FilterSpec",
    "apply_filters",
    "binary_options",
    "describe",
    "events_per_endpoint",
    "filter_labels",
    "filter_levels",
    "parse_by",
    "parse_cut",
    "parse_endpoint",
    "role_columns",
    "slug",
    "yes_no",
]


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

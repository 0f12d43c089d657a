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
cohort's codebook. Invalid values are reported as warnings and ignored: a shared link never
raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hccdash.errors import InputError, preview_labels
from hccdash.schema import ASCITES, CHILD_PUGH, ENDPOINTS, KPS, PVTT, TREATMENT
from hccdash.vocab import yes_no  # the one yes/no vocabulary (also the mapping's)

# Query keys that are not filters on a column of the same name.
RESERVED_KEYS: frozenset[str] = frozenset(
    {
        "child_pugh",
        "kps",
        "pvtt",
        "ascites",
        "arm",
        "endpoint",
        "by",
        "cut",
        "page",
        "embed",
        "data",
    }
)
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
    return re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_")


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
    pvtt, ascites : {"yes", "no"} or None
        Keep patients with / without the ``pvtt`` / ``ascites`` role.
    arm : str or None
        Treatment level kept, as its :func:`slug`.
    extra : tuple of (column, values) pairs
        "More filters": ``values`` is a tuple of category strings, or a ``(low, high)`` pair
        of floats for an inclusive numeric range.
    """

    child_pugh: tuple[str, ...] | None = None
    kps: tuple[int, int] | None = None
    pvtt: str | None = None
    ascites: str | None = None
    arm: str | None = None
    extra: tuple[tuple[str, ExtraValue], ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no filter is set (every patient kept)."""
        return self == FilterSpec()

    def to_query(self) -> dict[str, str]:
        """The URL query parameters of this spec (only the fields that are set)."""
        out: dict[str, str] = {}
        if self.child_pugh is not None:
            out["child_pugh"] = ",".join(self.child_pugh)
        if self.kps is not None:
            out["kps"] = f"{self.kps[0]:d}-{self.kps[1]:d}"
        if self.pvtt is not None:
            out["pvtt"] = self.pvtt
        if self.ascites is not None:
            out["ascites"] = self.ascites
        if self.arm is not None:
            out["arm"] = self.arm
        for column, values in self.extra:
            if _is_range(values):
                out[column] = f"{values[0]:g}-{values[1]:g}"
            else:
                out[column] = ",".join(str(v) for v in values)
        return out

    @classmethod
    def from_query(
        cls, params: Mapping[str, str | Sequence[str]], data: pd.DataFrame
    ) -> tuple[FilterSpec, list[str]]:
        """Parse URL query parameters against the loaded cohort.

        Parameters
        ----------
        params : mapping
            Query parameters (``st.query_params`` or a plain dict); list values use the last.
        data : pandas.DataFrame
            The unfiltered cohort: levels and columns are checked against it.

        Returns
        -------
        spec : FilterSpec
            The valid part of the query.
        warnings : list of str
            One plain-language message per ignored value.
        """
        warnings: list[str] = []
        get = {k: _last(v) for k, v in params.items()}
        fields: dict[str, object] = {}
        for key, column in (("kps", KPS), ("pvtt", PVTT), ("ascites", ASCITES)):
            if key in get and column not in data.columns:
                warnings.append(
                    f"URL parameter {key}={get.pop(key)!r} ignored: the cohort has no "
                    f"{column!r} column."
                )

        if "child_pugh" in get:
            fields["child_pugh"] = _parse_levels(
                "child_pugh", get["child_pugh"], data, CHILD_PUGH, warnings
            )
        if "kps" in get:
            fields["kps"] = _parse_kps(get["kps"], warnings)
        for key in ("pvtt", "ascites"):
            if key in get:
                text = get[key].strip().lower()
                if text in {"yes", "no"}:
                    fields[key] = text
                elif text not in {"", "any"}:
                    warnings.append(
                        f"URL parameter {key}={get[key]!r} ignored: use {key}=yes or {key}=no."
                    )
        if "arm" in get:
            fields["arm"] = _parse_arm(get["arm"], data, warnings)

        extra: list[tuple[str, ExtraValue]] = []
        for key, raw in get.items():
            if key in RESERVED_KEYS or key.startswith(RESERVED_PREFIXES):
                continue
            if key not in data.columns:
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
    return sorted({str(v) for v in data[column].dropna().unique()})


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


def _parse_kps(raw: str, warnings: list[str]) -> tuple[int, int] | None:
    m = _RANGE.match(raw)
    if m is None:
        if re.fullmatch(r"\s*\d+\s*", raw):
            v = int(raw)
            return (v, v)
        warnings.append(
            f"URL parameter kps={raw!r} ignored: use an inclusive range such as kps=80-100."
        )
        return None
    lo, hi = float(m.group(1)), float(m.group(2))
    if lo > hi or lo < 0 or hi > 100:
        warnings.append(
            f"URL parameter kps={raw!r} ignored: the range must go from low to high "
            "within 0-100, e.g. kps=80-100."
        )
        return None
    return (int(np.floor(lo)), int(np.ceil(hi)))


def _parse_arm(raw: str, data: pd.DataFrame, warnings: list[str]) -> str | None:
    value = slug(raw)
    if value in {"", "any"}:
        return None
    slugs = {slug(v): v for v in _levels_of(data, TREATMENT)}
    if value not in slugs:
        choices = ", ".join(sorted(slugs)) or "none (the cohort has no treatment column)"
        warnings.append(f"URL parameter arm={raw!r} ignored: known arms are {choices}.")
        return None
    return value


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
    return _by_unique(col, lambda v: v is not None and str(v).lower() in wanted).astype(bool)


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

    if spec.child_pugh is not None:
        mask &= _category_mask(need(CHILD_PUGH), spec.child_pugh)
    if spec.kps is not None:
        kps = pd.to_numeric(need(KPS), errors="coerce")
        mask &= kps.between(spec.kps[0], spec.kps[1]).fillna(False)
    if spec.pvtt is not None:
        mask &= _by_unique(need(PVTT), lambda v: yes_no(v) == spec.pvtt).astype(bool)
    if spec.ascites is not None:
        mask &= _by_unique(need(ASCITES), lambda v: yes_no(v) == spec.ascites).astype(bool)
    if spec.arm is not None:
        mask &= _by_unique(need(TREATMENT), lambda v: v is not None and slug(v) == spec.arm).astype(
            bool
        )
    for column, values in spec.extra:
        col = need(column)
        if _is_range(values):
            num = pd.to_numeric(col, errors="coerce")
            mask &= num.between(values[0], values[1]).fillna(False)
        else:
            mask &= _category_mask(col, values)
    return data.loc[mask.astype(bool)]


def filter_labels(cohort) -> dict[str, str]:
    """Display label per filterable column of a :class:`~hccdash.schema.Cohort`: the
    codebook's short label, else the column name (for :func:`describe`, page and CLI)."""
    return {str(c): cohort.short_label(str(c)) for c in cohort.data.columns}


def describe(spec: FilterSpec, labels: Mapping[str, str] | None = None) -> str:
    """One line saying which filters are set, for captions and methods text.

    ``labels`` maps a column (or role column) to its display label (``Cohort.short_label``);
    without one the column name is used.
    """
    lab = dict(labels or {})

    def name(column: str) -> str:
        return lab.get(column, column)

    parts: list[str] = []
    if spec.child_pugh is not None:
        parts.append(f"{name(CHILD_PUGH)} " + ", ".join(spec.child_pugh))
    if spec.kps is not None:
        lo, hi = spec.kps
        parts.append(f"{name(KPS)} {lo}" if lo == hi else f"{name(KPS)} {lo}–{hi}")
    if spec.pvtt is not None:
        parts.append(f"{name(PVTT)} " + spec.pvtt)
    if spec.ascites is not None:
        parts.append(f"{name(ASCITES)} " + spec.ascites)
    if spec.arm is not None:
        parts.append(f"{lab.get(TREATMENT, 'arm')} " + spec.arm)
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

"""The canonical cohort schema every page, table and test computes from.

A loaded cohort (the bundled reconstruction or an uploaded file after its mapping step) is a
DataFrame plus its codebook (:mod:`hccdash.codebook`): labels, levels, references, groupings
and endpoints come from there, never from this module. The canonical names below are the
defaults of a cohort without a codebook and the keys of the sidebar's filter roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from hccdash import resources
from hccdash.codebook import ROLES, Codebook, Grouping, Variable, level_text, r_levels

REPO_ROOT = resources.REPO_ROOT
# The bundled cohort: inside the installed package, or data/ of a source checkout.
DATA_DIR = resources.data_dir()
BUNDLED_CSV = DATA_DIR / "hcc_oligomets_reconstructed.csv"

# Cells read as missing. pandas' default list minus "None": in clinical sheets "None" is a
# value (failure pattern "None" = no failure; published tables print absent findings "None").
NA_STRINGS: frozenset[str] = frozenset(
    {"", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "NULL", "null", "#N/A", "#N/A N/A",
     "#NA", "<NA>", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"}
)  # fmt: skip

# Canonical column names ------------------------------------------------------------------
PATIENT_ID = "patient_id"
OS_TIME, OS_EVENT = "os_months", "os_event"
PFS_TIME, PFS_EVENT = "pfs_months", "pfs_event"
# Entry (delayed-entry start) times of an uploaded cohort's endpoints, in months.
OS_ENTRY, PFS_ENTRY = "os_entry_months", "pfs_entry_months"
# Columns with a sidebar filter of their own (when present in the cohort).
# The roles' home is hccdash.codebook.ROLES (a codebook may give them to any column).
CHILD_PUGH, KPS, PVTT, ASCITES, TREATMENT = ROLES
ROLE_COLUMNS: tuple[str, ...] = ROLES


@dataclass(frozen=True)
class Endpoint:
    """A time-to-event endpoint: its label and the canonical time and event columns."""

    key: str
    label: str
    time: str
    event: str
    unit: str = "months"


OS = Endpoint("os", "Overall survival", OS_TIME, OS_EVENT)
PFS = Endpoint("pfs", "Progression-free survival", PFS_TIME, PFS_EVENT)
ENDPOINTS: tuple[Endpoint, ...] = (OS, PFS)


@dataclass(frozen=True)
class Factor:
    """A prognostic factor as a table row group: a column, optionally cut at a value.

    Parameters
    ----------
    column : str
        Canonical column name.
    label : str
        Label shown in tables (the codebook's label; the column name without one).
    cut : float, optional
        Numeric split: values ``<= cut`` go to ``cut_labels[0]``, values ``> cut`` to
        ``cut_labels[1]``.
    cut_labels : tuple of str, optional
        Labels of the low and high side of ``cut``; default ``("≤ cut", "> cut")``.
    levels : tuple of str, optional
        Display order of the levels; the first is the reference level in Cox models.
        Default: observed levels in R's order (numbers numerically, text sorted).
    exclude : tuple of str
        Levels left out of the comparison (e.g. a failure mode "None").
    kind : str
        The codebook kind (``"binary"``, ``"categorical"``, ``"ordinal"``, ``"numeric"``).
    reference : str, optional
        Reference level; default the first of ``levels`` (R: the first factor level).
    """

    column: str
    label: str
    cut: float | None = None
    cut_labels: tuple[str, str] | None = None
    levels: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    kind: str = "categorical"
    reference: str | None = None

    def values(self, data: pd.DataFrame) -> pd.Series:
        """The factor's level per row as strings; missing or excluded rows are NA."""
        col = data[self.column]
        if self.cut is not None:
            low, high = self.cut_labels or (f"≤ {self.cut:g}", f"> {self.cut:g}")
            num = pd.to_numeric(col, errors="coerce")
            out = pd.Series(np.where(num <= self.cut, low, high), index=data.index, dtype=object)
            out[num.isna()] = pd.NA
        else:
            out = col.astype(object).where(col.notna(), pd.NA)
            uniq = {v: level_text(v) for v in pd.unique(out.dropna())}
            out = out.map(lambda v: pd.NA if v is pd.NA else uniq.get(v, level_text(v)))
        if self.exclude:
            out = out.where(~out.isin(self.exclude), pd.NA)
        return out.astype("string")

    def level_order(self, data: pd.DataFrame) -> tuple[str, ...]:
        """Levels present in ``data`` in display order, the reference first (levels the
        codebook does not list follow in R's order)."""
        present = set(self.values(data).dropna().unique())
        if self.cut is not None:
            low, high = self.cut_labels or (f"≤ {self.cut:g}", f"> {self.cut:g}")
            order: tuple[str, ...] = self.levels or (low, high)
        else:
            order = self.levels or r_levels(pd.Series(sorted(present), dtype=object))
            if self.levels is None and pd.api.types.is_numeric_dtype(data[self.column]):
                order = r_levels(data[self.column].dropna())
        if self.reference is not None and self.reference in order:
            order = (self.reference, *(v for v in order if v != self.reference))
        listed = tuple(v for v in order if v in present)
        return listed + tuple(sorted(present - set(listed)))


def factor_of(variable: Variable, grouping: int | None = 0) -> Factor:
    """The :class:`Factor` of a codebook variable (a numeric one through its grouping)."""
    if variable.groupings and grouping is not None:
        g = variable.groupings[grouping]
        return Factor(
            variable.name,
            variable.label,
            cut=g.cut,
            cut_labels=g.labels,
            levels=g.order or None,
            kind=variable.kind,
        )
    return Factor(
        variable.name,
        variable.label,
        levels=variable.levels or None,
        exclude=variable.exclude,
        kind=variable.kind,
        reference=variable.reference,
    )


@dataclass(frozen=True)
class Cohort:
    """A loaded cohort in the canonical schema.

    Attributes
    ----------
    name : str
        Shown in the page header ("Reconstructed HCC oligometastasis cohort", a file name).
    data : pandas.DataFrame
        One row per patient, canonical column names; never modified after loading.
    source : str
        Where it came from (a file name, or ``"bundled"``).
    reconstructed : bool
        True for the bundled cohort: its rows are reconstructed from published figures, not
        real patients, and every page says so.
    codebook : hccdash.codebook.Codebook or None
        What the columns mean (labels, levels, references, groupings, endpoints). None:
        R's defaults for every column and the canonical endpoint columns.
    """

    name: str
    data: pd.DataFrame = field(repr=False)
    source: str
    reconstructed: bool = False
    codebook: Codebook | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.data)

    @cached_property
    def identity(self) -> str:
        """The cohort's identity: a sha256 of every cell (:func:`hccdash.identity.content_digest`)
        and the codebook's JSON, computed once per cohort object (memoised; a pickled copy,
        as ``st.cache_data`` returns, keeps it). Caches key on it instead of hashing frames.

        >>> a = Cohort("a", pd.DataFrame({"x": ["u", "v"]}), "a.csv")
        >>> b = Cohort("a", pd.DataFrame({"x": ["u", "w"]}), "a.csv")
        >>> a.identity == Cohort("b", a.data.copy(), "b.csv").identity, a.identity == b.identity
        (True, False)
        """
        from hccdash.identity import content_digest

        book = self.codebook.to_json() if self.codebook is not None else ""
        return "cohort:" + content_digest(self.data, book)

    def endpoints(self) -> tuple[Endpoint, ...]:
        """Endpoints whose time and event columns are both present (the codebook's, in its
        order; without a codebook the canonical OS and PFS columns)."""
        cols = set(self.data.columns)
        if self.codebook is not None and self.codebook.endpoints:
            found = (Endpoint(e.key, e.label, e.time, e.event) for e in self.codebook.endpoints)
        else:
            found = iter(ENDPOINTS)
        return tuple(e for e in found if e.time in cols and e.event in cols)

    def entry_column(self, key: str) -> str | None:
        """The delayed-entry (start) column the codebook declares for endpoint ``key``, when
        the cohort has it (rows are ``(entry, time]``; R ``Surv(entry, time, event)``)."""
        if self.codebook is None:
            return None
        spec = next((e for e in self.codebook.endpoints if e.key == key), None)
        if spec is None or spec.entry is None or spec.entry not in self.data.columns:
            return None
        return spec.entry

    def label(self, column: str) -> str:
        """The display label of a column (its name when nothing describes it)."""
        return self.codebook.label(column) if self.codebook is not None else column

    def short_label(self, column: str) -> str:
        """The codebook's short label (sidebar widgets), else :meth:`label`."""
        v = self.codebook.variable(column) if self.codebook is not None else None
        return (v.short or v.label) if v is not None else column

    def variable(self, column: str) -> Variable | None:
        return self.codebook.variable(column) if self.codebook is not None else None

    def factors(self) -> tuple[Factor, ...]:
        """The cohort's factors: the codebook's (binary, categorical, ordinal, and numeric
        variables with a grouping) in its order, then every other column with 2 to 12
        levels (text) or two distinct values (numbers), with R's level order."""
        cols = set(self.data.columns)
        known: list[Factor] = []
        described: set[str] = set()
        if self.codebook is not None:
            for v in self.codebook.variables:
                described.add(v.name)
                if v.name in cols and (v.is_factor or v.groupings):
                    known.append(factor_of(v))
        used = (
            described
            | {PATIENT_ID}
            | {c for e in self.endpoints() for c in (e.time, e.event)}
            | (self.codebook.endpoint_columns() if self.codebook is not None else set())
            | {c for e in ENDPOINTS for c in (e.time, e.event)}
        )
        extra = []
        for c in self.data.columns:
            if c in used:
                continue
            col = self.data[c]
            n = col.nunique()
            numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
            if (numeric and n == 2) or (not numeric and 1 < n <= 12):
                extra.append(Factor(c, c, kind="binary" if n == 2 else "categorical"))
        return tuple(known + extra)

    def groupings(self, column: str) -> tuple[Grouping, ...]:
        """The codebook's named cut points of a numeric column."""
        v = self.variable(column)
        return v.groupings if v is not None else ()

    def default_model(self) -> tuple[str, ...]:
        """The codebook's default Cox covariates present in the cohort (may be empty)."""
        if self.codebook is None:
            return ()
        return tuple(c for c in self.codebook.default_model if c in self.data.columns)

    def role(self, role: str) -> str | None:
        """The column playing a sidebar role (:data:`ROLE_COLUMNS`): the codebook's
        variable with that role, else the canonical column of that name when present."""
        if self.codebook is not None:
            v = self.codebook.by_role(role)
            if v is not None and v.name in self.data.columns:
                return v.name
        return role if role in self.data.columns else None

    def as_categorical(self, data: pd.DataFrame | None = None) -> pd.DataFrame:
        """``data`` (default the whole cohort) with each described factor column as a pandas
        Categorical in the codebook's level order, reference first (models take the order,
        and so the reference, from the dtype)."""
        data = self.data if data is None else data
        changes = {}
        for f in self.factors():
            if f.cut is None and f.levels and f.column in data.columns:
                if pd.api.types.is_numeric_dtype(data[f.column]):
                    continue
                order = list(f.level_order(self.data))
                extra = sorted({str(v) for v in data[f.column].dropna()} - set(order))
                changes[f.column] = pd.Categorical(
                    data[f.column].astype(object), categories=order + extra
                )
        return data.assign(**changes) if changes else data

    @property
    def notice(self) -> str | None:
        """The codebook's notice shown on every page (the bundled cohort's reconstruction)."""
        return self.codebook.notice if self.codebook is not None else None


def codebook_path(csv: Path) -> Path:
    """The codebook shipped next to a data file: ``x.csv`` -> ``x.codebook.json``."""
    return csv.with_name(csv.stem + ".codebook.json")


def load_bundled_cohort(path: Path = BUNDLED_CSV) -> Cohort:
    """Read the bundled reconstructed cohort (see ``data/README.md``)."""
    data = pd.read_csv(
        path, dtype={PATIENT_ID: str}, keep_default_na=False, na_values=sorted(NA_STRINGS)
    )
    codebook = Codebook.read(codebook_path(path))
    cohort = Cohort(
        name=codebook.name or path.stem,
        data=data,
        source=path.name,
        reconstructed=True,
        codebook=codebook,
    )
    _ = cohort.identity  # computed now, so the cached (pickled) copies carry it
    return cohort

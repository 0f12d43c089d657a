"""The canonical cohort schema every page, table and test computes from.

A loaded cohort (the bundled reconstruction or an uploaded file after its mapping step) is a
DataFrame with these canonical column names, so the sidebar filters, the paper's factor table
and the CLI address columns the same way whatever the user's spreadsheet called them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hccdash import resources

REPO_ROOT = resources.REPO_ROOT
# The bundled cohort: inside the installed package, or data/ of a source checkout.
DATA_DIR = resources.data_dir()
BUNDLED_CSV = DATA_DIR / "hcc_oligomets_reconstructed.csv"

# Cells read as missing. pandas' default list minus "None": in clinical sheets "None" is a
# value (failure pattern "None" = no failure; the paper prints PVTT and ascites as "None").
NA_STRINGS: frozenset[str] = frozenset(
    {"", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "NULL", "null", "#N/A", "#N/A N/A",
     "#NA", "<NA>", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"}
)  # fmt: skip

# Canonical column names ------------------------------------------------------------------
PATIENT_ID = "patient_id"
OS_TIME, OS_EVENT = "os_months", "os_event"
PFS_TIME, PFS_EVENT = "pfs_months", "pfs_event"
# Columns with a sidebar filter of their own (when present in the cohort).
CHILD_PUGH, KPS, PVTT, ASCITES, TREATMENT = "child_pugh", "kps", "pvtt", "ascites", "treatment"
ROLE_COLUMNS: tuple[str, ...] = (CHILD_PUGH, KPS, PVTT, ASCITES, TREATMENT)


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
        Label shown in tables (the paper's wording for the bundled cohort).
    cut : float, optional
        Numeric split: values ``<= cut`` go to ``cut_labels[0]``, values ``> cut`` to
        ``cut_labels[1]``.
    cut_labels : tuple of str, optional
        Labels of the low and high side of ``cut``; default ``("≤ cut", "> cut")``.
    levels : tuple of str, optional
        Display order of the levels; the first is the reference level in Cox models.
        Default: observed levels sorted.
    exclude : tuple of str
        Levels left out of the comparison (e.g. failure mode "None": the paper compares the
        18 patients who failed).
    """

    column: str
    label: str
    cut: float | None = None
    cut_labels: tuple[str, str] | None = None
    levels: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()

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
            out = out.map(lambda v: v if v is pd.NA else str(v))
        if self.exclude:
            out = out.where(~out.isin(self.exclude), pd.NA)
        return out.astype("string")

    def level_order(self, data: pd.DataFrame) -> tuple[str, ...]:
        """Levels present in ``data`` in display order."""
        present = set(self.values(data).dropna().unique())
        if self.cut is not None:
            low, high = self.cut_labels or (f"≤ {self.cut:g}", f"> {self.cut:g}")
            order = self.levels or (low, high)
        else:
            order = self.levels or tuple(sorted(present))
        return tuple(v for v in order if v in present)


# The paper's Table 1 factors, in its order, with its cut points and reference levels.
PAPER_FACTORS: tuple[Factor, ...] = (
    Factor("age_years", "Age", cut=50, cut_labels=("≤50 years", ">50 years")),
    Factor("sex", "Sex", levels=("Male", "Female")),
    Factor(CHILD_PUGH, "Child-Pugh class", levels=("A", "B", "C")),
    Factor(PVTT, "Tumor thrombus (PVTT)", levels=("Yes", "No")),
    Factor(KPS, "KPS", cut=70, cut_labels=("60–70", ">70"), levels=(">70", "60–70")),
    Factor("cirrhosis", "Liver cirrhosis", levels=("Yes", "No")),
    Factor(TREATMENT, "Combination therapy (IMRT+TACE)", levels=("IMRT+TACE", "IMRT")),
    Factor(
        "metastatic_site",
        "Metastatic site",
        levels=("Lung", "Lymph node", "Brain", "Adrenal", "Bone"),
    ),
    Factor("rt_dose_gy", "Radiotherapy dose", cut=52, cut_labels=("≤52 Gy", ">52 Gy")),
    Factor(
        "failure_pattern",
        "Failure mode",
        levels=("Intrahepatic", "Extrahepatic"),
        exclude=("None",),
    ),
    Factor(ASCITES, "Ascites", levels=("Yes", "No")),
)

# The covariates of the paper's Table 2 (entered because univariate p <= 0.05).
PAPER_COX_FACTORS: tuple[str, ...] = (
    CHILD_PUGH,
    PVTT,
    KPS,
    TREATMENT,
    "rt_dose_gy",
    "failure_pattern",
    ASCITES,
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
    """

    name: str
    data: pd.DataFrame = field(repr=False)
    source: str
    reconstructed: bool = False

    @property
    def n(self) -> int:
        return len(self.data)

    def endpoints(self) -> tuple[Endpoint, ...]:
        """Endpoints whose time and event columns are both present."""
        cols = set(self.data.columns)
        return tuple(e for e in ENDPOINTS if e.time in cols and e.event in cols)

    def factors(self) -> tuple[Factor, ...]:
        """The paper's factors present in this cohort, then every other categorical column."""
        cols = set(self.data.columns)
        known = [f for f in PAPER_FACTORS if f.column in cols]
        used = (
            {f.column for f in known}
            | {PATIENT_ID}
            | {c for e in ENDPOINTS for c in (e.time, e.event)}
        )
        extra = [
            Factor(c, c)
            for c in self.data.columns
            if c not in used
            and not pd.api.types.is_numeric_dtype(self.data[c])
            and 1 < self.data[c].nunique() <= 12
        ]
        return tuple(known + extra)


def load_bundled_cohort(path: Path = BUNDLED_CSV) -> Cohort:
    """Read the bundled reconstructed cohort (see ``data/README.md``)."""
    data = pd.read_csv(
        path, dtype={PATIENT_ID: str}, keep_default_na=False, na_values=sorted(NA_STRINGS)
    )
    return Cohort(
        name="Reconstructed HCC oligometastasis cohort (Luo et al.)",
        data=data,
        source=path.name,
        reconstructed=True,
    )

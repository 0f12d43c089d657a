"""What the reconstruction must reproduce: the cohort's factors and the published targets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hccdash.cohort.fastkm import Layout

SEED = 20150630  # last follow-up: June 2015
DEFAULT_ITERATIONS = 200_000

N = 21
# Times are stored in tenths of a month: ties are exact and the CSV prints one decimal.
TICKS = 10
MIN_OS, MAX_OS = 30, 550  # follow-up range 3-55 months
MIN_PFS = 10  # a progression is detected at the earliest one month after diagnosis
PROG_GAP = 10  # a patient who progressed lives at least one more month
MIN_ALIVE_FU = 60  # accrual ended Dec 2014, last follow-up June 2015: >= 6 months


@dataclass(frozen=True)
class FactorSpec:
    """One Table 1 factor: CSV column, CSV codes in the paper's level order, counts."""

    column: str
    codes: tuple[str, ...]
    counts: tuple[int, ...]
    excluded: tuple[str, ...] = ()  # codes beyond the compared levels (failure "None")


# In Table 1's order; codes in the order of published.json's levels.
FACTORS: tuple[FactorSpec, ...] = (
    FactorSpec("age_group", ("<=50", ">50"), (6, 15)),
    FactorSpec("sex", ("Male", "Female"), (19, 2)),
    FactorSpec("child_pugh", ("A", "B", "C"), (14, 5, 2)),
    FactorSpec("pvtt", ("Yes", "No"), (5, 16)),
    FactorSpec("kps_group", (">70", "60-70"), (11, 10)),
    FactorSpec("cirrhosis", ("Yes", "No"), (14, 7)),
    FactorSpec("treatment", ("IMRT+TACE", "IMRT"), (14, 7)),
    FactorSpec(
        "metastatic_site", ("Lung", "Lymph node", "Brain", "Adrenal", "Bone"), (10, 3, 1, 2, 5)
    ),
    FactorSpec("dose_group", ("<=52", ">52"), (8, 13)),
    FactorSpec("failure_pattern", ("Intrahepatic", "Extrahepatic"), (9, 9), ("None",)),
    FactorSpec("ascites", ("Yes", "No"), (7, 14)),
)
F_CP, F_KPS, F_CIRR, F_SITE, F_FAIL, F_ASC = 2, 4, 5, 7, 9, 10
NONE_CODE = 2  # failure_pattern code of "None"
ENDPOINT_KEYS = ("pfs", "os")  # Table 1 prints PFS first


@dataclass(frozen=True)
class Targets:
    """Published figures as arrays aligned with the indicator columns."""

    median: np.ndarray  # (2, K) published subgroup medians; NaN = not scored ('-')
    p: np.ndarray  # (2, n_factors) published log-rank p
    os_median: float
    pfs_median: float
    os_landmarks: np.ndarray  # months
    os_rates: np.ndarray
    pfs_landmarks: np.ndarray
    pfs_rates: np.ndarray
    median_follow_up: float


def _columns() -> tuple[list[tuple[int, int]], Layout]:
    """Indicator column of every (factor, level): column 0 is 'all patients'."""
    cols: list[tuple[int, int]] = []
    binary, multi = [], []
    for f, spec in enumerate(FACTORS):
        idx = []
        for lv in range(len(spec.codes)):
            idx.append(1 + len(cols))
            cols.append((f, lv))
        (binary if len(idx) == 2 else multi).append(idx)
    return cols, Layout(np.array(binary), tuple(np.array(m) for m in multi))


COLUMNS, LAYOUT = _columns()
K = 1 + len(COLUMNS)
# Order of factors in logrank()'s output (binary first, then multi-level).
_LR_ORDER = [f for f, s in enumerate(FACTORS) if len(s.codes) == 2] + [
    f for f, s in enumerate(FACTORS) if len(s.codes) > 2
]
LR_TO_FACTOR = np.array(_LR_ORDER)


def build_targets(published: dict) -> Targets:
    """Align the published figures with the generator's indicator columns.

    Parameters
    ----------
    published : dict
        :func:`hccdash.cohort.published.load_published`'s document.

    Returns
    -------
    Targets
    """
    med = np.full((2, K), np.nan)
    p = np.full((2, len(FACTORS)), np.nan)
    rows = published["table1_univariate"]["factors"]
    for f, row in enumerate(rows):
        for lv, level in enumerate(row["levels"]):
            c = 1 + COLUMNS.index((f, lv))
            for e, key in enumerate(ENDPOINT_KEYS):
                v = level[f"median_{key}"]
                med[e, c] = np.nan if v is None else float(v)
        p[0, f] = row["p_pfs"]
        p[1, f] = row["p_os"]
    os_l = published["overall_survival"]["landmark_rates"]
    pfs_l = published["progression_free_survival"]["landmark_rates"]
    return Targets(
        median=med,
        p=p,
        os_median=float(published["overall_survival"]["median_months"]),
        pfs_median=float(published["progression_free_survival"]["median_months"]),
        os_landmarks=np.array([float(k) for k in os_l]),
        os_rates=np.array([float(v) for v in os_l.values()]),
        pfs_landmarks=np.array([float(k) for k in pfs_l]),
        pfs_rates=np.array([float(v) for v in pfs_l.values()]),
        median_follow_up=float(published["cohort"]["median_follow_up_months"]),
    )

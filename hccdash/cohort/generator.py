"""Deterministic reconstruction of the Luo et al. cohort from its published figures.

The paper never released patient-level data. This module searches, by simulated annealing with
a fixed seed, for 21 patients whose covariates reproduce Table 1's counts exactly and whose
survival times reproduce the published medians, landmark rates and log-rank p values as
closely as 21 patients allow. Everything that is not published (ages, exact KPS, doses,
responses per patient, toxicity grades) is then filled in by documented deterministic rules.

Run ``python -m hccdash.cohort`` to rewrite ``data/hcc_oligomets_reconstructed.csv`` and
``data/reconstruction_report.md``; the same seed and budget give the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hccdash.cohort.fastkm import Layout, km_medians, km_surv, logrank, risk_tables, surv_at
from hccdash.cohort.published import load_published

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


# ------------------------------------------------------------------------------------------
# State
# ------------------------------------------------------------------------------------------
@dataclass
class State:
    """Mutable search state (never leaves this module)."""

    codes: np.ndarray  # (N, n_factors) int; failure code 2 = None
    alive: np.ndarray  # (N,) bool
    os: np.ndarray  # (N,) int tenths of a month
    pfs: np.ndarray  # (N,) int tenths of a month

    def copy(self) -> State:
        return State(self.codes.copy(), self.alive.copy(), self.os.copy(), self.pfs.copy())


_COL_FACTOR = np.array([f for f, _ in COLUMNS])
_COL_LEVEL = np.array([lv for _, lv in COLUMNS])


def indicators(codes: np.ndarray) -> np.ndarray:
    """(N, K) 0/1 membership matrix; failure 'None' rows belong to no failure level."""
    ind = np.ones((N, K))
    ind[:, 1:] = codes[:, _COL_FACTOR] == _COL_LEVEL[None, :]
    return ind


def covariates_ok(codes: np.ndarray) -> bool:
    """Clinical coherence: Child-Pugh C has ascites and KPS <= 70; ascites and Child-Pugh B/C
    are cirrhotic."""
    cp, cirr, asc = codes[:, F_CP], codes[:, F_CIRR], codes[:, F_ASC]
    if np.any((cp == 2) & ((asc != 0) | (codes[:, F_KPS] != 1))):
        return False
    if np.any((asc == 0) & (cirr != 0)):
        return False
    return not np.any((cp >= 1) & (cirr != 0))


def outcomes_ok(s: State) -> bool:
    """Time constraints: see the module constants."""
    prog = s.codes[:, F_FAIL] != NONE_CODE
    if np.any(s.os < MIN_OS) or np.any(s.os > MAX_OS):
        return False
    if np.any(s.alive & (s.os < MIN_ALIVE_FU)):
        return False
    if np.any(~prog & (s.pfs != s.os)):
        return False
    return not np.any(prog & ((s.pfs < MIN_PFS) | (s.pfs > s.os - PROG_GAP)))


def initial_state(rng: np.random.Generator) -> State:
    """A coherent starting cohort: exact Table 1 counts, random times."""
    codes = np.zeros((N, len(FACTORS)), dtype=np.int64)
    for f, spec in enumerate(FACTORS):
        counts = list(spec.counts) + ([N - sum(spec.counts)] if spec.excluded else [])
        col = np.repeat(np.arange(len(counts)), counts)
        if f in (F_CP, F_KPS):
            col = col[::-1]  # C first, then B; KPS 60-70 first: rows 0-1 fit every rule
        elif f not in (F_CIRR, F_ASC):
            col = rng.permutation(col)
        codes[:, f] = col
    # Unshuffled: patients 0-1 Child-Pugh C, 0-6 ascites, 0-13 cirrhotic, 0-6 Child-Pugh B/C,
    # 0-9 KPS 60-70.
    os = np.sort(rng.integers(40, 500, size=N))[rng.permutation(N)]
    fail = codes[:, F_FAIL]
    prog = fail != NONE_CODE
    pfs = np.where(prog, np.maximum(MIN_PFS, (os * 0.45).astype(np.int64)), os)
    pfs = np.minimum(pfs, np.where(prog, os - PROG_GAP, os))
    alive = np.zeros(N, dtype=bool)
    none_idx = np.flatnonzero(~prog)
    prog_idx = np.flatnonzero(prog)
    alive[none_idx[0]] = True
    alive[prog_idx[:2]] = True
    os = np.where(alive, np.maximum(os, MIN_ALIVE_FU), os)
    pfs = np.where(prog, pfs, os)
    s = State(codes, alive, os, pfs)
    if not (covariates_ok(codes) and outcomes_ok(s)):
        raise RuntimeError("initial reconstruction state violates its own constraints")
    return s


# ------------------------------------------------------------------------------------------
# Statistics and score
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stats:
    """Everything the score compares, computed by the fast exact kernels."""

    median: np.ndarray  # (2, K) months
    p: np.ndarray  # (2, n_factors)
    chisq: np.ndarray  # (2, n_factors)
    os_rates: np.ndarray
    pfs_rates: np.ndarray
    follow_up_min: float
    follow_up_max: float
    median_follow_up: float


def compute_stats(s: State, targets: Targets) -> Stats:
    """KM medians per column, log-rank per factor and landmarks for both endpoints."""
    ind = indicators(s.codes)
    prog = s.codes[:, F_FAIL] != NONE_CODE
    events = (prog | ~s.alive, ~s.alive)
    times = (s.pfs, s.os)
    med = np.empty((2, K))
    ps = np.empty((2, len(FACTORS)))
    ch = np.empty((2, len(FACTORS)))
    rates = []
    for e in range(2):
        u, at, ev = risk_tables(times[e], events[e], ind)
        surv = km_surv(at, ev)
        med[e] = km_medians(u / TICKS, surv)
        chisq, p = logrank(at, ev, LAYOUT)
        ps[e, LR_TO_FACTOR] = p
        ch[e, LR_TO_FACTOR] = chisq
        lm = targets.pfs_landmarks if e == 0 else targets.os_landmarks
        rates.append(surv_at(u / TICKS, surv[:, 0], lm))
    return Stats(
        median=med,
        p=ps,
        chisq=ch,
        os_rates=rates[1],
        pfs_rates=rates[0],
        follow_up_min=float(s.os.min()) / TICKS,
        follow_up_max=float(s.os.max()) / TICKS,
        median_follow_up=float(np.median(s.os)) / TICKS,
    )


_LOG_ALPHA = math.log10(0.05)


def score(st: Stats, t: Targets) -> float:
    """Distance to the published figures (0 = everything reproduced)."""
    total = 0.0
    # Subgroup medians: aim within 1 month, count heavily beyond it.
    scored = ~np.isnan(t.median)
    diff = np.abs(st.median[scored] - t.median[scored])
    missing = np.isnan(diff)
    d = np.where(missing, 0.0, diff)
    total += float(0.1 * d.sum() + np.maximum(d - 1.0, 0.0).sum() + 8.0 * missing.sum())
    # Log-rank p values: same side of 0.05, then close on the log scale.
    lp = np.log10(np.maximum(st.p, 1e-12))
    lt = np.log10(t.p)
    total += float(np.abs(lp - lt).sum())
    wrong = (lp < _LOG_ALPHA) != (lt < _LOG_ALPHA)
    total += float((3.0 + 5.0 * np.abs(lp - _LOG_ALPHA))[wrong].sum())
    # Overall medians.
    for got, want in ((st.median[1, 0], t.os_median), (st.median[0, 0], t.pfs_median)):
        if math.isnan(got):
            total += 20.0
        else:
            dd = abs(got - want)
            total += dd + 10.0 * max(0.0, dd - 0.3)
    # Landmark rates.
    for got, want in ((st.os_rates, t.os_rates), (st.pfs_rates, t.pfs_rates)):
        dd = np.abs(got - want)
        total += float(10.0 * dd.sum() + 100.0 * np.maximum(dd - 0.025, 0.0).sum())
    # Follow-up range 3-55 months, median follow-up 23 months.
    total += 0.2 * (abs(st.follow_up_min - 3.0) + abs(st.follow_up_max - 55.0))
    dd = abs(st.median_follow_up - t.median_follow_up)
    total += 0.05 * dd + 0.5 * max(0.0, dd - 1.0)
    return total


# ------------------------------------------------------------------------------------------
# Search
# ------------------------------------------------------------------------------------------
def _propose(s: State, rng: np.random.Generator) -> State | None:
    """One random move, or None when it would break a constraint."""
    c = s.copy()
    r = rng.random()
    prog = c.codes[:, F_FAIL] != NONE_CODE
    if r < 0.35:  # swap one covariate between two patients
        f = int(rng.integers(len(FACTORS)))
        if f == F_FAIL:  # Intrahepatic <-> Extrahepatic only; "None" moves with its times
            pool = np.flatnonzero(prog)
            i, j = rng.choice(pool, size=2, replace=False)
        else:
            i, j = rng.choice(N, size=2, replace=False)
        if c.codes[i, f] == c.codes[j, f]:
            return None
        c.codes[i, f], c.codes[j, f] = c.codes[j, f], c.codes[i, f]
        if f in (F_CP, F_KPS, F_CIRR, F_ASC) and not covariates_ok(c.codes):
            return None
        return c
    if r < 0.6:  # move one patient's OS
        i = int(rng.integers(N))
        step = int(rng.integers(-30, 31)) if rng.random() < 0.8 else int(rng.integers(-120, 121))
        c.os[i] += step
        if not prog[i]:
            c.pfs[i] = c.os[i]
        elif c.pfs[i] > c.os[i] - PROG_GAP:
            c.pfs[i] = c.os[i] - PROG_GAP
    elif r < 0.85:  # move one patient's PFS
        i = int(rng.choice(np.flatnonzero(prog)))
        step = int(rng.integers(-20, 21)) if rng.random() < 0.8 else int(rng.integers(-80, 81))
        c.pfs[i] += step
    elif r < 0.95:  # exchange the whole outcome of two patients
        i, j = rng.choice(N, size=2, replace=False)
        for arr in (c.os, c.pfs, c.alive):
            arr[i], arr[j] = arr[j], arr[i]
        c.codes[i, F_FAIL], c.codes[j, F_FAIL] = c.codes[j, F_FAIL], c.codes[i, F_FAIL]
    else:  # move "alive" to another patient of the same kind (progressed or not)
        i = int(rng.choice(np.flatnonzero(c.alive)))
        same = np.flatnonzero(~c.alive & (prog == prog[i]))
        j = int(rng.choice(same))
        c.alive[i], c.alive[j] = False, True
    return c if outcomes_ok(c) else None


@dataclass(frozen=True)
class SearchResult:
    """The best state found, its statistics and score, and the search's bookkeeping."""

    state: State
    stats: Stats
    score: float
    iterations: int
    accepted: int


def search(
    targets: Targets,
    *,
    seed: int = SEED,
    iterations: int = DEFAULT_ITERATIONS,
    t_start: float = 3.0,
    t_end: float = 0.003,
) -> SearchResult:
    """Simulated annealing with a geometric temperature schedule (deterministic for a seed).

    Parameters
    ----------
    targets : Targets
        The published figures (:func:`build_targets`).
    seed : int
        Seed of the only random generator used (``numpy.random.default_rng``).
    iterations : int
        Proposed moves; the temperature falls geometrically from ``t_start`` to ``t_end``.
    t_start, t_end : float
        Initial and final temperature, in units of :func:`score`.

    Returns
    -------
    SearchResult
        The best state seen (not the last one), its statistics and score.
    """
    rng = np.random.default_rng(seed)
    cur = initial_state(rng)
    cur_score = score(compute_stats(cur, targets), targets)
    best, best_score = cur.copy(), cur_score
    accepted = 0
    ratio = (t_end / t_start) ** (1.0 / max(iterations - 1, 1))
    temp = t_start
    for _ in range(iterations):
        cand = _propose(cur, rng)
        u = rng.random()
        if cand is not None:
            sc = score(compute_stats(cand, targets), targets)
            delta = sc - cur_score
            if delta <= 0 or u < math.exp(-delta / temp):
                cur, cur_score = cand, sc
                accepted += 1
                if sc < best_score:
                    best, best_score = cand.copy(), sc
        temp *= ratio
    return SearchResult(best, compute_stats(best, targets), best_score, iterations, accepted)


# ------------------------------------------------------------------------------------------
# From the searched state to the CSV
# ------------------------------------------------------------------------------------------
# Values that are not published, filled in by fixed rules (see data/README.md).
AGES_LOW = (38, 42, 45, 47, 49, 50)  # <= 50 years (6 patients)
AGES_HIGH = (52, 53, 54, 55, 56, 57, 58, 60, 61, 63, 64, 66, 68, 71, 74)  # median of all = 56
KPS_HIGH = (100, 90, 90, 90, 90, 80, 80, 80, 80, 80, 80)  # > 70, best KPS to longest OS
KPS_LOW = (60, 60, 60, 60, 70, 70, 70, 70, 70, 70)  # 60-70, 60 to the shortest OS
# Liver PTV dose: 2 Gy/f 44-66 Gy or 3 Gy/f 36-45 Gy (Methods); lowest to Child-Pugh C/B.
DOSES_LOW = (42, 45, 44, 46, 48, 50, 50, 52)  # <= 52 Gy, ascending dose order below
DOSES_HIGH = (54, 54, 56, 56, 56, 58, 58, 60, 60, 60, 62, 64, 66)
THREE_GY = frozenset({42, 45})  # doses given as 3 Gy fractions (42/14, 45/15)

CSV_COLUMNS = (
    "patient_id",
    "age_years",
    "sex",
    "child_pugh",
    "kps",
    "pvtt",
    "cirrhosis",
    "ascites",
    "treatment",
    "tace_cycles",
    "metastatic_site",
    "rt_dose_gy",
    "rt_fraction_gy",
    "rt_fractions",
    "failure_pattern",
    "os_months",
    "os_event",
    "pfs_months",
    "pfs_event",
    "intrahepatic_response",
    "extrahepatic_response",
    "bone_pain_relief",
    "tox_anorexia_nausea_grade",
    "tox_chest_dyspnea_grade",
    "tace_fever",
    "tace_transaminase_rise",
)


def _by(keys: list[tuple]) -> list[int]:
    """Indices sorted by explicit tuple keys (the last key element is the index: no ties)."""
    return [k[-1] for k in sorted(keys)]


def materialize(s: State, seed: int = SEED) -> pd.DataFrame:
    """The CSV's rows from a searched state: published codes plus rule-based details.

    Parameters
    ----------
    s : State
        A searched state (Table 1 codes, vital status, OS and PFS in tenths of a month).
    seed : int
        The search seed; ``seed + 1`` seeds the row order and the few random fill-ins.

    Returns
    -------
    pandas.DataFrame
        One row per patient with :data:`CSV_COLUMNS` (see ``data/README.md``).
    """
    rng = np.random.default_rng(seed + 1)
    order = rng.permutation(N)  # row order carries no information
    codes = s.codes[order]
    alive = s.alive[order]
    os_t = s.os[order]
    pfs_t = s.pfs[order]
    code = {spec.column: codes[:, f] for f, spec in enumerate(FACTORS)}
    idx = list(range(N))

    age = np.zeros(N, dtype=np.int64)
    for grp, values in ((0, AGES_LOW), (1, AGES_HIGH)):
        members = [i for i in idx if code["age_group"][i] == grp]
        age[members] = rng.permutation(np.array(values))
    kps = np.zeros(N, dtype=np.int64)
    for grp, values, sign in ((0, KPS_HIGH, -1), (1, KPS_LOW, 1)):
        members = _by([(sign * int(os_t[i]), i) for i in idx if code["kps_group"][i] == grp])
        kps[members] = values
    dose = np.zeros(N, dtype=np.int64)
    for grp, values in ((0, DOSES_LOW), (1, DOSES_HIGH)):
        members = _by(
            [(-int(code["child_pugh"][i]), i) for i in idx if code["dose_group"][i] == grp]
        )
        dose[members] = sorted(values)
    frac = np.where(np.isin(dose, sorted(THREE_GY)), 3, 2)

    tace = code["treatment"] == 0
    tace_cycles = np.where(tace, 1 + (rng.random(N) < 0.5), 0)
    fail = np.array(["Intrahepatic", "Extrahepatic", "None"], dtype=object)[code["failure_pattern"]]

    # RECIST 1.1 intrahepatic: PD = the earliest intrahepatic failure (paper: recurrence
    # within 6 months); CR = the 3 longest PFS without intrahepatic failure; SD = the 3
    # shortest remaining PFS; PR = the rest.
    intra = np.array(["PR"] * N, dtype=object)
    pd_i = _by([(int(fail[i] != "Intrahepatic"), int(pfs_t[i]), i) for i in idx])[0]
    intra[pd_i] = "PD"
    cr = _by([(int(fail[i] == "Intrahepatic"), -int(pfs_t[i]), i) for i in idx if i != pd_i])[:3]
    intra[cr] = "CR"
    rest = [i for i in idx if intra[i] == "PR"]
    intra[_by([(int(pfs_t[i]), i) for i in rest])[:3]] = "SD"
    # Extrahepatic: bone metastases are not measurable by RECIST 1.1 (pain response was
    # assessed instead), so the 5 bone patients are NE and ORR = 16/16 = 100% as published.
    site = np.array(FACTORS[F_SITE].codes, dtype=object)[code["metastatic_site"]]
    extra = np.where(site == "Bone", "NE", "PR").astype(object)
    measurable = [i for i in idx if site[i] != "Bone"]
    extra[_by([(int(fail[i] == "Extrahepatic"), -int(pfs_t[i]), i) for i in measurable])[:6]] = "CR"
    # Toxicity (all grade 1-2, none 3-4): 16 anorexia/nausea (every TACE patient and 2 of
    # IMRT alone; 5 of them grade 2), 3 chest tightness/dyspnoea among lung metastases.
    gi = np.zeros(N, dtype=np.int64)
    imrt_only = [i for i in idx if not tace[i]]
    gi_pat = [i for i in idx if tace[i]] + sorted(rng.choice(imrt_only, 2, replace=False).tolist())
    gi[gi_pat] = 1
    gi[sorted(rng.choice(gi_pat, 5, replace=False).tolist())] = 2
    chest = np.zeros(N, dtype=np.int64)
    lung = [i for i in idx if site[i] == "Lung"]
    chest[sorted(rng.choice(lung, 3, replace=False).tolist())] = 1

    yes_no = np.array(["Yes", "No"], dtype=object)
    frame = pd.DataFrame(
        {
            "patient_id": [f"P{i + 1:02d}" for i in idx],
            "age_years": age,
            "sex": np.array(FACTORS[1].codes, dtype=object)[code["sex"]],
            "child_pugh": np.array(FACTORS[F_CP].codes, dtype=object)[code["child_pugh"]],
            "kps": kps,
            "pvtt": yes_no[code["pvtt"]],
            "cirrhosis": yes_no[code["cirrhosis"]],
            "ascites": yes_no[code["ascites"]],
            "treatment": np.array(FACTORS[6].codes, dtype=object)[code["treatment"]],
            "tace_cycles": tace_cycles.astype(np.int64),
            "metastatic_site": site,
            "rt_dose_gy": dose,
            "rt_fraction_gy": frac,
            "rt_fractions": dose // frac,
            "failure_pattern": fail,
            "os_months": os_t / TICKS,
            "os_event": (~alive).astype(np.int64),
            "pfs_months": pfs_t / TICKS,
            "pfs_event": ((fail != "None") | ~alive).astype(np.int64),
            "intrahepatic_response": intra,
            "extrahepatic_response": extra,
            "bone_pain_relief": np.where(site == "Bone", "Yes", "Not applicable"),
            "tox_anorexia_nausea_grade": gi,
            "tox_chest_dyspnea_grade": chest,
            "tace_fever": np.where(tace, "Yes", "No"),
            "tace_transaminase_rise": np.where(tace, "Yes", "No"),
        }
    )
    return frame[list(CSV_COLUMNS)]


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Fixed formatting: one decimal for times, '\\n' line ends, UTF-8."""
    return frame.to_csv(index=False, float_format="%.1f", lineterminator="\n").encode("utf-8")


# ------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Generated:
    """The generator's outputs: the CSV and report bytes, and the search bookkeeping."""

    csv: bytes
    report: bytes
    score: float
    iterations: int
    accepted: int
    seed: int


def generate(*, seed: int = SEED, iterations: int = DEFAULT_ITERATIONS) -> Generated:
    """Search, materialize and report; no files are written.

    Parameters
    ----------
    seed : int
        Seed of every random choice (search and rule-based filling).
    iterations : int
        Annealing iterations (the shipped file used the defaults).

    Returns
    -------
    Generated
    """
    from hccdash.cohort.report import build_report  # imports hccdash.reproduce (heavier)

    targets = build_targets(load_published())
    res = search(targets, seed=seed, iterations=iterations)
    frame = materialize(res.state, seed=seed)
    csv = to_csv_bytes(frame)
    # The report reads the CSV bytes back, exactly as the dashboard will.
    from io import BytesIO

    data = pd.read_csv(BytesIO(csv), dtype={"patient_id": str}, keep_default_na=False)
    report = build_report(
        data, seed=seed, iterations=iterations, accepted=res.accepted, score=res.score
    )
    return Generated(csv, report.encode("utf-8"), res.score, iterations, res.accepted, seed)


def write(generated: Generated, out_dir: Path) -> tuple[Path, Path]:
    """Write the CSV and the report into ``out_dir`` (normally ``data/``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "hcc_oligomets_reconstructed.csv"
    report_path = out_dir / "reconstruction_report.md"
    csv_path.write_bytes(generated.csv)
    report_path.write_bytes(generated.report)
    return csv_path, report_path

"""From the searched state to the CSV: published codes plus documented rule-based details."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.cohort.search import State
from hccdash.cohort.targets import F_CP, F_SITE, FACTORS, SEED, TICKS, N

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

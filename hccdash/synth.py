"""Synthetic cohorts in the canonical schema, of any size, for demos, tests and the benchmark.

The generated patients look like the bundled HCC cohort (same columns and codes, see
``hccdash/schema.py`` and ``data/README.md``) but they are drawn from a simple, documented
model, so a million-row cohort takes about a second and a fixed seed gives the same frame:

- covariates are drawn independently with the bundled cohort's proportions (ascites is more
  likely in Child-Pugh B/C, the dose follows the paper's 2 Gy/fraction regimens);
- overall survival is Weibull (shape 1.3) with a proportional-hazards linear predictor on
  Child-Pugh, KPS, PVTT, ascites and treatment arm; cohort median about 21 months;
- progression is Weibull on 0.8 times the same predictor (cohort median PFS about 9 months);
  PFS is the earlier of progression and death, so ``pfs_months <= os_months`` always holds;
- censoring is administrative (uniform accrual over 56 months, 6 more months of follow-up)
  plus loss to follow-up (exponential with mean 250 months, about 0.4 % per month).

Times are exact (continuous) or rounded to 0.1 month the way registries record them
(``rounded=True``, the default), with every time at least 0.1 month.

These are not real patients and carry no clinical meaning beyond plausibility.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hccdash.errors import InputError
from hccdash.schema import (
    ASCITES,
    CHILD_PUGH,
    KPS,
    OS_EVENT,
    OS_TIME,
    PATIENT_ID,
    PFS_EVENT,
    PFS_TIME,
    PVTT,
    TREATMENT,
)

DEFAULT_SEED = 20260101

# Column order of a generated cohort (the bundled cohort's core columns).
COLUMNS: tuple[str, ...] = (
    PATIENT_ID,
    "age_years",
    "sex",
    CHILD_PUGH,
    KPS,
    PVTT,
    "cirrhosis",
    ASCITES,
    TREATMENT,
    "metastatic_site",
    "rt_dose_gy",
    "failure_pattern",
    OS_TIME,
    OS_EVENT,
    PFS_TIME,
    PFS_EVENT,
    "intrahepatic_response",
    "extrahepatic_response",
)

_SITES = ("Lung", "Lymph node", "Brain", "Adrenal", "Bone")
_SITE_P = (0.48, 0.14, 0.05, 0.10, 0.23)
_RESPONSES = ("CR", "PR", "SD", "PD")
_INTRA_P = (0.14, 0.67, 0.14, 0.05)
_EXTRA_P = (0.29, 0.48, 0.17, 0.06)
_KPS_LEVELS = (60, 70, 80, 90, 100)
_KPS_P = (0.19, 0.29, 0.29, 0.19, 0.04)
# Log hazard ratios for death (and, scaled by 0.8, for progression).
_LOG_HR = {"cp_b": 0.7, "cp_c": 1.4, "kps_low": 0.8, "pvtt": 0.4, "ascites": 0.3, "tace": -0.45}
_SHAPE = 1.3
# Baseline medians (reference patient) chosen so the cohort's medians are about 21 and 9 months.
_OS_MEDIAN, _PROG_MEDIAN = 32.0, 16.0
_ACCRUAL, _EXTRA_FOLLOWUP, _LOSS_SCALE = 56.0, 6.0, 250.0


def _choice(rng: np.random.Generator, levels: tuple, p: tuple, n: int) -> np.ndarray:
    """Draw ``n`` labels with probabilities ``p`` (normalised), as an object array."""
    prob = np.asarray(p, dtype=float)
    idx = rng.choice(len(levels), size=n, p=prob / prob.sum())
    return np.asarray(levels, dtype=object)[idx]


def _weibull(rng: np.random.Generator, median: float, lin_pred: np.ndarray) -> np.ndarray:
    """Weibull proportional-hazards times with baseline ``median`` and log-HR ``lin_pred``."""
    # S(t) = exp(-(t/scale)^k * exp(lp)); scale chosen so the baseline median is ``median``.
    scale = median / np.log(2.0) ** (1.0 / _SHAPE)
    u = rng.random(lin_pred.shape[0])
    return scale * (-np.log1p(-u) * np.exp(-lin_pred)) ** (1.0 / _SHAPE)


def generate(n: int, seed: int = DEFAULT_SEED, *, rounded: bool = True) -> pd.DataFrame:
    """Generate a synthetic cohort of ``n`` patients in the canonical schema.

    Parameters
    ----------
    n : int
        Number of patients (rows), at least 1.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the same ``(n, seed, rounded)`` always gives the
        same frame.
    rounded : bool, optional
        Round ``os_months`` and ``pfs_months`` to 0.1 month (as registries record them; many
        tied times). ``False`` keeps exact continuous times (almost no ties).

    Returns
    -------
    pandas.DataFrame
        One row per patient with the columns of :data:`COLUMNS`: categorical columns as
        strings with the bundled cohort's codes, ``kps``/``age_years``/``rt_dose_gy``/
        ``os_event``/``pfs_event`` as int64, times as float64. ``pfs_months <= os_months`` and
        every time is > 0.

    Raises
    ------
    InputError
        If ``n`` is not a positive integer.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InputError(f"synthetic cohort size n={n!r} is not a positive integer; pass n >= 1.")
    n = int(n)
    rng = np.random.default_rng(seed)

    age = np.clip(np.rint(rng.normal(56.0, 10.0, n)), 25, 85).astype(np.int64)
    sex = _choice(rng, ("Male", "Female"), (0.9, 0.1), n)
    cp = _choice(rng, ("A", "B", "C"), (14, 5, 2), n)
    kps = np.asarray(_KPS_LEVELS, dtype=np.int64)[
        rng.choice(len(_KPS_LEVELS), size=n, p=np.asarray(_KPS_P) / sum(_KPS_P))
    ]
    pvtt = _choice(rng, ("Yes", "No"), (5, 16), n)
    cirrhosis = _choice(rng, ("Yes", "No"), (2, 1), n)
    # Ascites goes with a worse liver: 10 % in Child-Pugh A, 45 % in B and C.
    p_ascites = np.where(cp == "A", 0.10, 0.45)
    ascites = np.where(rng.random(n) < p_ascites, "Yes", "No").astype(object)
    treatment = _choice(rng, ("IMRT+TACE", "IMRT"), (2, 1), n)
    site = _choice(rng, _SITES, _SITE_P, n)
    # The paper's regimens at 2 Gy per fraction: 40 to 66 Gy.
    dose = rng.integers(20, 34, n, dtype=np.int64) * 2

    lp = (
        _LOG_HR["cp_b"] * (cp == "B")
        + _LOG_HR["cp_c"] * (cp == "C")
        + _LOG_HR["kps_low"] * (kps <= 70)
        + _LOG_HR["pvtt"] * (pvtt == "Yes")
        + _LOG_HR["ascites"] * (ascites == "Yes")
        + _LOG_HR["tace"] * (treatment == "IMRT+TACE")
    ).astype(np.float64)
    t_death = _weibull(rng, _OS_MEDIAN, lp)
    t_prog = _weibull(rng, _PROG_MEDIAN, 0.8 * lp)
    t_admin = _ACCRUAL + _EXTRA_FOLLOWUP - rng.uniform(0.0, _ACCRUAL, n)
    t_loss = rng.exponential(_LOSS_SCALE, n)
    t_cens = np.minimum(t_admin, t_loss)

    os_time = np.minimum(t_death, t_cens)
    os_event = (t_death <= t_cens).astype(np.int64)
    # PFS: progression or death, whichever first, censored with OS.
    pfs_time = np.minimum(t_prog, os_time)
    pfs_event = ((t_prog <= os_time) | (os_event == 1)).astype(np.int64)
    progressed = t_prog <= os_time

    if rounded:
        # Rounding is monotone, so pfs <= os survives it; 0.0 would be an invalid time.
        os_time = np.maximum(np.round(os_time, 1), 0.1)
        pfs_time = np.maximum(np.round(pfs_time, 1), 0.1)

    failure = np.where(
        progressed, np.where(rng.random(n) < 0.5, "Intrahepatic", "Extrahepatic"), "None"
    ).astype(object)
    intra = _choice(rng, _RESPONSES, _INTRA_P, n)
    extra = _choice(rng, _RESPONSES, _EXTRA_P, n)

    width = max(4, len(str(n)))
    ids = np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)

    frame = pd.DataFrame(
        {
            PATIENT_ID: ids,
            "age_years": age,
            "sex": sex,
            CHILD_PUGH: cp,
            KPS: kps,
            PVTT: pvtt,
            "cirrhosis": cirrhosis,
            ASCITES: ascites,
            TREATMENT: treatment,
            "metastatic_site": site,
            "rt_dose_gy": dose,
            "failure_pattern": failure,
            OS_TIME: os_time,
            OS_EVENT: os_event,
            PFS_TIME: pfs_time,
            PFS_EVENT: pfs_event,
            "intrahepatic_response": intra,
            "extrahepatic_response": extra,
        },
        columns=list(COLUMNS),
    )
    return frame


def write(frame: pd.DataFrame, out: Path) -> None:
    """Write ``frame`` as CSV or Parquet, chosen by the extension of ``out``.

    Raises
    ------
    InputError
        If the extension is neither ``.csv`` nor ``.parquet``/``.pq``.
    """
    suffix = out.suffix.lower()
    if suffix == ".csv":
        # %.10g keeps exact times exact enough (1e-10 relative) and rounded ones short.
        frame.to_csv(out, index=False, float_format="%.10g")
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(out, index=False)
    else:
        raise InputError(
            f"output file {str(out)!r} has extension {suffix!r}; use .csv or .parquet."
        )


def _positive_int(text: str) -> int:
    try:
        value = int(float(text)) if "e" in text.lower() else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        frame = generate(args.n, seed=args.seed, rounded=not args.exact)
        write(frame, out)
    except (InputError, OSError) as exc:
        print(f"hccdash synth: {exc}", file=sys.stderr)
        return 2
    deaths = int(frame[OS_EVENT].sum())
    print(f"wrote {len(frame)} synthetic patients ({deaths} deaths) to {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``synth`` subcommand to the CLI's subparsers.

    ``python -m hccdash synth --n N --out FILE [--seed S] [--exact]`` writes a synthetic
    cohort as CSV or Parquet (by the extension of FILE); exit code 2 with one line on stderr
    on a bad argument or an unwritable file.
    """
    parser = subparsers.add_parser(
        "synth",
        help="write a synthetic cohort (canonical schema) as CSV or Parquet",
        description=(
            "Write a synthetic HCC-like cohort in hccdash's canonical schema. Not real "
            "patients: for demos, tests and benchmarks."
        ),
    )
    parser.add_argument("--n", type=_positive_int, required=True, help="number of patients")
    parser.add_argument("--out", required=True, help="output file: .csv or .parquet")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--exact",
        action="store_true",
        help="keep exact continuous times (default: rounded to 0.1 month)",
    )
    parser.set_defaults(func=_run)

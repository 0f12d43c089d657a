"""Deterministic reconstruction of the Luo et al. cohort from its published figures.

The paper never released patient-level data. This module searches, by simulated annealing with
a fixed seed, for 21 patients whose covariates reproduce Table 1's counts exactly and whose
survival times reproduce the published medians, landmark rates and log-rank p values as
closely as 21 patients allow. Everything that is not published (ages, exact KPS, doses,
responses per patient, toxicity grades) is then filled in by documented deterministic rules.

Run ``python -m hccdash.cohort`` to rewrite ``data/hcc_oligomets_reconstructed.csv`` and
``data/reconstruction_report.md``; the same seed and budget give the same bytes.

One job per module: :mod:`~hccdash.cohort.targets` (the factors and the published targets),
:mod:`~hccdash.cohort.search` (state, statistics, score, annealing),
:mod:`~hccdash.cohort.materialize` (state to CSV rows); this module runs them in order. Their
names stay importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hccdash.cohort.materialize import CSV_COLUMNS, materialize, to_csv_bytes
from hccdash.cohort.published import load_published
from hccdash.cohort.search import (
    SearchResult,
    State,
    Stats,
    compute_stats,
    covariates_ok,
    outcomes_ok,
    score,
    search,
)
from hccdash.cohort.targets import (
    DEFAULT_ITERATIONS,
    FACTORS,
    NONE_CODE,
    SEED,
    FactorSpec,
    Targets,
    build_targets,
)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_ITERATIONS",
    "FACTORS",
    "NONE_CODE",
    "SEED",
    "FactorSpec",
    "Generated",
    "SearchResult",
    "State",
    "Stats",
    "Targets",
    "build_targets",
    "compute_stats",
    "covariates_ok",
    "generate",
    "materialize",
    "outcomes_ok",
    "outputs",
    "score",
    "search",
    "to_csv_bytes",
    "write",
]


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
    targets = build_targets(load_published())
    return outputs(search(targets, seed=seed, iterations=iterations), seed=seed)


def outputs(res: SearchResult, *, seed: int = SEED) -> Generated:
    """The CSV and report bytes of a finished search (the second half of :func:`generate`)."""
    from io import BytesIO

    from hccdash.cohort.report import build_report  # imports hccdash.reproduce (heavier)

    frame = materialize(res.state, seed=seed)
    csv = to_csv_bytes(frame)
    # The report reads the CSV bytes back, exactly as the dashboard will.
    data = pd.read_csv(BytesIO(csv), dtype={"patient_id": str}, keep_default_na=False)
    report = build_report(
        data, seed=seed, iterations=res.iterations, accepted=res.accepted, score=res.score
    )
    return Generated(csv, report.encode("utf-8"), res.score, res.iterations, res.accepted, seed)


def write(generated: Generated, out_dir: Path) -> tuple[Path, Path]:
    """Write the CSV and the report into ``out_dir`` (normally ``data/``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "hcc_oligomets_reconstructed.csv"
    report_path = out_dir / "reconstruction_report.md"
    csv_path.write_bytes(generated.csv)
    report_path.write_bytes(generated.report)
    return csv_path, report_path

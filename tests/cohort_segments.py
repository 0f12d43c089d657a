"""The shipped cohort's annealing search in three segments (``tests/test_cohort_search_*.py``).

One uninterrupted run of the default search takes about 4 minutes of one core; under the
suite's load on 2 cores it was the last test to finish (11 minutes). The segments start from
``tests/reference/cohort_search/checkpoints.json`` (written by ``make_checkpoints.py``
beside it), live in three files so that xdist's ``--dist loadfile`` runs them side by side,
and together prove what the single test proved: segment 1 runs from the seed to checkpoint 1,
segment 2 from checkpoint 1 to checkpoint 2, each ending on the next checkpoint exactly, and
segment 3 from checkpoint 2 to the end, whose outputs are the shipped CSV and report byte for
byte. A resumed run is the same loop as an uninterrupted one (``search.advance``), which
``test_cohort.py`` checks on a short run.
"""

from __future__ import annotations

import json
from pathlib import Path

from hccdash.cohort.generator import outputs
from hccdash.cohort.published import load_published
from hccdash.cohort.search import (
    advance,
    finish,
    progress_from_json,
    progress_to_json,
    ratio_of,
    start,
)
from hccdash.cohort.targets import DEFAULT_ITERATIONS, SEED, build_targets
from hccdash.schema import BUNDLED_CSV

CHECKPOINTS = Path(__file__).resolve().parent / "reference" / "cohort_search" / "checkpoints.json"
REPORT = BUNDLED_CSV.parent / "reconstruction_report.md"


def _saved() -> dict:
    payload = json.loads(CHECKPOINTS.read_text())
    assert payload["seed"] == SEED and payload["iterations"] == DEFAULT_ITERATIONS
    return payload


def run_segment(index: int) -> dict | None:
    """Run segment ``index`` (0, 1, 2); its end as JSON, or None for the last one, whose
    outputs are compared with the shipped files here."""
    saved = _saved()["checkpoints"]
    targets = build_targets(load_published())
    ratio = ratio_of(DEFAULT_ITERATIONS)
    pr = start(targets, seed=SEED) if index == 0 else progress_from_json(saved[index - 1])
    if index < len(saved):
        advance(pr, targets, saved[index]["done"], ratio)
        return progress_to_json(pr)
    advance(pr, targets, DEFAULT_ITERATIONS, ratio)
    out = outputs(finish(pr, targets), seed=SEED)
    assert out.csv == BUNDLED_CSV.read_bytes()
    assert out.report == REPORT.read_bytes()
    return None


def expected_end(index: int) -> dict:
    return _saved()["checkpoints"][index]

"""The shipped cohort's annealing search, replayed in three spans from saved checkpoints.

``tests/reference/cohort_search/checkpoints.json`` holds four states of one uninterrupted
default run (seed and 200,000 iterations), written by ``make_checkpoints.py`` beside it,
which refuses to write unless that run gives the shipped CSV and report byte for byte. Here
the search loop (``search.advance``, the same loop as an uninterrupted run, which
``test_cohort.py`` checks on a short run) replays three spans of 4,000 iterations each:

- from the seed to checkpoint 0 (the search's start and its random stream);
- from checkpoint 1 to checkpoint 2, in the middle of the cooling schedule;
- from checkpoint 3 to the end, whose outputs must be the shipped files byte for byte.

That is 6% of the run (about 15 s of one core). The whole run took 4 minutes of one core
and, scheduled last by xdist, 7 of a 32-minute CI run; ``make_checkpoints.py --check``
replays it whole after a change to ``hccdash/cohort/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def saved() -> list[dict]:
    payload = json.loads(CHECKPOINTS.read_text())
    assert payload["seed"] == SEED and payload["iterations"] == DEFAULT_ITERATIONS
    assert [c["done"] for c in payload["checkpoints"]] == [4_000, 100_000, 104_000, 196_000]
    return payload["checkpoints"]


@pytest.fixture(scope="module")
def targets():
    return build_targets(load_published())


def test_the_first_span_from_the_seed_ends_on_checkpoint_0(saved, targets):
    pr = start(targets, seed=SEED)
    advance(pr, targets, saved[0]["done"], ratio_of(DEFAULT_ITERATIONS))
    assert progress_to_json(pr) == saved[0]


def test_a_span_in_the_middle_ends_on_the_next_checkpoint(saved, targets):
    pr = progress_from_json(saved[1])
    advance(pr, targets, saved[2]["done"], ratio_of(DEFAULT_ITERATIONS))
    assert progress_to_json(pr) == saved[2]


def test_the_last_span_gives_the_shipped_files_byte_for_byte(saved, targets):
    """The exact outputs of ``python -m hccdash.cohort`` (``generator.outputs``)."""
    pr = progress_from_json(saved[3])
    advance(pr, targets, DEFAULT_ITERATIONS, ratio_of(DEFAULT_ITERATIONS))
    out = outputs(finish(pr, targets), seed=SEED)
    assert out.csv == BUNDLED_CSV.read_bytes()
    assert out.report == REPORT.read_bytes()

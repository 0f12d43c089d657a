"""Segment 3 of 3 of the shipped cohort's search (see ``cohort_segments.py``)."""

from __future__ import annotations

from cohort_segments import run_segment


def test_segment_3_from_checkpoint_2_gives_the_shipped_files_byte_for_byte():
    """The exact outputs of ``python -m hccdash.cohort`` (``generator.outputs``), from the
    search resumed at checkpoint 2; its two assertions compare the bytes."""
    assert run_segment(2) is None

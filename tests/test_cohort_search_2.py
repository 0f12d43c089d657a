"""Segment 2 of 3 of the shipped cohort's search (see ``cohort_segments.py``)."""

from __future__ import annotations

from cohort_segments import expected_end, run_segment


def test_segment_2_ends_on_checkpoint_2():
    assert run_segment(1) == expected_end(1)

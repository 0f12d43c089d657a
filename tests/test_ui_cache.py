"""Cache keys of the cached analyses (hccdash.ui.cache.frame_fingerprint)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.runtime.caching import hashing

from hccdash.synth import generate
from hccdash.ui import cache


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return generate(60_000, seed=7)


def _row_outside_streamlits_sample(data: pd.DataFrame) -> int:
    """A row position Streamlit's default DataFrame hash never looks at (it samples 10,000)."""
    sampled = data.sample(n=hashing._PANDAS_SAMPLE_SIZE, random_state=hashing._sample_seed())
    outside = np.setdiff1d(np.arange(len(data)), data.index.get_indexer(sampled.index))
    return int(outside[0])


def test_streamlits_default_hash_misses_a_changed_event_but_ours_does_not(big):
    """One patient's event recoded (same rows, same shape): a different key, a fresh result."""
    pos = _row_outside_streamlits_sample(big)
    changed = big.copy()
    changed.iloc[pos, changed.columns.get_loc("os_event")] = 1 - big["os_event"].iloc[pos]

    # Streamlit's own key for these two frames is the same (the reason for frame_fingerprint).
    h1, h2 = (hashing._CacheFuncHasher(None) for _ in range(2))
    assert h1.to_bytes(big) == h2.to_bytes(changed), "Streamlit's sample now sees the row"

    assert cache.frame_fingerprint(big) != cache.frame_fingerprint(changed)
    a = cache.kaplan_meier(big, "os_months", "os_event")
    b = cache.kaplan_meier(changed, "os_months", "os_event")
    assert b.events == a.events + (1 if big["os_event"].iloc[pos] == 0 else -1)


def test_fingerprint_is_stable_and_sees_rows_numbers_and_small_frames(big):
    assert cache.frame_fingerprint(big) == cache.frame_fingerprint(big.copy())
    # A filter keeping other rows of the same count: the index differs.
    a, b = big.iloc[:30_000], big.iloc[30_000:]
    assert len(a) == len(b) and cache.frame_fingerprint(a) != cache.frame_fingerprint(b)
    # A time moved by 0.1 month.
    moved = big.copy()
    moved.iloc[123, moved.columns.get_loc("os_months")] += 0.1
    assert cache.frame_fingerprint(moved) != cache.frame_fingerprint(big)
    # Small frames are hashed whole, text included.
    small = big.iloc[:100].copy()
    relabelled = small.copy()
    relabelled.iloc[50, relabelled.columns.get_loc("child_pugh")] = "C"
    if small["child_pugh"].iloc[50] != "C":
        assert cache.frame_fingerprint(small) != cache.frame_fingerprint(relabelled)

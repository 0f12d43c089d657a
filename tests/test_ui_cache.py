"""Cache keys of the cached analyses (hccdash.ui.cache.frame_fingerprint).

Streamlit's default DataFrame hash samples rows of large frames (the reason for
``frame_fingerprint``); these tests do not read Streamlit's internals to prove that, they
check our key sees a change in any row.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hccdash.synth import generate
from hccdash.ui import cache


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return generate(60_000, seed=7)


@pytest.mark.parametrize("pos", [0, 12_345, 59_999])
def test_one_changed_event_anywhere_gives_a_new_key_and_a_fresh_result(big, pos):
    """One patient's event recoded (same rows, same shape): a different key, a fresh result."""
    changed = big.copy()
    changed.iloc[pos, changed.columns.get_loc("os_event")] = 1 - big["os_event"].iloc[pos]
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
    # Small frames are hashed whole, text included: one level changed to another level.
    small = big.iloc[:100].copy()
    relabelled = small.copy()
    old = small["child_pugh"].iloc[50]
    new = next(v for v in ("A", "B", "C") if v != old)
    relabelled.iloc[50, relabelled.columns.get_loc("child_pugh")] = new
    assert relabelled["child_pugh"].iloc[50] != small["child_pugh"].iloc[50]
    assert cache.frame_fingerprint(small) != cache.frame_fingerprint(relabelled)

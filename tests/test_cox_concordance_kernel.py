"""hccdash.cox.concordance.dominance_sums, the one pair-counting kernel of both concordances.

Checked against the definition ``out[i] = sum(w[j] for j < i if v[j] < v[i])`` computed by
brute force, across the sizes where the algorithm changes (its 32-item base case, the chunked
base case, the merge levels, the power-of-two padding), for integer and float weights, one or
several columns, and many ties. The concordances built on it are checked against R in
test_cox.py (``fit$concordance``) and test_coxext_concordance.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from hccdash.cox import concordance as conc
from hccdash.cox.concordance import dominance_sums


def brute(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    n = v.size
    mask = (v[None, :] < v[:, None]) & np.tri(n, n, -1, dtype=bool)  # [i, j]: j < i, v_j < v_i
    return mask.astype(w.dtype) @ w


@pytest.mark.parametrize("n", [1, 2, 3, 31, 32, 33, 64, 100, 257, 1500])
def test_integer_counts_equal_the_definition(n):
    rng = np.random.default_rng(n)
    v = rng.integers(0, max(n // 5, 1), n)  # many ties
    w = np.column_stack([np.ones(n, dtype=np.int64), rng.integers(0, 2, n)])
    out = dominance_sums(v, w)
    assert out.dtype == np.int64 and out.shape == (n, 2)
    np.testing.assert_array_equal(out, brute(v, w))


@pytest.mark.parametrize("n", [5, 40, 333, 1200])
def test_float_weights_equal_the_definition(n):
    rng = np.random.default_rng(100 + n)
    v = rng.integers(0, n, n)
    w = rng.exponential(1.0, n)
    out = dominance_sums(v, w)
    assert out.dtype == np.float64 and out.shape == (n,)
    np.testing.assert_allclose(out, brute(v, w), rtol=1e-12, atol=1e-12)


def test_chunked_base_case_and_distinct_values(monkeypatch):
    """Several passes of the base case (its chunk forced small) give the same counts; with
    distinct values in descending order nothing earlier is smaller."""
    rng = np.random.default_rng(7)
    v = rng.permutation(3000)
    w = rng.integers(0, 5, (3000, 3))
    whole = dominance_sums(v, w)
    monkeypatch.setattr(conc, "_CHUNK", 2)
    np.testing.assert_array_equal(dominance_sums(v, w), whole)
    np.testing.assert_array_equal(whole, brute(v, w))
    desc = np.arange(500)[::-1]
    assert not dominance_sums(desc, np.ones(500, dtype=np.int64)).any()
    asc = np.arange(500)
    np.testing.assert_array_equal(dominance_sums(asc, np.ones(500, dtype=np.int64)), asc)


def test_empty_input():
    out = dominance_sums(np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64))
    assert out.shape == (0, 2) and out.dtype == np.int64

"""hccdash.chisq: the chi-square upper tail by closed forms (integer df), scipy elsewhere.

R: ``qchisq(0.95, df)`` for df 1-5 and 10 (printed with ``sprintf("%.17g")``) has upper
tail 0.05; on a grid the closed forms equal ``scipy.special.chdtrc`` (cephes' igamc, what
``scipy.stats.chi2.sf`` runs) to 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import chdtrc

from hccdash.chisq import chi2, chi2_sf

R_Q95 = {  # R: sprintf("%.17g", qchisq(0.95, df))
    1: 3.8414588206941236,
    2: 5.9914645471079799,
    3: 7.8147279032511765,
    4: 9.4877290367811540,
    5: 11.070497693516351,
    10: 18.307038053275146,
}


@pytest.mark.parametrize("df", sorted(R_Q95))
def test_upper_tail_at_r_quantiles(df):
    assert chi2_sf(R_Q95[df], df) == pytest.approx(0.05, rel=1e-12)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 10, 25, 64, 199])
def test_closed_forms_equal_chdtrc(df):
    xs = np.sort(np.concatenate([[0.0], np.geomspace(1e-10, 1e5, 400), [df - 0.5, df + 0.5]]))
    ours = np.array([chi2_sf(x, df) for x in xs])
    ref = chdtrc(df, xs)
    keep = ref > 1e-300
    np.testing.assert_allclose(ours[keep], ref[keep], rtol=1e-12)
    assert np.all((ours >= 0) & (ours <= 1))
    assert np.all(np.diff(ours) <= 1e-15)  # decreasing in x (to rounding)


def test_outside_the_closed_forms_scipy_decides():
    """Fractional df, df over 200, a negative or infinite statistic: chdtrc's values."""
    for x, df in ((3.0, 2.5), (250.0, 230), (-1.0, 2), (math.inf, 1), (math.inf, 4)):
        a, b = chi2_sf(x, df), float(chdtrc(df, x))
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-14, abs=0)
    assert math.isnan(chi2_sf(math.nan, 1))
    assert chi2.sf(R_Q95[1], 1) == chi2_sf(R_Q95[1], 1)

"""The chi-square upper tail without importing scipy (1-2 s of CLI start-up).

``scipy.stats.chi2.sf(x, df)`` is ``scipy.special.chdtrc(df, x)``. Every test here has an
integer df (groups - 1, a trend's 1, a model's terms), where the tail has a closed form:
for even df, ``exp(-x/2) sum_{k<df/2} (x/2)^k / k!``; for odd df, ``erfc(sqrt(x/2)) +
exp(-x/2) sum_{k=1}^{(df-1)/2} (x/2)^(k-1/2) / Gamma(k+1/2)``, a sum of positive terms with
no cancellation (tests/test_chisq.py: equal to ``chdtrc`` to 1e-13 on a grid). So the
``analyze`` process (registry scale, issue 19) loads no scipy for its tests; a fractional
df, df over ``_CLOSED_DF`` or a negative statistic goes to ``chdtrc`` (scipy.special, imported
then). Beyond x = 1200, where ``exp(-x/2)`` nears underflow, the terms are summed in logs.
"""

from __future__ import annotations

import math

__all__ = ["chi2", "chi2_sf"]

_CLOSED_DF = 200  # above this many df, the sums' terms could overflow: scipy's chdtrc


def _closed_form(x: float, df: int) -> float:
    half = x / 2.0
    odd = df % 2
    n_terms = (df - 1) // 2 if odd else df // 2  # k = 1..n_terms (odd), 0..n_terms-1 (even)
    tail = math.erfc(math.sqrt(half)) if odd else 0.0
    if half > 600.0:  # exp(-x/2) near underflow: each term in logs (rel. error ~ x * 1e-16)
        ks = [k - 0.5 for k in range(1, n_terms + 1)] if odd else list(range(n_terms))
        log_h = math.log(half)
        return tail + sum(math.exp(-half + k * log_h - math.lgamma(k + 1)) for k in ks)
    # the same terms by recurrence: t_k = t_(k-1) * (x/2) / k (even), / (k + 1/2) (odd)
    term = math.sqrt(2.0 * x / math.pi) if odd else 1.0  # (x/2)^(1/2) / Gamma(3/2); 1
    total = term if n_terms else 0.0
    for k in range(1, n_terms):
        term *= half / (k + 0.5 if odd else k)
        total += term
    return tail + math.exp(-half) * total


def chi2_sf(x: float, df: float) -> float:
    """P(X > x) for X ~ chi-square(df), as R ``pchisq(x, df, lower.tail = FALSE)``.

    Examples
    --------
    >>> round(chi2_sf(3.841458820694124, 1), 12)
    0.05
    >>> round(chi2_sf(5.991464547107979, 2), 12)
    0.05
    """
    x, df = float(x), float(df)
    if math.isnan(x) or math.isnan(df):
        return math.nan
    if x == math.inf and df > 0:
        return 0.0
    if df.is_integer() and 0 < df <= _CLOSED_DF and x >= 0:
        return min(1.0, _closed_form(x, int(df)))  # a rounding above 1 near x = 0
    from scipy.special import chdtrc

    return float(chdtrc(df, x))


class _Chi2:
    """``chi2.sf`` with scipy.stats' signature."""

    @staticmethod
    def sf(x: float, df: float) -> float:
        return chi2_sf(x, df)


chi2 = _Chi2()

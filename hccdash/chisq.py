"""The chi-square upper tail without importing ``scipy.stats`` (1-2 s of CLI start-up).

``scipy.stats.chi2.sf(x, df)`` is ``scipy.special.chdtrc(df, x)``; this module exposes the
latter under the former's name so the log-rank family reads the same and the ``analyze``
process (registry scale, issue 19) does not pay for loading every distribution.
"""

from __future__ import annotations

from scipy.special import chdtrc

__all__ = ["chi2", "chi2_sf"]


def chi2_sf(x: float, df: float) -> float:
    """P(X > x) for X ~ chi-square(df), as R ``pchisq(x, df, lower.tail = FALSE)``.

    Examples
    --------
    >>> round(chi2_sf(3.841458820694124, 1), 12)
    0.05
    """
    return float(chdtrc(df, x))


class _Chi2:
    """``chi2.sf`` with scipy.stats' signature."""

    @staticmethod
    def sf(x: float, df: float) -> float:
        return chi2_sf(x, df)


chi2 = _Chi2()

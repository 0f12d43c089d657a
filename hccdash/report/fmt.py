"""The one home of journal number formatting: p values, estimates with CIs, percentages.

Every table the pages show and every exported table (DOCX, XLSX) formats through these
functions, so a p value reads the same in the Cox table, the baseline table and a figure
caption. Rules:

- p values: ``"<0.001"`` below 0.001, otherwise two significant digits (``"0.012"``,
  ``"0.22"``, ``"0.10"``, ``"1.0"``): the default ``"journal"`` style, as gtsummary's
  ``style_pvalue(digits = 2)`` but with significant digits. Other styles: ``"3dp"`` (three
  decimals) and ``"nejm"`` (NEJM: two decimals, three between 0.001 and 0.01, ``">0.99"``).
- hazard ratios with 95% CI: two decimals, ``"1.23 (0.45–3.40)"``.
- an estimate that was not reached (a median whose curve never fell to 0.5): ``"NR"``, and the
  table gets a footnote saying so.
- a value that does not apply or cannot be computed: ``"—"`` (an em dash). No function here
  ever returns ``"None"`` or ``"nan"``.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = [
    "DASH",
    "NR",
    "P_STYLES",
    "format_ci",
    "format_count_pct",
    "format_estimate_ci",
    "format_hr_ci",
    "format_number",
    "format_p",
    "format_pct_ci",
    "is_missing",
]

DASH = "—"
NR = "NR"
P_STYLES: dict[str, str] = {
    "journal": "<0.001, otherwise 2 significant digits",
    "3dp": "<0.001, otherwise 3 decimals",
    "nejm": "NEJM: <0.001; 3 decimals below 0.01; 2 decimals above; >0.99",
}


def is_missing(value: object) -> bool:
    """True for None, pandas NA, NaN and infinities (a value a table cannot print).

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0.3)
    (True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, Real):
        return not math.isfinite(float(value))
    try:  # pandas.NA and numpy scalars
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def format_p(p: float | None, style: str = "journal") -> str:
    """A p value as a journal prints it; ``"—"`` when there is none.

    Parameters
    ----------
    p : float or None
    style : {"journal", "3dp", "nejm"}
        See :data:`P_STYLES`.

    Examples
    --------
    >>> [format_p(p) for p in (0.0004, 0.01234, 0.2245, 0.1, 1.0, None)]
    ['<0.001', '0.012', '0.22', '0.10', '1.0', '—']
    >>> [format_p(p, "3dp") for p in (0.0004, 0.2245)]
    ['<0.001', '0.225']
    >>> [format_p(p, "nejm") for p in (0.0004, 0.0042, 0.0456, 0.2245, 0.996)]
    ['<0.001', '0.004', '0.05', '0.22', '>0.99']
    """
    if style not in P_STYLES:
        raise ValueError(f"p-value style {style!r} is unknown: use one of {list(P_STYLES)}.")
    if is_missing(p):
        return DASH
    p = float(p)
    if p < 0.001:
        return "<0.001"
    if style == "3dp":
        return f"{p:.3f}"
    if style == "nejm":
        if p > 0.99:
            return ">0.99"
        return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"
    # two significant digits, keeping a trailing zero ("0.10"); 0.9995 rounds up to "1.0"
    text = f"{p:#.2g}"
    return text.rstrip(".") if "e" not in text else f"{p:.3f}"


def format_number(value: float | None, digits: int = 1, *, missing: str = DASH) -> str:
    """A number with ``digits`` decimals; ``missing`` (default ``"—"``) when absent.

    Examples
    --------
    >>> format_number(12.345), format_number(None), format_number(float("nan"), 2)
    ('12.3', '—', '—')
    """
    if is_missing(value):
        return missing
    return f"{float(value):.{digits}f}"


def format_ci(
    lower: float | None, upper: float | None, digits: int = 2, *, nr: bool = False
) -> str:
    """``"lower–upper"``; a missing limit is ``"NR"`` when ``nr`` else ``"—"``.

    Examples
    --------
    >>> format_ci(0.5, 2.25), format_ci(12.2, None, 1, nr=True)
    ('0.50–2.25', '12.2–NR')
    """
    miss = NR if nr else DASH
    lo = format_number(lower, digits, missing=miss)
    return f"{lo}–{format_number(upper, digits, missing=miss)}"


def format_estimate_ci(
    est: float | None,
    lower: float | None,
    upper: float | None,
    digits: int = 1,
    *,
    nr: bool = True,
) -> str:
    """``"est (lower–upper)"``; for survival medians a missing value is ``"NR"`` (not reached).

    With ``nr=False`` a missing estimate gives ``"—"`` alone.

    Examples
    --------
    >>> format_estimate_ci(21.1, 12.2, None)
    '21.1 (12.2–NR)'
    >>> format_estimate_ci(None, 8.0, None)
    'NR (8.0–NR)'
    >>> format_estimate_ci(None, None, None, nr=False)
    '—'
    """
    if is_missing(est) and not nr:
        return DASH
    miss = NR if nr else DASH
    return f"{format_number(est, digits, missing=miss)} ({format_ci(lower, upper, digits, nr=nr)})"


def format_hr_ci(hr: float | None, lower: float | None, upper: float | None) -> str:
    """Hazard ratio with its CI at two decimals; ``"—"`` when the model gave none.

    Examples
    --------
    >>> format_hr_ci(1.234, 0.451, 3.4)
    '1.23 (0.45–3.40)'
    >>> format_hr_ci(float("nan"), 0.1, 2.0)
    '—'
    """
    if is_missing(hr):
        return DASH
    return f"{float(hr):.2f} ({format_ci(lower, upper, 2)})"


def format_count_pct(k: int, n: int, digits: int = 0) -> str:
    """``"k (pct%)"`` of ``n``; ``"0"``-safe (``"0 (—)"`` when ``n`` is 0).

    Examples
    --------
    >>> format_count_pct(3, 21), format_count_pct(3, 21, 1), format_count_pct(0, 0)
    ('3 (14%)', '3 (14.3%)', '0 (—)')
    """
    if not n:
        return f"{int(k)} ({DASH})"
    return f"{int(k)} ({100.0 * k / n:.{digits}f}%)"


def format_pct_ci(est: float | None, lower: float | None, upper: float | None, digits=1) -> str:
    """A proportion with its CI as percentages, ``"45.0% (23.1–68.5)"``; ``"—"`` if absent.

    Examples
    --------
    >>> format_pct_ci(0.45, 0.231, 0.685)
    '45.0% (23.1–68.5)'
    """
    if is_missing(est):
        return DASH
    lo = None if is_missing(lower) else 100 * float(lower)
    hi = None if is_missing(upper) else 100 * float(upper)
    return f"{100 * float(est):.{digits}f}% ({format_ci(lo, hi, digits)})"

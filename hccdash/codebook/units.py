"""Time units: the one table of months per unit (a month is 365.25 / 12 = 30.4375 days).

Every conversion reads it: the codebook's endpoints, the mapping step's unit choice and check,
the figures' and pages' display units.

>>> TO_MONTHS["years"], round(365.25 * TO_MONTHS["days"], 12)
(12.0, 12.0)
"""

from __future__ import annotations

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
TO_MONTHS: dict[str, float] = {
    "days": 1 / DAYS_PER_MONTH, "weeks": 7 / DAYS_PER_MONTH, "months": 1.0, "years": 12.0,
}  # fmt: skip

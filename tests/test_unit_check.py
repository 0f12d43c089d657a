"""The unit check of the mapping step (hccdash.mapping.unit_check): days read as months are a
warning with a one-click fix; a real long registry follow-up is not."""

from __future__ import annotations

import pandas as pd

from hccdash.mapping import ColumnMapping, unit_check


def _advice(times, unit="months"):
    d = pd.DataFrame({"t": times, "e": [1, 0] * (len(times) // 2) + [1] * (len(times) % 2)})
    return unit_check(d, ColumnMapping(os_time="t", os_event="e", time_unit=unit))


def test_mgus2_like_follow_up_in_months_is_not_called_days():
    """R's survival::mgus2 (futime in months): longest 424 (35 years), median 94."""
    assert _advice([1.0, 30.0, 94.0, 94.0, 200.0, 424.0]) is None


def test_days_read_as_months_are_caught_by_the_maximum_or_by_the_median():
    # GBSG2-like: 2659 days read as months would be 222 years
    assert _advice([72.0, 500.0, 1084.0, 2659.0]).suggested == "days"
    # one year of follow-up in days: 400 "months" (33 years) with a median of 200 (17 years)
    advice = _advice([20.0, 150.0, 200.0, 250.0, 400.0])
    assert advice.suggested == "days"
    assert "Read as months, the longest follow-up is 33 years" in advice.message


def test_a_short_follow_up_in_months_read_as_days_is_caught():
    assert _advice([1.0, 5.0, 12.0, 40.0], unit="days").suggested == "months"

"""The input boundary: readable errors that name column, rows, values and fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash.errors import HccdashError, InputError
from hccdash.nonparametric import kaplan_meier
from hccdash.validate import complete_cases, survival_arrays, validate_survival


def _frame(**overrides) -> pd.DataFrame:
    base = {
        "pid": ["P01", "P02", "P03", "P04", "P05", "P06", "P07"],
        "t": [3.0, 5.0, 7.5, 2.0, 9.0, 4.0, 6.0],
        "e": [1, 0, 1, 1, 0, 1, 0],
        "arm": ["A", "B", "A", "B", "A", "B", "A"],
        "age": [50, 61, 72, 48, 55, 66, 59],
    }
    base.update(overrides)
    return pd.DataFrame(base, index=[f"r{i}" for i in range(7)])


def test_valid_data_pass():
    validate_survival(_frame(), "t", "e", group="arm", covariates=["age"], id_column="pid")


def test_zero_rows():
    with pytest.raises(InputError, match="0 rows"):
        validate_survival(_frame().iloc[:0], "t", "e")


def test_missing_column_is_named():
    with pytest.raises(InputError, match=r"Column 'os' is not in the data .*'pid', 't'"):
        validate_survival(_frame(), "os", "e")


def test_non_numeric_times_name_rows_values_and_fix():
    data = _frame(t=["3", "5", "abc", "2", "n/a?", "4", "6"])
    with pytest.raises(InputError) as err:
        validate_survival(data, "t", "e", id_column="pid")
    msg = str(err.value)
    assert "Column 't' (time) has 2 rows with a non-numeric time" in msg
    assert "'P03', 'P05'" in msg  # row labels from id_column
    assert "'abc', 'n/a?'" in msg  # values quoted with !r
    assert "Times must be numbers" in msg


def test_negative_and_infinite_times_use_index_labels():
    data = _frame(t=[3.0, -1.0, 7.5, np.inf, 9.0, -2.5, 6.0])
    with pytest.raises(InputError) as err:
        validate_survival(data, "t", "e")
    msg = str(err.value)
    assert "3 rows with a negative or infinite time" in msg
    assert "'r1', 'r3', 'r5'" in msg
    assert "-1.0, inf, -2.5" in msg
    assert ">= 0" in msg


def test_many_bad_rows_are_previewed():
    data = _frame(e=[2, 2, 2, 2, 2, 2, 2])
    with pytest.raises(InputError) as err:
        validate_survival(data, "t", "e")
    msg = str(err.value)
    assert "7 rows with codes other than 0/1" in msg
    assert "'r0', 'r1', 'r2', 'r3', 'r4' and 2 more" in msg
    assert "values 2" in msg
    assert "1 (event happened) and 0 (censored)" in msg


def test_event_text_codes_rejected_and_bool_accepted():
    with pytest.raises(InputError, match="'dead'"):
        validate_survival(_frame(e=["dead", 0, 1, 1, 0, 1, 0]), "t", "e")
    validate_survival(_frame(e=[True, False, True, True, False, True, False]), "t", "e")
    _, e, missing = survival_arrays(_frame(e=[1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]), "t", "e")
    assert e.dtype == np.int8 and e.tolist() == [1, 0, 1, 1, 0, 1, 0]
    assert not missing.any()


def test_missing_values_in_each_role():
    with pytest.raises(InputError, match=r"Column 't' \(time\) has 1 row with a missing value"):
        validate_survival(_frame(t=[3.0, None, 7.5, 2.0, 9.0, 4.0, 6.0]), "t", "e")
    with pytest.raises(InputError, match=r"'arm' \(group\) has 2 rows .*'P02', 'P04'"):
        validate_survival(
            _frame(arm=["A", None, "A", np.nan, "A", "B", "A"]),
            "t",
            "e",
            group="arm",
            id_column="pid",
        )
    with pytest.raises(InputError, match=r"'age' \(covariate\) has 1 row"):
        validate_survival(_frame(age=[50, 61, None, 48, 55, 66, 59]), "t", "e", covariates=["age"])


def test_errors_are_value_errors():
    assert issubclass(InputError, HccdashError) and issubclass(InputError, ValueError)


def test_complete_cases_counts_dropped_rows():
    data = _frame(t=[3.0, None, 7.5, 2.0, 9.0, 4.0, 6.0], arm=["A", "B", None, "B", "A", "B", "A"])
    frame, dropped = complete_cases(data, ["t", "e", "arm"])
    assert dropped == 2
    assert frame.index.tolist() == ["r0", "r3", "r4", "r5", "r6"]
    same, zero = complete_cases(_frame(), ["t", "e"])
    assert zero == 0 and same is not None and len(same) == 7
    with pytest.raises(InputError, match="'nope'"):
        complete_cases(_frame(), ["nope"])


def test_analysis_drops_incomplete_rows_and_reports_them():
    data = _frame(t=[3.0, None, 7.5, 2.0, 9.0, 4.0, 6.0], arm=["A", "B", None, "B", "A", "B", "A"])
    km = kaplan_meier(data, "t", "e", "arm")
    assert km.dropped == 2 and km.n == 5
    # a present but invalid value is an error, not a silent drop
    with pytest.raises(InputError, match="negative"):
        kaplan_meier(_frame(t=[3.0, -1, 7.5, 2.0, 9.0, 4.0, 6.0]), "t", "e")


def test_caller_frame_is_never_modified():
    data = _frame(t=[-0.0, 5.0, 7.5, 2.0, 9.0, 4.0, 6.0])
    before = data.copy()
    t, _, _ = survival_arrays(data, "t", "e")
    t[:] = 99.0
    pd.testing.assert_frame_equal(data, before)


def test_analysis_on_zero_rows_says_so():
    with pytest.raises(InputError, match="0 rows"):
        kaplan_meier(_frame().iloc[:0], "t", "e")

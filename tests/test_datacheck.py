"""hccdash.datacheck: every problem kind with its rows and values; exclusion only on confirm."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from hccdash import io as hio
from hccdash.datacheck import Problem, check, to_cohort
from hccdash.errors import InputError
from hccdash.mapping import ColumnMapping, guess_mapping
from hccdash.schema import BUNDLED_CSV
from hccdash.validate import validate_survival

BOTH = ColumnMapping(patient_id="id", os_time="os", os_event="ose", pfs_time="pfs",
                     pfs_event="pfse")  # fmt: skip
TODAY = date(2025, 6, 1)


def frame(**changes) -> pd.DataFrame:
    n = 12
    df = pd.DataFrame(
        {
            "id": [f"P{i:02d}" for i in range(1, n + 1)],
            "os": [float(10 + i) for i in range(n)],
            "ose": [1, 0] * (n // 2),
            "pfs": [float(5 + i) for i in range(n)],
            "pfse": [1] * n,
            "arm": ["A", "B"] * (n // 2),
        }
    ).astype(object)
    for col, values in changes.items():
        for i, v in values.items():
            df.loc[i, col] = v
    return df


def kinds(report) -> dict[str, Problem]:
    return {p.kind: p for p in report.problems}


def test_clean_table_has_no_problem():
    report = check(frame(), BOTH, today=TODAY)
    # Only the dataset-level note: 6 OS events (< 10); PFS has 12.
    assert [(p.kind, p.column, p.fatal) for p in report.problems] == [
        ("too_few_events", "ose", False)
    ]
    assert report.ok
    out = report.clean()
    assert len(out) == 12 and out["os_event"].dtype == np.int64


def test_each_row_problem_names_rows_values_and_fix():
    df = frame(
        os={0: "abc", 1: -2.0, 2: 0.0, 3: None, 4: float("inf")},
        ose={5: 2, 6: None},
        pfs={7: 99.0},
        id={9: "P09"},
    )
    report = check(df, BOTH, today=TODAY)
    k = kinds(report)
    assert (k["time_not_number"].rows, k["time_not_number"].values) == (("P01",), ("abc",))
    assert k["time_not_number"].fatal and k["time_not_number"].column == "os"
    assert (k["time_negative"].rows, k["time_negative"].values) == (("P02",), ("-2",))
    assert (k["time_zero"].rows, k["time_zero"].fatal) == (("P03",), False)
    assert (k["time_missing"].rows, k["time_missing"].fatal) == (("P04",), False)
    assert k["time_not_finite"].rows == ("P05",)
    assert (k["event_unknown"].rows, k["event_unknown"].values) == (("P06",), ("2",))
    assert (k["event_missing"].rows, k["event_missing"].fatal) == (("P07",), False)
    assert k["pfs_after_os"].rows == ("P02", "P03", "P08")
    assert k["pfs_after_os"].values == ("6 > -2", "7 > 0", "99 > 17")
    assert k["duplicate_id"].rows == ("P09", "P09")
    assert "1 row has a negative OS time (values '-2'): 'P02'" in k["time_negative"].message
    assert "cannot be negative" in k["time_negative"].fix
    table = report.to_frame()
    assert list(table.columns) == ["severity", "column", "rows", "value", "problem", "fix"]
    fatal_first = ["fatal"] * 6 + ["warning"] * (len(table) - 6)
    assert table["severity"].tolist() == fatal_first


def test_fatal_rows_are_excluded_only_after_confirmation():
    df = frame(os={1: -2.0}, id={9: "P09"}, ose={5: 7})
    report = check(df, BOTH, today=TODAY)
    with pytest.raises(InputError, match=r"3 of 12 rows have fatal problems.*confirm"):
        report.clean()
    out = report.clean(exclude_fatal=True)
    # P02 (negative), P06 (event 7) and the second P09 row go; the first P09 stays.
    assert out["patient_id"].tolist() == ["P01", "P03", "P04", "P05", "P07", "P08", "P09",
                                          "P11", "P12"]  # fmt: skip
    assert out.loc[out["patient_id"] == "P09", "os_months"].tolist() == [18.0]
    cohort = to_cohort(report, "Uploaded: x", "x.csv", exclude_fatal=True)
    assert cohort.reconstructed is False and cohort.n == 9
    validate_survival(cohort.data, "os_months", "os_event", id_column="patient_id")


def test_dates_mixed_formats_order_future_and_missing():
    df = pd.DataFrame(
        {
            "id": ["A", "B", "C", "D", "E", "F"],
            "start": ["2020-01-01", "01/02/2020", "2020-01-01", "2020-01-01", "2020-01-01", ""],
            "prog": ["2020-03-01", "", "2019-12-01", "", "", ""],
            "death": ["", "", "", "2020-02-01", "", ""],
            "last": ["2020-06-01", "2020-06-01", "2020-06-01", "2020-03-01", "2030-01-01",
                     "2020-06-01"],
        }
    )  # fmt: skip
    m = ColumnMapping(patient_id="id", start_date="start", progression_date="prog",
                      death_date="death", last_followup_date="last")  # fmt: skip
    report = check(df, m, today=TODAY)
    k = kinds(report)
    assert k["date_invalid"].rows == ("B",) and "mixed date formats" in k["date_invalid"].message
    assert "DD/MM/YYYY" in k["date_invalid"].message
    assert k["date_future"].rows == ("E",) and k["date_future"].values == ("2030-01-01",)
    orders = [p for p in report.problems if p.kind == "date_order"]
    assert [(p.rows, p.values) for p in orders] == [
        (("C",), ("2020-01-01 → 2019-12-01",)),
        (("D",), ("2020-03-01 → 2020-02-01",)),
    ]
    missing = [p for p in report.problems if p.kind == "time_missing"]
    assert {r for p in missing for r in p.rows} == {"F"}


def test_dataset_level_problems():
    one = frame().head(1)
    report = check(one, BOTH, today=TODAY)
    assert [p.kind for p in report.blocking] == ["too_few_patients"]
    with pytest.raises(InputError, match="only 1 patient"):
        report.clean(exclude_fatal=True)
    few = frame().head(5).assign(ose=0)
    problems = check(few, BOTH, today=TODAY).problems
    assert [(p.kind, p.fatal) for p in problems] == [
        ("few_patients", False), ("too_few_events", False), ("too_few_events", False),
    ]  # fmt: skip
    assert problems[1].message.startswith("no OS events among 5 patients")
    assert problems[2].message.startswith("only 5 PFS events")


def test_constant_and_unreadable_role_columns_and_formula_text():
    df = frame(arm={3: '=HYPERLINK("http://x")'}).assign(site="Lung", kps=[80] * 11 + [150])
    df["pvtt"] = ["yes", "no", "maybe"] + ["no"] * 9
    m = ColumnMapping(patient_id="id", os_time="os", os_event="ose", kps="kps", pvtt="pvtt",
                      extra_factors=("site", "arm"))  # fmt: skip
    report = check(df, m, today=TODAY)
    assert report.ok  # all warnings
    k = kinds(report)
    assert k["constant_column"].column == "site" and "'Lung'" in k["constant_column"].message
    roles = [p for p in report.problems if p.kind == "role_value"]
    assert [(p.column, p.rows, p.values) for p in roles] == [
        ("kps", ("P12",), ("150",)), ("pvtt", ("P03",), ("maybe",)),
    ]  # fmt: skip
    assert k["formula_text"].rows == ("P04",) and k["formula_text"].column == "arm"
    assert report.clean()["arm"].iloc[3] == '=HYPERLINK("http://x")'  # kept as text
    assert hio.neutralise_formulas(report.clean())["arm"].iloc[3].startswith("'=")


def test_implausible_months_depends_on_the_unit():
    df = frame(os={2: 5000.0})
    k = kinds(check(df, BOTH, today=TODAY))
    assert k["time_implausible"].rows == ("P03",)
    days = ColumnMapping(patient_id="id", os_time="os", os_event="ose", time_unit="days")
    assert "time_implausible" not in kinds(check(df, days, today=TODAY))
    assert "time_implausible" not in kinds(check(df, BOTH, plausible_months=None))


def test_bundled_cohort_passes_without_fatal_problems():
    raw = hio.read_table(BUNDLED_CSV).data
    report = check(raw, guess_mapping(raw), today=TODAY)
    assert report.fatal == ()
    assert report.clean().shape[0] == 21

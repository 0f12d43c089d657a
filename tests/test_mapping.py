"""hccdash.mapping: guessing, applying, date derivation, event codes, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hccdash import io as hio
from hccdash.codebook import DAYS_PER_MONTH
from hccdash.errors import InputError
from hccdash.mapping import (
    DERIVATION_RULE,
    ColumnMapping,
    EventCoding,
    apply_mapping,
    cut_column_name,
    guess_mapping,
    normalise_child_pugh,
    normalise_yes_no,
    parse_dates,
    to_number,
)
from hccdash.schema import BUNDLED_CSV, ROLE_COLUMNS, load_bundled_cohort


def test_bundled_csv_uploaded_gives_the_bundled_cohort():
    """Uploading the bundled file (or the template filled in) reproduces it exactly."""
    raw = hio.read_table(BUNDLED_CSV).data
    mapping = guess_mapping(raw)
    assert (mapping.patient_id, mapping.os_time, mapping.os_event) == (
        "patient_id", "os_months", "os_event",
    )  # fmt: skip
    assert (mapping.pfs_time, mapping.pfs_event, mapping.time_unit) == (
        "pfs_months", "pfs_event", "months",
    )  # fmt: skip
    assert {r: getattr(mapping, r) for r in ROLE_COLUMNS} == {r: r for r in ROLE_COLUMNS}
    canonical = apply_mapping(raw, mapping)
    bundled = load_bundled_cohort().data
    assert sorted(canonical.columns) == sorted(bundled.columns)
    for c in bundled.columns:
        a, b = canonical[c], bundled[c]
        if pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(a.astype(float), b.astype(float), err_msg=c)
        else:
            # the upload's text columns are Categoricals: compare the cells as text
            a, b = a.astype(object), b.astype(object)
            assert a.fillna("<NA>").astype(str).tolist() == b.fillna("<NA>").astype(str).tolist()


def test_guess_chinese_headers_and_units():
    df = pd.DataFrame(
        {
            "编号": ["P1", "P2"],
            "生存时间(天)": [300, 120],
            "生存状态": ["死亡", "存活"],
            "无进展生存期": [100, 120],
            "是否进展": ["是", "否"],
            "肝功能分级": ["A", "B"],
            "门静脉癌栓": ["有", "无"],
            "腹水": ["无", "无"],
            "KPS评分": [80, 70],
            "治疗方式": ["IMRT", "IMRT+TACE"],
        }
    )
    m = guess_mapping(df)
    assert (m.patient_id, m.os_time, m.os_event) == ("编号", "生存时间(天)", "生存状态")
    assert (m.pfs_time, m.pfs_event) == ("无进展生存期", "是否进展")
    assert (m.child_pugh, m.pvtt, m.ascites, m.kps, m.treatment) == (
        "肝功能分级", "门静脉癌栓", "腹水", "KPS评分", "治疗方式",
    )  # fmt: skip
    assert m.time_unit == "days"
    out = apply_mapping(df, m)
    assert out["os_months"].tolist() == [300 / DAYS_PER_MONTH, 120 / DAYS_PER_MONTH]
    assert out["os_event"].tolist() == [1.0, 0.0]
    assert out["pvtt"].tolist() == ["Yes", "No"]


def test_guess_does_not_take_date_columns_as_times_or_events():
    df = pd.DataFrame({"id": [1, 2], "time": ["2020-01-01", "2020-03-01"], "status": [1, 0]})
    m = guess_mapping(df)
    assert m.os_time is None and m.os_event == "status"
    df = pd.DataFrame(
        {"start date": ["2020-01-01", "2020-02-01"], "death": ["2020-06-01", ""],
         "last follow-up": ["2020-06-01", "2021-01-01"]}
    )  # fmt: skip
    m = guess_mapping(df)
    assert (m.os_event, m.death_date, m.start_date, m.last_followup_date) == (
        None, "death", "start date", "last follow-up",
    )  # fmt: skip
    assert m.os_from_dates()


def test_time_units_convert_to_months():
    df = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0]})
    for unit, months in (
        ("days", [1 / 30.4375, 2 / 30.4375]),
        ("weeks", [7 / 30.4375, 14 / 30.4375]),
        ("years", [12.0, 24.0]),
        ("months", [1.0, 2.0]),
    ):
        out = apply_mapping(df, ColumnMapping(os_time="t", os_event="e", time_unit=unit))
        assert out["os_months"].tolist() == months
    with pytest.raises(InputError, match="time unit 'hours'"):
        ColumnMapping(time_unit="hours")


def test_dates_to_durations_by_the_stated_rule():
    """Hand computed: 2020-01-01 -> 2020-07-01 is 182 days = 182 / 30.4375 months."""
    df = pd.DataFrame(
        {
            "start": ["2020-01-01", "2020-01-01", "2020-01-01"],
            "prog": ["2020-03-01", "", "2020-09-01"],
            "death": ["2020-07-01", "", ""],
            "last": ["2020-07-01", "2020-12-31", "2021-01-01"],
        }
    )
    m = ColumnMapping(start_date="start", progression_date="prog", death_date="death",
                      last_followup_date="last")  # fmt: skip
    assert m.os_from_dates() and m.pfs_from_dates()
    out = apply_mapping(df, m)
    assert out["os_months"].tolist() == [182 / 30.4375, 365 / 30.4375, 366 / 30.4375]
    assert out["os_event"].tolist() == [1.0, 0.0, 0.0]
    assert out["pfs_months"].tolist() == [60 / 30.4375, 365 / 30.4375, 244 / 30.4375]
    assert out["pfs_event"].tolist() == [1.0, 0.0, 1.0]
    assert "days / 30.4375" in DERIVATION_RULE


def test_event_column_overrides_the_date_status():
    df = pd.DataFrame({"start": ["2020-01-01"], "last": ["2020-02-01"], "dead": ["yes"]})
    m = ColumnMapping(start_date="start", last_followup_date="last", os_event="dead")
    out = apply_mapping(df, m)
    assert out["os_months"].tolist() == [31 / 30.4375]
    assert out["os_event"].tolist() == [1.0]


def test_parse_dates_formats_ambiguity_and_bad_cells():
    p = parse_dates(pd.Series(["03/04/2020", "25/12/2020", "", "2020-01-01"]))
    assert (p.format, p.label, p.bad, p.ambiguous) == ("%d/%m/%Y", "DD/MM/YYYY", (3,), False)
    assert p.values.iloc[0] == pd.Timestamp("2020-04-03")
    p = parse_dates(pd.Series(["03/04/2020", "01/02/2020"]))
    assert p.ambiguous
    p = parse_dates(pd.Series(["03/04/2020", "01/02/2020"]), "%m/%d/%Y")
    assert p.values.iloc[0] == pd.Timestamp("2020-03-04") and not p.ambiguous
    p = parse_dates(pd.Series(["2020年3月4日", "2021年12月1日", "2999-01-01"]))
    assert p.format == "%Y年%m月%d日" and p.bad == (2,)
    p = parse_dates(pd.Series(["2999-01-01"]))
    assert p.values.iloc[0] == pd.Timestamp("2999-01-01")  # representable, so reportable


def test_event_coding():
    c = EventCoding()
    codes = [c.code(v) for v in [1, 0, 1.0, "Dead", " alive ", "TRUE", False, "死亡", "2", None]]
    assert codes[:8] == [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    assert np.isnan(codes[8]) and np.isnan(codes[9])
    assert c.unknown(pd.Series([1, 2, None, "x"])).tolist() == [False, True, False, True]
    custom = EventCoding(event=("2",), censored=("1",))  # R's 1/2 status coding
    assert [custom.code(v) for v in (1, 2)] == [0.0, 1.0]
    with pytest.raises(InputError, match="'1' listed both as event and as censored"):
        EventCoding(event=("1",), censored=("1.0",))


def test_role_normalisation():
    yn = normalise_yes_no(pd.Series(["yes", "N", 1, 0, "是", "无", "maybe", None]))
    assert yn.tolist()[:6] == ["Yes", "No", "Yes", "No", "Yes", "No"]
    assert yn.isna().tolist()[6:] == [True, True]
    cp = normalise_child_pugh(pd.Series(["A", "child-pugh b", "B7", 6, 8, 11, "B级", "D", 3]))
    assert cp.tolist()[:7] == ["A", "B", "B", "A", "B", "C", "B"]
    assert cp.isna().tolist()[7:] == [True, True]
    assert to_number(pd.Series(["80%", "70", "12,5", "x", True])).tolist()[:3] == [80, 70, 12.5]


def test_cuts_add_two_level_columns_and_the_input_is_not_modified():
    df = pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1], "dose": [50, 52, 60.5], "k": [60, 80, 90]})
    before = df.copy()
    m = ColumnMapping(os_time="t", os_event="e", kps="k", cuts=(("dose", 52.0),))
    out = apply_mapping(df, m)
    assert cut_column_name("dose", 52.0) == "dose ≤52 / >52"
    assert out["dose ≤52 / >52"].tolist() == ["≤52", "≤52", ">52"]
    assert out["kps"].dtype == np.int64
    assert out["patient_id"].tolist() == ["row 2", "row 3", "row 4"]
    pd.testing.assert_frame_equal(df, before)


def test_json_round_trip_and_errors():
    m = ColumnMapping(
        patient_id="id", os_time="t", os_event="e", time_unit="days",
        os_coding=EventCoding(event=("Dead",), censored=("Alive",)),
        extra_factors=("sex",), cuts=(("kps", 70.0),), date_format="%d/%m/%Y",
    )  # fmt: skip
    text = m.to_json()
    assert json.loads(text)["hccdash_mapping"] == 1
    assert ColumnMapping.from_json(text) == m
    assert ColumnMapping.from_json(text.encode()) == m
    with pytest.raises(InputError, match="not valid JSON"):
        ColumnMapping.from_json("{nope")
    with pytest.raises(InputError, match="not an hccdash mapping"):
        ColumnMapping.from_json('{"os_time": "t"}')
    with pytest.raises(InputError, match="unknown keys 'colour'"):
        ColumnMapping.from_json('{"hccdash_mapping": 1, "colour": "red"}')
    with pytest.raises(InputError, match="malformed entry"):
        ColumnMapping.from_json('{"hccdash_mapping": 1, "os_time": 3}')


def test_mapping_that_does_not_fit_the_columns():
    df = pd.DataFrame({"t": [1.0], "e": [1], "sex": ["M"]})
    with pytest.raises(InputError, match=r"does not have: 'time'.*the file has 't', 'e', 'sex'"):
        apply_mapping(df, ColumnMapping(os_time="time", os_event="e"))
    with pytest.raises(InputError, match="OS time column 't' has no event column"):
        apply_mapping(df, ColumnMapping(os_time="t"))
    with pytest.raises(InputError, match="defines no endpoint"):
        apply_mapping(df, ColumnMapping(patient_id="sex"))
    with pytest.raises(InputError, match="extra factors 'treatment'"):
        apply_mapping(
            df.assign(treatment="x", arm="y"),
            ColumnMapping(os_time="t", os_event="e", treatment="arm", extra_factors=("treatment",)),
        )

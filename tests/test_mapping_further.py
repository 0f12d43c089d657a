"""hccdash.mapping: further endpoints (any number, beyond the OS and PFS slots).

Data: ``tests/data/public/colon3.csv`` (R ``survival::colon`` made wide, three endpoints in
days; ``tests/reference/endpoints/colon_endpoints.R`` printed the reference numbers).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.datacheck import check, to_cohort
from hccdash.errors import InputError
from hccdash.mapping import ColumnMapping, EventCoding, apply_mapping, mapping_codebook
from hccdash.mapping.endpoints import EndpointMapping

ROOT = Path(__file__).resolve().parent
COLON = ROOT / "data" / "public" / "colon3.csv"
R = json.loads((ROOT / "reference" / "endpoints" / "colon_endpoints.json").read_text())


def colon_mapping(**kw) -> ColumnMapping:
    return ColumnMapping(
        patient_id="id", os_time="os_days", os_event="os_status", time_unit="days",
        endpoints=(
            EndpointMapping("rec", "Time to recurrence", "rec_days", "rec_status"),
            EndpointMapping("rfs", "Recurrence-free survival", "rfs_days", "rfs_status"),
        ),
        **kw,
    )  # fmt: skip


def test_three_endpoints_reach_the_cohort_and_its_codebook():
    raw = pd.read_csv(COLON)
    m = colon_mapping(extra_factors=("rx", "sex"))
    report = check(raw, m)
    assert not report.fatal
    book = mapping_codebook(raw, m, report.data)
    assert [(e.key, e.time, e.event, e.unit) for e in book.endpoints] == [
        ("os", "os_months", "os_event", "days"),
        ("rec", "rec_months", "rec_event", "days"),
        ("rfs", "rfs_months", "rfs_event", "days"),
    ]
    cohort = to_cohort(report, "colon", "colon3.csv", codebook=book)
    assert [e.key for e in cohort.endpoints()] == ["os", "rec", "rfs"]
    for e in cohort.endpoints():
        assert cohort.data[e.event].dtype == np.int64
        assert int(cohort.data[e.event].sum()) == R[e.key]["events"]
        assert cohort.data[e.time].max() == pytest.approx(R[e.key]["longest"] / 30.4375, rel=1e-12)
    assert {v.name for v in book.variables} == {"patient_id", "rx", "sex"}


def test_each_endpoint_has_its_own_unit_and_coding():
    raw = pd.DataFrame({"t": [2.0, 3.0], "s": ["yes", "no"], "w": [10.0, 20.0],
                        "e": ["R", "-"], "os": [1.0, 2.0], "d": [1, 0]})  # fmt: skip
    m = ColumnMapping(
        os_time="os", os_event="d", time_unit="years",
        endpoints=(
            EndpointMapping("lc", "Local control", "w", "e",
                            EventCoding(event=("r",), censored=("-",)), unit="weeks"),
            EndpointMapping("dfs", "", "t", "s"),
        ),
    )  # fmt: skip
    out = apply_mapping(raw, m)
    assert out["os_months"].tolist() == [12.0, 24.0]
    assert out["lc_months"].tolist() == pytest.approx([70 / 30.4375, 140 / 30.4375], rel=1e-12)
    assert out["lc_event"].tolist() == [1.0, 0.0]
    assert out["dfs_months"].tolist() == [24.0, 36.0]  # the mapping's unit (years)
    assert out["dfs_event"].tolist() == [1.0, 0.0]
    assert m.endpoints[1].label == "DFS"  # an empty name becomes the short name


def test_an_endpoint_from_its_event_date():
    raw = pd.DataFrame({
        "start": ["2020-01-01", "2020-01-01", "2020-01-01"],
        "relapse": ["2020-03-01", "", ""],
        "last": ["2021-01-01", "2020-07-01", ""],
        "dead": [0, 0, 1], "os": [12.0, 6.0, 3.0],
    })  # fmt: skip
    m = ColumnMapping(
        os_time="os", os_event="dead", start_date="start", last_followup_date="last",
        endpoints=(EndpointMapping("rfs", "Relapse-free", end_date="relapse"),),
    )  # fmt: skip
    out = apply_mapping(raw, m)
    assert out["rfs_months"].tolist()[:2] == pytest.approx([60 / 30.4375, 182 / 30.4375])
    assert out["rfs_event"].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(out["rfs_event"].iloc[2]) and np.isnan(out["rfs_months"].iloc[2])


def test_problems_of_a_further_endpoint_name_it_and_its_column():
    raw = pd.read_csv(COLON)
    raw.loc[[0, 5], "rec_days"] = -3
    raw["rec_status"] = raw["rec_status"].astype(object)
    raw.loc[7, "rec_status"] = "9"
    report = check(raw, colon_mapping())
    neg = next(p for p in report.fatal if p.kind == "time_negative")
    assert neg.column == "rec_days" and len(neg.rows) == 2
    assert "Time to recurrence" in str(neg)
    unknown = next(p for p in report.fatal if p.kind == "event_unknown")
    assert unknown.column == "rec_status" and len(unknown.rows) == 1


def test_bad_further_endpoints_are_clear_messages():
    with pytest.raises(InputError, match="lower-case letters"):
        EndpointMapping("Rec!", "x", "t", "e")
    with pytest.raises(InputError, match="short name of the OS columns"):
        EndpointMapping("os", "x", "t", "e")
    with pytest.raises(InputError, match="used twice"):
        ColumnMapping(endpoints=(EndpointMapping("a", "", "t", "e"),) * 2)
    raw = pd.DataFrame({"t": [1.0], "e": [1], "x": [2.0]})
    with pytest.raises(InputError, match="has no event column"):
        apply_mapping(raw, ColumnMapping(os_time="t", os_event="e",
                                         endpoints=(EndpointMapping("a", "A", "x"),)))  # fmt: skip
    with pytest.raises(InputError, match="neither a time column nor its dates"):
        no_time = (EndpointMapping("a", "A", event="e"),)
        apply_mapping(raw, ColumnMapping(os_time="t", os_event="e", endpoints=no_time))


def test_mapping_json_keeps_further_endpoints():
    m = colon_mapping()
    back = ColumnMapping.from_json(m.to_json())
    assert back == m and back.endpoints[1].key == "rfs"
    doc = json.loads(m.to_json())
    doc["endpoints"][0]["time"] = 3
    with pytest.raises(InputError, match="malformed entry"):
        ColumnMapping.from_json(json.dumps(doc))

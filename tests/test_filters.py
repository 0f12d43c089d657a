"""FilterSpec, apply_filters and the URL contract (issue 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccdash.errors import InputError
from hccdash.filters import (
    FilterSpec,
    apply_filters,
    describe,
    events_per_endpoint,
    parse_by,
    parse_endpoint,
    slug,
)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 60
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:02d}" for i in range(n)],
            "child_pugh": rng.choice(["A", "B", "C"], n),
            "kps": rng.choice([60, 70, 80, 90, 100], n),
            "pvtt": rng.choice(["Yes", "No"], n),
            "ascites": rng.choice(["Yes", "None"], n),
            "treatment": rng.choice(["IMRT+TACE", "IMRT"], n),
            "sex": rng.choice(["Male", "Female"], n),
            "age_years": rng.integers(30, 80, n),
            "os_months": rng.exponential(20, n),
            "os_event": rng.integers(0, 2, n),
            "pfs_months": rng.exponential(9, n),
            "pfs_event": rng.integers(0, 2, n),
        }
    )


def test_slug_of_treatment_levels():
    assert slug("IMRT+TACE") == "imrt_tace"
    assert slug("IMRT") == "imrt"
    assert slug("  Lymph node / other ") == "lymph_node_other"


def test_each_filter_selects_the_expected_rows(data):
    spec = FilterSpec(child_pugh=("A", "B"), kps=(80, 100), pvtt="no", ascites="yes", arm="imrt")
    out = apply_filters(data, spec)
    expect = data[
        data.child_pugh.isin(["A", "B"])
        & data.kps.between(80, 100)
        & (data.pvtt == "No")
        & (data.ascites == "Yes")
        & (data.treatment == "IMRT")
    ]
    assert out.index.tolist() == expect.index.tolist()
    assert len(out) > 0


def test_extra_filters_categories_and_ranges(data):
    spec = FilterSpec(extra=(("sex", ("Female",)), ("age_years", (40.0, 60.0))))
    out = apply_filters(data, spec)
    expect = data[(data.sex == "Female") & data.age_years.between(40, 60)]
    assert out.index.tolist() == expect.index.tolist()


def test_empty_spec_keeps_everyone_and_missing_values_are_dropped(data):
    assert apply_filters(data, FilterSpec()).equals(data)
    d = data.copy()
    d.loc[0, "kps"] = np.nan
    assert 0 not in apply_filters(d, FilterSpec(kps=(0, 100))).index


def test_filter_on_absent_column_names_it(data):
    with pytest.raises(InputError, match="'child_pugh'"):
        apply_filters(data.drop(columns="child_pugh"), FilterSpec(child_pugh=("A",)))


def test_url_contract_round_trip(data):
    spec = FilterSpec(
        child_pugh=("A", "B"),
        kps=(80, 100),
        pvtt="yes",
        ascites="no",
        arm="imrt_tace",
        extra=(("sex", ("Male",)), ("age_years", (40.0, 65.5))),
    )
    q = spec.to_query()
    assert q == {
        "child_pugh": "A,B",
        "kps": "80-100",
        "pvtt": "yes",
        "ascites": "no",
        "arm": "imrt_tace",
        "sex": "Male",
        "age_years": "40-65.5",
    }
    back, warnings = FilterSpec.from_query(q, data)
    assert warnings == []
    assert back == spec


def test_invalid_url_values_are_warnings_not_errors(data):
    params = {
        "child_pugh": "A,Z",
        "kps": "high",
        "pvtt": "maybe",
        "arm": "surgery",
        "age_years": "old",
        "sex": "Robot",
        "not_a_column": "x",
        "endpoint": "os",
    }
    spec, warnings = FilterSpec.from_query(params, data)
    assert spec == FilterSpec(child_pugh=("A",))
    assert len(warnings) == 7  # a key naming no column warns too (README: invalid values warn)
    joined = " ".join(warnings)
    needles = ("'Z'", "kps='high'", "pvtt='maybe'", "arm='surgery'", "'old'", "'Robot'")
    for needle in (*needles, "'not_a_column' names no column"):
        assert needle in joined


def test_kps_range_validation(data):
    assert FilterSpec.from_query({"kps": "100-80"}, data)[0].kps is None
    assert FilterSpec.from_query({"kps": "80"}, data)[0].kps == (80, 80)
    assert FilterSpec.from_query({"kps": "60-70"}, data)[0].kps == (60, 70)


def test_case_insensitive_levels_and_list_values(data):
    spec, w = FilterSpec.from_query({"child_pugh": ["b", "a,c"], "arm": "IMRT"}, data)
    assert w == []
    assert spec.child_pugh == ("A", "C") and spec.arm == "imrt"


def test_page_choices(data):
    assert parse_endpoint({"endpoint": "pfs"}) == ("pfs", [])
    assert parse_endpoint({"endpoint": "dfs"})[0] is None
    assert len(parse_endpoint({"endpoint": "dfs"})[1]) == 1
    assert parse_by({"by": "treatment"}, data) == ("treatment", [])
    value, warnings = parse_by({"by": "colour"}, data)
    assert value is None and "'colour'" in warnings[0]


def test_describe():
    assert describe(FilterSpec()) == "no filters (all patients)"
    text = describe(FilterSpec(child_pugh=("A",), kps=(60, 70), arm="imrt"))
    assert text == "child_pugh A; kps 60–70; arm imrt"
    # with a cohort's labels (the bundled codebook's short labels)
    from hccdash.filters import filter_labels
    from hccdash.schema import load_bundled_cohort

    spec = FilterSpec(child_pugh=("A",), kps=(60, 70), arm="imrt")
    text = describe(spec, filter_labels(load_bundled_cohort()))
    assert text == "Child-Pugh class A; KPS 60–70; Treatment arm imrt"


def test_events_per_endpoint(data):
    ev = events_per_endpoint(data)
    assert ev == {"os": int(data.os_event.sum()), "pfs": int(data.pfs_event.sum())}


@settings(max_examples=60, deadline=None)
@given(
    cp=st.lists(st.sampled_from(["A", "B", "C"]), unique=True, min_size=1),
    lo=st.integers(0, 100),
    width=st.integers(0, 100),
    pvtt=st.sampled_from([None, "yes", "no"]),
    arm=st.sampled_from([None, "imrt", "imrt_tace"]),
)
def test_query_round_trip_is_identity(data, cp, lo, width, pvtt, arm):
    spec = FilterSpec(child_pugh=tuple(cp), kps=(lo, min(100, lo + width)), pvtt=pvtt, arm=arm)
    back, warnings = FilterSpec.from_query(spec.to_query(), data)
    assert warnings == []
    assert back == spec
    assert apply_filters(data, back).index.equals(apply_filters(data, spec).index)


def test_parse_cut():
    from hccdash.filters import parse_cut

    assert parse_cut({"cut": "52.5"}) == (52.5, [])
    assert parse_cut({}) == (None, [])
    value, warnings = parse_cut({"cut": "inf"})
    assert value is None and "cut='inf'" in warnings[0]


def test_url_filter_on_a_column_the_cohort_lacks_warns(data):
    spec, warnings = FilterSpec.from_query(
        {"kps": "80-100", "pvtt": "yes"}, data.drop(columns=["kps", "pvtt"])
    )
    assert spec == FilterSpec()
    assert len(warnings) == 2 and "'kps'" in warnings[0] and "'pvtt'" in warnings[1]

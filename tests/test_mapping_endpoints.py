"""The mapping step's competing event types and delayed entry (issue 17 item 1, issue 18
item 2): event codes -> censored / event / named competing types, entry columns and entry
dates, their validation, the codebook they write and the mapping JSON round trip.

Data: R's ``survival::mgus2`` as exported by tests/reference/competing/competing.R
(``etime`` months, ``event`` 0 censored, 1 progression, 2 death without progression) and by
tests/reference/delayed_entry/mgus2_age.R (age scale: entry ``age``, exit ``age_exit`` in
years, ``death``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash import schema
from hccdash.codebook import Codebook, apply_codebook
from hccdash.competing import cuminc
from hccdash.competing.data import codes_for_endpoint
from hccdash.coxext.counting import km_counting
from hccdash.datacheck import check, to_cohort
from hccdash.errors import InputError
from hccdash.mapping import ColumnMapping, EventCoding, apply_mapping, mapping_codebook

REF = Path(__file__).resolve().parent / "reference"
MGUS2 = REF / "competing" / "mgus2.csv"
AGE = REF / "delayed_entry" / "mgus2_age.csv"
R_CR = json.loads((REF / "competing" / "competing.json").read_text())
R_AGE = json.loads((REF / "delayed_entry" / "mgus2_age.json").read_text())
CODING = EventCoding(
    event=("1",), censored=("0",), competing=("2",),
    names=(("1", "Progression"), ("2", "Death without progression")),
)  # fmt: skip
MAPPING = ColumnMapping(
    patient_id="id", os_time="etime", os_event="event", os_coding=CODING, extra_factors=("sex",)
)
STATUS = "os_event (event type)"


def test_coding_reads_competing_codes_as_censored_and_keeps_them_apart():
    c = EventCoding(event=("relapse",), censored=("alive",), competing=("Death", "2nd cancer"))
    values = pd.Series(["relapse", "alive", "death", "2nd Cancer", None, "lost"])
    assert c.codes(values).tolist()[:4] == [1.0, 0.0, 0.0, 0.0]
    assert np.isnan(c.codes(values)[4]) and np.isnan(c.codes(values)[5])
    assert c.unknown(values).tolist() == [False, False, False, False, False, True]
    assert c.status(values).tolist()[:4] == ["relapse", "alive", "death", "2nd cancer"]
    with pytest.raises(InputError, match="'2' listed both as censored and as competing"):
        EventCoding(event=("1",), censored=("0", "2"), competing=("2",))
    with pytest.raises(InputError, match="'1' listed both as event and as competing"):
        EventCoding(event=("1",), censored=("0",), competing=("1.0",))


def test_several_censored_codes_become_the_first_in_the_event_type_column():
    c = EventCoding(event=("9", "1"), censored=("lost", "0"), competing=("2",))
    s = c.status(pd.Series([0, "LOST", 1, 9, 2]))
    assert s.tolist() == ["lost", "lost", "9", "9", "2"]  # first present censored/event code


def test_mgus2_upload_keeps_event_types_and_matches_cmprsk():
    """R: ``cuminc(mg$etime, mg$event, mg$sex)`` (cmprsk 2.2-11, competing.R): the mapped
    cohort's event-type column gives R's Gray tests and CIFs at 60, 120, 240 months."""
    raw = pd.read_csv(MGUS2)
    before = raw.copy()
    report = check(raw, MAPPING)
    assert report.ok, report.first_error()
    cb = mapping_codebook(raw, MAPPING, report.data)
    (ep,) = cb.endpoints
    assert (ep.event_values, ep.censored_values, ep.competing_values) == (("1",), ("0",), ("2",))
    assert dict(ep.code_names) == {"1": "Progression", "2": "Death without progression"}
    cohort = to_cohort(report, "mgus2", "mgus2.csv", codebook=cb)
    data = cohort.data
    pd.testing.assert_frame_equal(raw, before)  # the user's table is not modified
    assert data[schema.OS_EVENT].tolist() == (raw["event"] == 1).astype(int).tolist()
    assert data[STATUS].tolist() == raw["event"].astype(str).tolist()
    assert STATUS not in {f.column for f in cohort.factors()}  # the outcome is not a factor
    codes = codes_for_endpoint(ep)
    assert codes.name(2) == "Death without progression"
    res = cuminc(data, schema.OS_TIME, STATUS, "sex", codes=codes)
    ref = R_CR["cuminc"]["mgus2_sex"]
    for t in ref["tests"]:
        ours = res.test(int(t["cause"]))
        assert ours.stat == pytest.approx(t["stat"], rel=1e-6)
        assert ours.p_value == pytest.approx(t["p_value"], rel=1e-6)
    tp = ref["timepoints"]
    from hccdash.competing import cif_at

    for name, est in zip(tp["names"], tp["est"], strict=True):
        group, cause = name.split()
        at = cif_at(res.curve(group, int(cause)), tp["times"])
        assert at.est.tolist() == pytest.approx(est, rel=1e-6)


def test_undeclared_code_is_one_fatal_problem_with_codes_counts_and_fix():
    raw = pd.read_csv(MGUS2)
    m = ColumnMapping(os_time="etime", os_event="event",
                      os_coding=EventCoding(event=("1",), censored=("0",)))  # fmt: skip
    report = check(raw, m)
    (p,) = [p for p in report.fatal if p.kind == "event_unknown"]
    assert p.column == "event" and len(p.rows) == int((raw["event"] == 2).sum()) == 860
    assert "1 undeclared code: '2' (860 rows)" in p.message
    assert "competing event type" in p.fix and "never excluded" in p.fix
    # nothing is read as an event or as censored for those rows: they are missing, not 0
    assert report.data.loc[raw["event"] == 2, schema.OS_EVENT].isna().all()


def test_mapping_json_round_trip_keeps_codes_names_and_entry():
    m = ColumnMapping(os_time="t", os_event="s", os_coding=CODING, os_entry="entry",
                      start_date="dx", entry_date="enrolled")  # fmt: skip
    text = m.to_json()
    doc = json.loads(text)
    assert doc["os_coding"]["competing"] == ["2"]
    assert doc["os_coding"]["names"] == {"1": "Progression", "2": "Death without progression"}
    assert ColumnMapping.from_json(text) == m
    # a mapping saved before competing codes existed still loads
    del doc["os_coding"]["competing"], doc["os_coding"]["names"]
    del doc["os_entry"], doc["pfs_entry"], doc["entry_date"]
    old = ColumnMapping.from_json(json.dumps(doc))
    assert old.os_coding.competing == () and old.os_entry is None
    doc["os_coding"]["names"] = ["1", "x"]
    with pytest.raises(InputError, match="malformed entry"):
        ColumnMapping.from_json(json.dumps(doc))


def test_entry_column_on_the_age_scale_matches_survfit():
    """R: ``summary(survfit(Surv(age, age_exit, death) ~ sex, data = d), times = c(70, 80,
    90))`` on mgus2_age.csv (mgus2_age.R); times in years, the cohort's in months."""
    raw = pd.read_csv(AGE)
    m = ColumnMapping(patient_id="id", os_time="age_exit", os_event="death", os_entry="age",
                      time_unit="years", extra_factors=("sex", "hgb"))  # fmt: skip
    report = check(raw, m)
    assert report.ok, report.first_error()  # ages above 100 years: follow-up is what counts
    cb = mapping_codebook(raw, m, report.data)
    assert cb.endpoints[0].entry == schema.OS_ENTRY
    cohort = to_cohort(report, "age", "mgus2_age.csv", codebook=cb)
    assert cohort.entry_column("os") == schema.OS_ENTRY
    assert cohort.data[schema.OS_ENTRY].tolist() == (raw["age"] * 12.0).tolist()
    km = km_counting(cohort.data, schema.OS_TIME, schema.OS_EVENT, "sex", start=schema.OS_ENTRY)
    from hccdash.nonparametric import survival_at

    for group in ("F", "M"):
        ref = [r for r in R_AGE["km"] if r["strata"] == group]
        curve = next(c for c in km.curves if c.group == group)
        at = survival_at(curve, [12.0 * r["time"] for r in ref])
        assert at.n_risk.tolist() == [r["n_risk"] for r in ref]
        assert at.surv.tolist() == pytest.approx([r["surv"] for r in ref], rel=1e-6)
    # the codebook round-trips and re-applies to the same frame (HCCDASH_DATA path)
    back = Codebook.from_json(cb.to_json())
    assert back.endpoints[0].entry == schema.OS_ENTRY


def test_entry_from_dates_and_its_validation():
    raw = pd.DataFrame(
        {
            "dx": ["2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01"],
            "enrolled": ["2020-03-01", "2021-06-01", "2019-12-01", "", "2020-02-01"],
            "died": ["2021-01-01", "", "2021-01-01", "2021-01-01", ""],
            "last": ["2021-01-01", "2021-03-01", "2021-01-01", "2021-01-01", "2022-01-01"],
        }
    )
    m = ColumnMapping(start_date="dx", death_date="died", last_followup_date="last",
                      entry_date="enrolled")  # fmt: skip
    data = apply_mapping(raw, m)
    months = (pd.to_datetime(raw["enrolled"]) - pd.Timestamp("2020-01-01")).dt.days / 30.4375
    np.testing.assert_allclose(data[schema.OS_ENTRY][[0, 1, 2, 4]], months[[0, 1, 2, 4]])
    assert np.isnan(data[schema.OS_ENTRY][3])
    report = check(raw, m, today=pd.Timestamp("2025-01-01").date())
    kinds = {p.kind: p for p in report.problems if "OS" in p.message}  # PFS: the same rows
    bad = kinds["entry_not_before_time"]
    assert bad.fatal and bad.rows == ("row 3",) and bad.column == "enrolled"
    assert "1 row has an OS entry time not below the OS time" in bad.message
    assert kinds["entry_negative"].rows == ("row 4",)
    assert kinds["entry_missing"].rows == ("row 5",) and not kinds["entry_missing"].fatal
    with pytest.raises(InputError, match="needs the start date"):
        apply_mapping(raw, ColumnMapping(os_time="last", os_event="died", entry_date="enrolled"))


def test_entry_column_not_a_number_is_named():
    raw = pd.DataFrame({"t": [5, 8, 3], "d": [1, 0, 1], "e": ["1", "x", "4"]})
    report = check(raw, ColumnMapping(os_time="t", os_event="d", os_entry="e"))
    kinds = {p.kind: p for p in report.fatal}
    assert kinds["entry_not_number"].rows == ("row 3",)
    assert kinds["entry_not_before_time"].rows == ("row 4",)  # 4 >= 3
    assert "entry_missing" not in {p.kind for p in report.problems}  # already named above


def test_codebook_entry_through_apply_codebook_converts_units():
    raw = pd.read_csv(AGE).head(50)
    cb = Codebook.from_json(
        json.dumps({"format": "hccdash-codebook", "version": 1, "endpoints": [
            {"key": "os", "label": "Death", "time": "age_exit", "event": "death", "unit": "years",
             "entry": "age", "coding": {"event": ["1"], "censored": ["0"]}}]})
    )  # fmt: skip
    data = apply_codebook(raw, cb)
    assert data["age"].tolist() == (raw["age"] * 12.0).tolist()
    assert data["age_exit"].tolist() == pytest.approx((raw["age_exit"] * 12.0).tolist())
    assert "age" in cb.endpoint_columns()


def test_a_loaded_codebook_names_the_declared_codes_but_never_contradicts_the_mapping():
    from hccdash.codebook import EndpointSpec

    raw = pd.read_csv(MGUS2)
    loaded = Codebook(
        endpoints=(
            EndpointSpec("pcm", "Progression", schema.OS_TIME, schema.OS_EVENT,
                         competing_values=("2",), code_names=(("1", "PCM"), ("2", "Death"))),
        )
    )  # fmt: skip
    plain = EventCoding(event=("1",), censored=("0",), competing=("2",))
    m = ColumnMapping(os_time="etime", os_event="event", os_coding=plain)
    (ep,) = mapping_codebook(raw, m, apply_mapping(raw, m), loaded=loaded).endpoints
    assert (ep.key, ep.competing_values, dict(ep.code_names)) == (
        "pcm", ("2",), {"1": "PCM", "2": "Death"},
    )  # fmt: skip
    # the mapping reads 2 as censored: the loaded codebook's competing 2 is not taken over
    m2 = ColumnMapping(os_time="etime", os_event="event",
                       os_coding=EventCoding(event=("1",), censored=("0", "2")))  # fmt: skip
    (ep2,) = mapping_codebook(raw, m2, apply_mapping(raw, m2), loaded=loaded).endpoints
    assert ep2.competing_values == () and ep2.censored_values == ("0", "2")
    assert dict(ep2.code_names) == {"1": "PCM", "2": "Death"}


@pytest.mark.parametrize(
    "name",
    [
        "hccdash.mapping.coding",
        "hccdash.mapping.guess",
        "hccdash.mapping.units",
        "hccdash.codebook",
        "hccdash.codebook.units",
        "hccdash.datacheck_entry",
        "hccdash.ui.event_codes",
    ],
)
def test_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0

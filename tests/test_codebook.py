"""The codebook (hccdash.codebook): format round trip, R defaults, the bundled cohort's
codebook, and no knowledge of the paper in the generic code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hccdash.codebook import (
    Codebook,
    EndpointSpec,
    Grouping,
    Variable,
    apply_codebook,
    complete,
    infer_codebook,
    infer_kind,
    r_levels,
)
from hccdash.errors import InputError
from hccdash.schema import BUNDLED_CSV, Cohort, codebook_path, load_bundled_cohort

ROOT = Path(__file__).resolve().parent.parent

# Generic code: everything but the bundled cohort's own code (hccdash/cohort/, the Reproduce
# page and its engine, the look-alike generator synth.py) and the About page's references.
BUNDLED_OWN = {
    "hccdash/reproduce.py",
    "hccdash/reproduce_common.py",
    "hccdash/reproduce_overall.py",
    "hccdash/reproduce_table1.py",
    "hccdash/reproduce_table2.py",
    "hccdash/synth.py",
    "pages/reproduce.py",
    "pages/about.py",
}
FORBIDDEN = re.compile(
    r"Child[- ]?Pugh|\bIMRT\b|\bTACE\b|PAPER_FACTORS|PAPER_COX_FACTORS|the paper|Luo et al",
    re.IGNORECASE,
)


def _generic_files() -> list[Path]:
    files = sorted((ROOT / "hccdash").rglob("*.py")) + sorted((ROOT / "pages").glob("*.py"))
    out = []
    for f in files:
        rel = f.relative_to(ROOT).as_posix()
        if rel.startswith("hccdash/cohort/") or rel in BUNDLED_OWN:
            continue
        out.append(f)
    return out


def test_no_module_outside_the_bundled_cohort_names_the_paper():
    """Factors, levels, treatments and the paper itself live in data/*.codebook.json and
    hccdash/cohort/, never in the generic code."""
    hits = []
    for f in _generic_files():
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                hits.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()}")
    assert len(_generic_files()) > 30
    assert not hits, "\n".join(hits)


def test_forbidden_pattern_catches_what_it_should():
    for text in ("Child-Pugh class", "IMRT+TACE", "from x import PAPER_FACTORS", "the paper's"):
        assert FORBIDDEN.search(text), text
    for text in ("child_pugh", "imrt_tace_cycles", "paper_bgcolor", "xref='paper'"):
        assert not FORBIDDEN.search(text), text


def test_bundled_codebook_round_trips_and_describes_every_column():
    text = codebook_path(BUNDLED_CSV).read_text(encoding="utf-8")
    cb = Codebook.from_json(text)
    assert Codebook.from_json(cb.to_json()) == cb
    assert json.loads(cb.to_json()) == json.loads(text)
    header = BUNDLED_CSV.read_text(encoding="utf-8").splitlines()[0].split(",")
    described = {v.name for v in cb.variables} | cb.endpoint_columns()
    assert described == set(header)
    assert [e.key for e in cb.endpoints] == ["os", "pfs"]
    kps = cb.variable("kps")
    assert kps.groupings[0].cut == 70 and kps.groupings[0].level_order()[0] == ">70"


def test_bundled_cohort_factors_come_from_its_codebook():
    cohort = load_bundled_cohort()
    factors = {f.column: f for f in cohort.factors()}
    assert factors["treatment"].level_order(cohort.data) == ("IMRT+TACE", "IMRT")
    assert factors["pvtt"].level_order(cohort.data)[0] == "Yes"
    assert factors["kps"].cut == 70
    assert factors["failure_pattern"].level_order(cohort.data) == ("Intrahepatic", "Extrahepatic")
    assert cohort.default_model()[0] == "child_pugh"
    assert [e.label for e in cohort.endpoints()] == [
        "Overall survival",
        "Progression-free survival",
    ]
    assert cohort.notice and "reconstructed" in cohort.notice


def test_without_a_codebook_levels_follow_r():
    """R: ``levels(factor(c("b", "a", "c")))`` is a, b, c; numbers sort numerically
    (``levels(factor(c(10, 2, 1)))`` is 1, 2, 10); the first level is the reference."""
    assert r_levels(pd.Series(["b", "a", "c", "a"])) == ("a", "b", "c")
    assert r_levels(pd.Series([10, 2, 1, 2])) == ("1", "2", "10")
    d = pd.DataFrame(
        {
            "t": [1.0, 2.0, 3.0, 4.0],
            "e": [1, 0, 1, 1],
            "arm": ["test", "standard", "test", "standard"],
            "flag": [0, 1, 1, 0],
            "age": [50, 61, 72, 40],
        }
    )
    cohort = Cohort("x", d, "x.csv")
    factors = {f.column: f for f in cohort.factors()}
    assert factors["arm"].level_order(d) == ("standard", "test")
    # a 0/1 column is binary, with levels 0 then 1, never cut at a value
    assert factors["flag"].level_order(d) == ("0", "1") and factors["flag"].cut is None
    assert "age" not in factors
    assert infer_kind(d["flag"]) == "binary" and infer_kind(d["age"]) == "numeric"


def test_codebook_levels_labels_and_reference_reach_the_factor():
    d = pd.DataFrame({"time": [5.0, 9.0, 2.0], "status": [2, 1, 2], "sex": [1, 2, 1]})
    cb = Codebook(
        variables=(
            Variable(
                "sex",
                "Sex",
                kind="binary",
                levels=("Male", "Female"),
                level_labels={"1": "Male", "2": "Female"},
                reference="Female",
            ),
        ),
        endpoints=(
            EndpointSpec(
                "rfs",
                "Recurrence-free survival",
                "time",
                "status",
                unit="days",
                event_values=("2",),
                censored_values=("1",),
            ),
        ),
    )
    frame = apply_codebook(d, cb)
    assert list(frame["sex"]) == ["Male", "Female", "Male"]
    assert list(frame["status"]) == [1.0, 0.0, 1.0]
    assert frame["time"].tolist() == pytest.approx([5 / 30.4375, 9 / 30.4375, 2 / 30.4375])
    assert list(d["sex"]) == [1, 2, 1]  # the input is not modified
    cohort = Cohort("x", frame, "x.csv", codebook=cb)
    (sex,) = [f for f in cohort.factors() if f.column == "sex"]
    assert sex.level_order(frame) == ("Female", "Male")
    (rfs,) = cohort.endpoints()
    assert (rfs.key, rfs.label, rfs.time) == ("rfs", "Recurrence-free survival", "time")
    back = Codebook.from_json(cb.to_json())
    assert back == cb


def test_codes_outside_the_coding_are_named_with_the_fix():
    d = pd.DataFrame({"t": [1.0, 2.0], "s": ["dead", "LTFU"]})
    cb = Codebook(endpoints=(EndpointSpec("os", "OS", "t", "s", event_values=("dead",)),))
    with pytest.raises(InputError, match=r"'s'.*1 rows.*'LTFU'.*fix"):
        apply_codebook(d, cb, source="f.csv")
    with pytest.raises(InputError, match=r"does not have.*'nope'"):
        apply_codebook(d, Codebook(variables=(Variable("nope", "N"),)), source="f.csv")


@pytest.mark.parametrize(
    "text, match",
    [
        ("{", "not valid JSON"),
        ('{"format": "other"}', "not an hccdash codebook"),
        ('{"format": "hccdash-codebook", "version": 9}', "version 9"),
        ('{"format": "hccdash-codebook", "version": 1, "colour": 1}', "unknown keys"),
        (
            '{"format": "hccdash-codebook", "version": 1, "variables": '
            '[{"name": "a", "kind": "weird"}]}',
            "kind 'weird'",
        ),
        (
            '{"format": "hccdash-codebook", "version": 1, "variables": '
            '[{"name": "a", "levels": ["x"], "reference": "y"}]}',
            "reference 'y'",
        ),
    ],
)
def test_bad_codebooks_say_what_and_how_to_fix(text, match):
    with pytest.raises(InputError, match=match):
        Codebook.from_json(text, source="cb.json")


def test_infer_and_complete():
    d = pd.DataFrame(
        {"id": ["a", "b", "c"], "t": [1.0, 2.0, 3.0], "e": [1, 0, 1], "g": list("xyx")}
    )
    ep = EndpointSpec("os", "Overall survival", "t", "e")
    cb = infer_codebook(d, [ep], id_column="id")
    assert [v.name for v in cb.variables] == ["id", "g"]
    assert cb.variable("g").kind == "binary" and cb.variable("g").reference == "x"
    partial = Codebook(endpoints=(ep,), id_column="id")
    assert [v.name for v in complete(partial, d).variables] == ["g"]
    g = Grouping("age", 50, ("≤50", ">50"))
    assert g.level_order() == ("≤50", ">50")
    assert np.isfinite(cb.endpoints[0].event_values.__len__())

"""``hccdash analyze``: a mapping or codebook that declares a delayed entry makes the KM,
log-rank and Cox delayed-entry as ``--start`` does (issue 18 item 2).

Data and R: tests/reference/delayed_entry/mgus2_age.R (R's ``survival::mgus2`` on the age
scale: entry = age at diagnosis, exit = age at death or last follow-up, years; hccdash reads
the years as months, x 12).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hccdash.__main__ import main
from hccdash.mapping import ColumnMapping

REF = Path(__file__).resolve().parent / "reference" / "delayed_entry"
CSV = REF / "mgus2_age.csv"
R = json.loads((REF / "mgus2_age.json").read_text())
NOTE = "declares delayed entry"


def _analyze(capsys, *args: str) -> tuple[dict, str]:
    assert main(["analyze", str(CSV), "--group", "sex", "--covariates", "sex,hgb", *args]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def _check_r(out: dict) -> None:
    """R: ``survfit(Surv(age, age_exit, death) ~ sex, conf.type = "log-log")`` medians,
    survdiff's formula on those risk sets and ``coxph(Surv(age, age_exit, death) ~ sex +
    hgb)``."""
    uni = R["univariate"]
    km = {c["group"]: c for c in out["km"]}
    for lev, med, lo, hi in zip(uni["level"], uni["median"], uni["lower"], uni["upper"],
                                strict=True):  # fmt: skip
        assert [km[lev]["median"], km[lev]["median_lower"], km[lev]["median_upper"]] == (
            pytest.approx([12 * med, 12 * lo, 12 * hi], rel=1e-6)
        )
    assert out["test"]["method"] == "logrank (delayed entry)"
    assert out["test"]["chisq"] == pytest.approx(uni["logrank_chisq"][0], rel=1e-6)
    terms = out["cox"]["terms"]
    assert [t["coef"] for t in terms] == pytest.approx(R["cox"]["coef"], rel=1e-6)
    assert [t["se"] for t in terms] == pytest.approx(R["cox"]["se"], rel=1e-6)


def test_mapping_entry_is_delayed_entry(capsys, tmp_path):
    mapping = ColumnMapping(os_time="age_exit", os_event="death", os_entry="age",
                            time_unit="years", extra_factors=("sex", "hgb"))  # fmt: skip
    path = tmp_path / "mapping.json"
    path.write_text(mapping.to_json(), encoding="utf-8")
    out, err = _analyze(capsys, "--mapping", str(path))
    _check_r(out)
    assert f"the mapping {NOTE} 'os_entry_months'" in err
    # the same columns without a declared entry: the ordinary KM and log-rank, no note
    assert main(["analyze", str(CSV), "--time", "age_exit", "--event", "death", "--group",
                 "sex"]) == 0  # fmt: skip
    out = capsys.readouterr()
    plain = json.loads(out.out)
    assert NOTE not in out.err
    assert plain["test"]["method"] == "logrank"
    assert plain["test"]["chisq"] != pytest.approx(R["univariate"]["logrank_chisq"][0], rel=1e-3)


def test_codebook_entry_is_delayed_entry(capsys, tmp_path):
    book = {
        "format": "hccdash-codebook", "version": 1, "id_column": "id",
        "endpoints": [{"key": "os", "label": "Death", "time": "age_exit", "event": "death",
                       "unit": "years", "entry": "age",
                       "coding": {"event": ["1"], "censored": ["0"]}}],
        "variables": [{"name": "sex", "label": "Sex", "kind": "binary", "levels": ["F", "M"]},
                      {"name": "hgb", "label": "Haemoglobin", "kind": "numeric"}],
    }  # fmt: skip
    path = tmp_path / "mgus2_age.codebook.json"
    path.write_text(json.dumps(book), encoding="utf-8")
    out, err = _analyze(capsys, "--codebook", str(path))
    _check_r(out)
    assert f"the codebook {NOTE} 'age'" in err

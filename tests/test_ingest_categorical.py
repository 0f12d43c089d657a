"""Text read as Categoricals goes through mapping, check and ``to_cohort`` as object text did.

Every readable file of the bad-file corpus (with the mapping its EXPECTED.json entry names, or
the CLI's ``--time/--event/--id`` mapping), the messy files and the bundled CSV are checked
twice: as read (text columns Categoricals) and with those columns as object text (today's
frame). The problems (every message) and the confirmed cohort must be the same, and the
cohort's text columns stay Categoricals (one byte per row, not a pointer).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hccdash import datacheck, schema
from hccdash.errors import HccdashError
from hccdash.io import read_table
from hccdash.mapping import ColumnMapping, guess_mapping

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad"
EXPECTED = json.loads((BAD / "EXPECTED.json").read_text(encoding="utf-8"))
TODAY = date(2026, 12, 1)


def _as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as object text with None for missing (the per-cell reader's)."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _mapping(name: str, data: pd.DataFrame) -> ColumnMapping:
    case = EXPECTED.get(name)
    if case is None:
        return guess_mapping(data)
    if case.get("mapping"):
        return ColumnMapping(**case["mapping"])
    args = dict(zip(case["args"][::2], case["args"][1::2], strict=True))
    group = (args["--group"],) if "--group" in args else ()
    return ColumnMapping(
        patient_id=args["--id"], os_time=args["--time"], os_event=args["--event"],
        extra_factors=group,
    )  # fmt: skip


def _cells(frame: pd.DataFrame) -> dict[str, list]:
    return {c: [None if pd.isna(v) else str(v) for v in frame[c].astype(object)] for c in frame}


def _outcome(data: pd.DataFrame, mapping: ColumnMapping):
    try:
        report = datacheck.check(data, mapping, today=TODAY)
    except HccdashError as exc:
        return str(exc), None, None
    problems = [str(p) for p in report.problems]
    try:
        cohort = datacheck.to_cohort(report, "c", "upload", exclude_fatal=True)
    except HccdashError as exc:
        return problems, str(exc), None
    return problems, None, cohort.data


FILES = sorted(
    [p for p in BAD.glob("*.csv")]
    + list((ROOT / "tests" / "data" / "messy").glob("*.csv"))
    + [ROOT / "data" / "hcc_oligomets_reconstructed.csv"]
)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_check_and_cohort_of_categorical_text_equal_those_of_object_text(path):
    try:
        table = read_table(path)
    except HccdashError:
        return  # refused by the reader: tests/test_io_columnar.py compares the messages
    data = table.data
    mapping = _mapping(path.name, data)
    new = _outcome(data, mapping)
    old = _outcome(_as_object(data), mapping)
    assert new[:2] == old[:2]
    if old[2] is not None:
        assert list(new[2].columns) == list(old[2].columns)
        assert _cells(new[2]) == _cells(old[2])


def test_the_uploaded_cohort_keeps_its_text_columns_categorical():
    table = read_table(ROOT / "data" / "hcc_oligomets_reconstructed.csv")
    report = datacheck.check(table.data, guess_mapping(table.data), today=TODAY)
    data = datacheck.to_cohort(report, "c", "upload").data
    for c in (schema.TREATMENT, schema.PVTT, schema.ASCITES, schema.CHILD_PUGH, "sex"):
        assert isinstance(data[c].dtype, pd.CategoricalDtype), c
    assert list(data[schema.CHILD_PUGH].cat.categories) == sorted(
        data[schema.CHILD_PUGH].dropna().astype(str).unique()
    )

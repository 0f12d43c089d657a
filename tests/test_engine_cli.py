"""``analyze --engine duckdb`` gives R's numbers (the CLI fixtures) and the in-memory JSON.

R: ``tests/reference/cli/lung_cli.R`` (survfit, summary(times=, rmean=), survdiff(rho=),
coxph(eps=1e-12)); engine Cox fits report ``concordance`` null and ``ph_test`` [].
"""

from __future__ import annotations

import copy
import json

import pytest
from test_cli import REF, assert_same, lung_csv  # noqa: F401 - lung_csv is a fixture

import hccdash.cli.analyze as cli
import hccdash.cli.load as cli_load
from hccdash.__main__ import main

SCENARIOS = json.loads((REF / "lung_cli.json").read_text(encoding="utf-8"))


def run(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["analyze", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def _engine_expected(expected: dict) -> dict:
    exp = copy.deepcopy(expected)
    if "cox" in exp:
        exp["cox"].update(concordance=None, concordance_se=None, ph_test=[])
    return exp


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_engine_json_matches_r(capsys, lung_csv, scenario):  # noqa: F811
    """R: lung_cli.R, scenario by scenario (see test_cli.test_analyze_json_matches_r)."""
    case = SCENARIOS[scenario]
    code, out, err = run(
        capsys, str(lung_csv), "--time", "time", "--event", "status", *case["args"],
        "--engine", "duckdb",
    )  # fmt: skip
    assert code == 0, err
    assert_same(out, _engine_expected(case["expected"]))


def test_auto_uses_the_engine_above_the_row_count(capsys, monkeypatch, tmp_path, lung_csv):  # noqa: F811
    import pandas as pd

    path = tmp_path / "lung.parquet"
    pd.read_csv(lung_csv).to_parquet(path)
    args = [str(path), "--time", "time", "--event", "status", "--group", "sex", "--times", "90"]
    code, memory, _ = run(capsys, *args)  # 228 rows: below the threshold, in memory
    assert code == 0

    def no_memory(_args):
        raise AssertionError("the in-memory reader ran")

    monkeypatch.setattr(cli, "ENGINE_AUTO_ROWS", 100)
    # analyze imports the in-memory reader when it takes that path (not at start-up)
    monkeypatch.setattr(cli_load, "load_for_analysis", no_memory)
    code, engine, err = run(capsys, *args)
    assert code == 0, err
    assert_same(engine, memory)
    # a text event column keeps the in-memory path (its reader maps yes/no codes)
    frame = pd.read_csv(lung_csv)
    frame["status"] = frame["status"].map({1: "dead", 2: "alive", 0: "alive"})
    frame.to_parquet(path)
    assert main(["analyze", *args]) == 1
    assert "the in-memory reader ran" in capsys.readouterr().err


def test_engine_flags_conflicting_with_the_reader_are_one_line(capsys, lung_csv):  # noqa: F811
    code, _, err = run(
        capsys, str(lung_csv), "--time", "time", "--event", "status", "--engine", "duckdb",
        "--exclude-fatal",
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1 and "--exclude-fatal" in err and "--engine memory" in err
    code, _, err = run(
        capsys, str(lung_csv), "--time", "time", "--event", "nope", "--engine", "duckdb"
    )
    assert code == 2 and "'nope'" in err

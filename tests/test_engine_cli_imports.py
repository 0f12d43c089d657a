"""The ``analyze --engine duckdb`` process loads only what it uses (registry scale, issue 19).

Its start-up was most of its run: pandas, scipy.stats (via the competing-risks options), the
file reader and the other commands' modules (plotly) were imported for a query that needs
numpy, SQLGlot and DuckDB. A fresh interpreter runs the command and reports which heavy
packages ended in ``sys.modules``, so a top-level import added anywhere on the path fails
here rather than silently costing every registry run its second.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "scipy", "pyarrow", "plotly", "lifelines", "sklearn", "sksurv",
         "statsmodels", "streamlit", "kaleido", "docx", "matplotlib")  # fmt: skip
# a Cox model needs hccdash.cox (pandas, scipy.stats); the rest stays out
COX_OK = ("pandas", "scipy", "pyarrow")

PROBE = """
import contextlib, io, json, sys
from hccdash.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & HEAVY)
print(json.dumps({"code": code, "heavy": heavy, "out": json.loads(out.getvalue())}))
"""


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(5)
    n = 500
    path = tmp_path_factory.mktemp("imports") / "cohort.parquet"
    pd.DataFrame(
        {
            "t": rng.integers(1, 60, n).astype(float),
            "e": rng.integers(0, 2, n),
            "g": rng.choice(["A", "B", "C"], n),
            "x": rng.normal(size=n),
        }
    ).to_parquet(path)
    return path


def probe(*args: str) -> dict:
    code = PROBE.replace("HEAVY)", f"set({HEAVY!r}))")
    res = subprocess.run(
        [sys.executable, "-c", code, "analyze", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_engine_km_and_test_import_no_heavy_package(cohort):
    got = probe(str(cohort), "--time", "t", "--event", "e", "--group", "g", "--times", "12",
                "--engine", "duckdb")  # fmt: skip
    assert got["code"] == 0
    assert [k["group"] for k in got["out"]["km"]] == ["A", "B", "C"]
    assert 0 <= got["out"]["test"]["p_value"] <= 1
    assert got["heavy"] == []


def test_engine_cox_imports_only_the_model_code(cohort):
    got = probe(str(cohort), "--time", "t", "--event", "e", "--covariates", "g,x",
                "--engine", "duckdb")  # fmt: skip
    assert got["code"] == 0 and len(got["out"]["cox"]["terms"]) == 3
    assert set(got["heavy"]) <= set(COX_OK)

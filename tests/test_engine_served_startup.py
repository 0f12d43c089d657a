"""A server-side cohort the engine cannot use is ONE clear sentence at start-up and in the page.

``hccdash serve`` (hccdash/serve.py -> hccdash.engine.startup.startup_check) stops with exit
code 2 and one line naming the variable, the path, column or URL and the fix; the page gets
the same sentence from ``open_server_cohort`` (for the sidebar), never a traceback. A Spark
URL that does not answer is found by a TCP probe in well under a second (PySpark alone took
93 s and pages of Java stack traces to give up on spark://127.0.0.1:1), without Java.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hccdash import serve
from hccdash.__main__ import main
from hccdash.engine import open_source, spark, startup
from hccdash.engine.predicate import where
from hccdash.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "tests" / "data" / "public"
BOOK = PUBLIC / "veterans.codebook.json"
DEAD_URL = "spark://127.0.0.1:1"  # nothing listens on port 1: refused at once


def _env(data, **extra) -> dict[str, str]:
    return {"HCCDASH_DATA": str(data), "HCCDASH_CODEBOOK": str(BOOK), **extra}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("startup")
    vet = pd.read_csv(PUBLIC / "veterans.csv")
    good = tmp / "veterans.parquet"
    vet.to_parquet(good, index=False)
    nocol = tmp / "nocol.parquet"
    vet.drop(columns=["Celltype", "Status"]).to_parquet(nocol, index=False)
    text_time = vet.assign(Survival_in_days=vet["Survival_in_days"].astype(str) + " days")
    text_time.to_parquet(tmp / "text_time.parquet", index=False)
    junk = tmp / "junk.parquet"
    junk.write_bytes(b"PAR1 this is not a Parquet file\n" * 4)
    return {"good": good, "nocol": nocol, "junk": junk, "missing": tmp / "gone.parquet",
            "text_time": tmp / "text_time.parquet"}  # fmt: skip


def test_doctests():
    for module in (startup, spark):
        res = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert res.attempted > 0 and res.failed == 0, module.__name__


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("missing", r"gone\.parquet' does not exist; give the path"),
        ("junk", r"junk\.parquet' cannot be read \(.*\); fix: give a readable Parquet"),
        ("nocol", r"the codebook names 2 columns the table does not have: 'Celltype', 'Status'"),
        ("text_time", r"'Survival_in_days' \(endpoint 'os'.s time\) holds VARCHAR, not numbers"),
    ],
)
def test_a_bad_cohort_is_one_sentence_for_the_page(files, case, said):
    cohort, message = startup.open_server_cohort(_env(files[case], HCCDASH_ENGINE="duckdb"))
    assert cohort is None
    where = f"(HCCDASH_DATA={files[case]}, HCCDASH_CODEBOOK={BOOK}, engine duckdb)"
    assert message.endswith(where) and "\n" not in message
    assert re.search(said, message), message


def test_a_good_cohort_opens_and_an_unserved_one_is_left_to_the_reader(files):
    cohort, message = startup.open_server_cohort(_env(files["good"], HCCDASH_ENGINE="duckdb"))
    assert message is None and cohort.count() == 137 and cohort.view.engine == "duckdb"
    csv = _env(PUBLIC / "veterans.csv")  # no HCCDASH_ENGINE, a file the in-memory path reads
    assert startup.open_server_cohort(csv) == (None, None)
    assert startup.startup_check(csv) is None
    cohort, message = startup.open_server_cohort(_env(files["good"], HCCDASH_ENGINE="polars"))
    assert cohort is None and "HCCDASH_ENGINE='polars' is not an engine; fix:" in message


def test_a_spark_url_that_does_not_answer_is_found_without_java(files):
    env = _env(files["good"], HCCDASH_ENGINE="spark", HCCDASH_SPARK_URL=DEAD_URL)
    cohort, message = startup.open_server_cohort(env)
    assert cohort is None
    assert message.endswith(f"engine spark at {DEAD_URL})")
    assert f"HCCDASH_SPARK_URL='{DEAD_URL}' does not answer (127.0.0.1:1: " in message
    assert "Fix: set HCCDASH_SPARK_URL to a Spark master that runs" in message
    with pytest.raises(InputError, match="does not answer"):
        startup.startup_check(env)  # before the child process: no Java, no cohort read
    with pytest.raises(InputError, match=r"sc://127\.0\.0\.1:1.*does not answer"):
        spark.spark_session("sc://127.0.0.1:1")  # probed before PySpark is imported


def test_probe_url_timeout_and_standby_masters(monkeypatch):
    with socket.socket() as listening:  # a port that answers: one of the listed masters
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        port = listening.getsockname()[1]
        assert spark.probe_url(f"spark://127.0.0.1:1,127.0.0.1:{port}") is None
        assert spark.probe_url(f"sc://127.0.0.1:{port}/;token=x") is None
    with pytest.raises(InputError, match="HCCDASH_SPARK_TIMEOUT='soon' is not a number"):
        spark.probe_url(DEAD_URL, {"HCCDASH_SPARK_TIMEOUT": "soon"})
    with pytest.raises(InputError, match=r"has no valid host:port \('host:port:9'\)"):
        spark.probe_url("spark://host:port:9")

    def silent(address, timeout):
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", silent)
    with pytest.raises(InputError, match=r"10\.0\.0\.9:7077: no answer; connect timeout 0\.5 s"):
        spark.probe_url("spark://10.0.0.9", {"HCCDASH_SPARK_TIMEOUT": "0.5"})


@pytest.mark.slow  # a child Python opens the cohort (about 2 s on a quiet machine)
def test_serve_stops_with_one_line_and_exit_2(files, monkeypatch, capsys):
    """In process: a dead Spark URL (no child) and columns the table lacks (the child)."""
    monkeypatch.setenv("HCCDASH_ENGINE", "spark")
    monkeypatch.setenv("HCCDASH_SPARK_URL", DEAD_URL)
    assert main(["serve", "--data", str(files["good"]), "--codebook", str(BOOK)]) == 2
    err = capsys.readouterr().err
    said = "hccdash: error: The server's cohort (HCCDASH_DATA) cannot be used: HCCDASH_SPARK_URL="
    assert err.count("\n") == 1 and err.startswith(said), err
    assert "HCCDASH_SPARK_URL" in err and DEAD_URL in err
    monkeypatch.setenv("HCCDASH_ENGINE", "duckdb")
    monkeypatch.setenv("HCCDASH_DATA", str(files["missing"]))
    assert main(["serve"]) == 2  # the variable (not a flag) is checked too, and named
    assert "HCCDASH_DATA" in capsys.readouterr().err
    assert startup.startup_check(_env(files["good"], HCCDASH_ENGINE="duckdb")) == 137


@pytest.mark.slow  # two Python start-ups (hccdash serve, then its check)
def test_serve_subprocess_exit_2_without_traceback(files):
    env = {**os.environ, **_env(files["nocol"], HCCDASH_ENGINE="duckdb")}
    res = subprocess.run([sys.executable, "-m", "hccdash", "serve", "--port", "8799"], env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("hccdash: error: The server's cohort (HCCDASH_DATA) cannot be used: ")
    assert last.endswith("engine duckdb)")
    assert "'Celltype', 'Status'" in last and "fix: use the codebook written for this table" in last


def test_serve_env_names_the_variable_it_checked(tmp_path):
    with pytest.raises(InputError, match=r"HCCDASH_DATA '.*nope\.parquet': no such file"):
        serve.serve_env(base={"HCCDASH_DATA": str(tmp_path / "nope.parquet")})
    with pytest.raises(InputError, match=r"HCCDASH_CODEBOOK '.*' is not a file"):
        serve.serve_env(base={"HCCDASH_CODEBOOK": str(tmp_path)})
    assert serve.serve_env(base={"HCCDASH_DATA": "  "}) == {"HCCDASH_DATA": "  "}


def test_csv_text_stays_text_and_boolean_columns_filter(tmp_path):
    """DuckDB's sniffer read yes/no as BOOLEAN and ISO dates as DATE; the engines read numbers
    and text only (as Spark does, engine.spark._read_file). A real BOOLEAN (Parquet) column
    filters by its own values."""
    gb = open_source(PUBLIC / "gbsg2.csv", engine="duckdb")
    assert gb.columns["horTh"] == "VARCHAR" and gb.distinct("horTh") == ["no", "yes"]
    assert gb.numeric("pnodes") and gb.numeric("time")
    path = tmp_path / "dates.csv"
    path.write_text("t,e,flag,day\n1.5,1,true,2020-01-02\n2,0,false,2021-03-04\n")
    src = open_source(path, engine="duckdb")
    assert (src.columns["flag"], src.columns["day"], src.columns["t"]) == (
        "VARCHAR", "VARCHAR", "DOUBLE"
    )  # fmt: skip
    frame = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 1], "flag": [True, False, True]})
    frame.to_parquet(tmp_path / "b.parquet")
    src = open_source(tmp_path / "b.parquet", engine="duckdb")
    assert src.columns["flag"] == "BOOLEAN"
    assert src.count(where(src, {"flag": {"in": [True]}})) == 2
    assert src.count(where(src, {"flag": {"in": [False]}})) == 1


def test_a_master_that_answers_but_fails_is_one_sentence(monkeypatch):
    """A port that accepts TCP but is no Spark master passes the probe; PySpark then fails
    after about a minute (three registrations 20 s apart) with a Py4J error and Java stack
    traces. That failure is forced here (a builder that raises as PySpark does), not waited
    for: the message is one line naming the URL and the fix."""
    pyspark_sql = pytest.importorskip("pyspark.sql")

    class Builder:
        def __getattr__(self, name):
            return lambda *a, **k: self

        def getOrCreate(self):
            raise RuntimeError(
                "An error occurred while calling None.org.apache.spark.sql.SparkSession.\n"
                ": org.apache.spark.SparkException: All masters are unresponsive!\n\tat ..."
            )

    class FakeSession:
        builder = Builder()

    monkeypatch.setattr(pyspark_sql, "SparkSession", FakeSession)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/java")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        url = f"spark://127.0.0.1:{listening.getsockname()[1]}"
        with pytest.raises(InputError) as err:
            spark.spark_session(url)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"Spark at '{url}' does not answer (")
    assert "calling None.org.apache.spark.sql.SparkSession.)" in message
    assert "Fix: set HCCDASH_SPARK_URL" in message


def test_start_up_and_pages_decide_by_the_one_rule(tmp_path):
    """``hccdash serve``'s check and the app's pages use ``engine.placement.serve_in_place``:
    a Parquet file with a codebook is served in place above HCCDASH_IN_MEMORY_ROWS, read into
    memory at or below it, and always served when HCCDASH_ENGINE is set."""
    import pandas as pd

    from hccdash.engine.placement import serve_in_place
    from hccdash.engine.startup import engine_serves

    data = tmp_path / "ten.parquet"
    pd.DataFrame({"t": range(10), "e": [1, 0] * 5}).to_parquet(data)
    env = {"HCCDASH_DATA": str(data), "HCCDASH_CODEBOOK": str(tmp_path / "book.json")}
    for limit, served in (("5", True), ("10", False), ("50", False)):
        e = {**env, "HCCDASH_IN_MEMORY_ROWS": limit}
        assert engine_serves(e) is served, limit
        assert serve_in_place(data, env["HCCDASH_CODEBOOK"], env=e) is served, limit
    assert engine_serves({**env, "HCCDASH_IN_MEMORY_ROWS": "50", "HCCDASH_ENGINE": "duckdb"})
    assert not engine_serves({"HCCDASH_DATA": str(data), "HCCDASH_IN_MEMORY_ROWS": "5"})

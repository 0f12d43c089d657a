"""``hccdash serve`` and the CLI's face: paths checked before anything starts, the shipped
settings always applied, the help naming the command as it was called."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hccdash import __version__, resources, serve
from hccdash.__main__ import main, prog_name
from hccdash.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def test_a_bad_data_or_codebook_path_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["serve", "--data", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.csv" in err and "--data" in err, err
    (tmp_path / "folder").mkdir()
    assert main(["serve", "--codebook", str(tmp_path / "folder")]) == 2
    err = capsys.readouterr().err
    assert "is not a file" in err and "--codebook" in err, err
    assert main(["serve", "--port", "0"]) == 2
    assert "port number" in capsys.readouterr().err


def test_serve_env_hands_absolute_paths_to_the_app(tmp_path, monkeypatch):
    data = tmp_path / "cohort.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    book = tmp_path / "codebook.json"
    book.write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = serve.serve_env("cohort.csv", "codebook.json", base={"PATH": "/bin"})
    assert env == {"PATH": "/bin", "HCCDASH_DATA": str(data), "HCCDASH_CODEBOOK": str(book)}
    assert "HCCDASH_DATA" not in serve.serve_env(base={})
    with pytest.raises(InputError, match="no such file or folder"):
        serve.serve_env("missing.csv", base={})


def test_streamlit_command_runs_the_packaged_app_with_the_shipped_settings():
    argv = serve.streamlit_argv(port=8600, address="0.0.0.0", extra=["--", "--x.y=1"])
    assert argv[:5] == [sys.executable, "-m", "streamlit", "run", str(resources.app_script())]
    config = tomllib.loads(resources.streamlit_config().read_text(encoding="utf-8"))
    assert "--browser.gatherUsageStats=false" in argv
    assert f"--server.maxUploadSize={config['server']['maxUploadSize']}" in argv
    assert argv[-3:] == ["--server.headless=true", "--browser.gatherUsageStats=false", "--x.y=1"]
    assert "--server.port=8600" in argv and "--server.address=0.0.0.0" in argv
    # The default is this machine only.
    assert "--server.address=127.0.0.1" in serve.streamlit_argv()


def test_help_names_the_command_as_called_and_version():
    assert prog_name("/usr/local/bin/hccdash") == "hccdash"
    assert prog_name("/x/hccdash/__main__.py") == "python -m hccdash"
    res = subprocess.run([sys.executable, "-m", "hccdash", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert res.stdout.startswith("usage: python -m hccdash ")
    assert "serve" in res.stdout
    res = subprocess.run([sys.executable, "-m", "hccdash", "--version"], cwd=ROOT,
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert res.stdout.strip() == f"hccdash {__version__}"


def test_resources_come_from_the_checkout_here():
    assert resources.app_script() == ROOT / "app.py"
    assert resources.data_file("hcc_oligomets_reconstructed.csv").is_file()
    assert resources.favicon().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""Fresh-machine install and deployment files: README, .ci/run, Dockerfile and compose.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_readme_first_command_uses_a_virtual_environment():
    readme = (ROOT / "README.md").read_text()
    first = re.search(r"```bash\n#[^\n]*\n([^\n]+)\n```", readme)
    assert first, "README has no first command block"
    cmd = first.group(1)
    assert cmd.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -r")
    assert cmd.endswith("streamlit run app.py")
    assert "python3-venv" in readme  # what a bare Debian needs for venv


def test_ci_uses_python3_or_its_own_venv_never_a_bare_python():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv --system-site-packages .venv" in ci
    assert ". .venv/bin/activate" in ci
    assert "python3-venv" in ci
    # every "python" before the venv is activated is python3
    before = ci[: ci.index(". .venv/bin/activate")]
    code = "\n".join(line.split("#", 1)[0] for line in before.splitlines())
    assert not re.search(r"(^|\s)python\s", code.replace("python3", "")), code


def test_dockerfile_installs_what_ci_installs():
    docker = (ROOT / "Dockerfile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for pkg in ("chromium", "fonts-dejavu-core"):
        assert pkg in docker and pkg in ci
    assert "requirements.txt" in docker
    assert ".streamlit/secrets.toml" in (ROOT / ".dockerignore").read_text()
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text()


def test_compose_example_mounts_a_data_folder_and_names_the_cohort():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    (service,) = compose["services"].values()
    assert service["build"] == "."
    mounts = [v.split(":") for v in service["volumes"]]
    data_mounts = [m for m in mounts if m[1] == "/data"]
    assert data_mounts and data_mounts[0][-1] == "ro"
    assert service["environment"]["HCCDASH_DATA"].startswith("/data/")
    assert all(p.startswith("127.0.0.1:") for p in service["ports"])

"""Build hook: ship the dashboard (app.py, pages/, data/, .streamlit/config.toml) in the wheel.

The repository keeps its layout (``streamlit run app.py`` from a checkout, everyone edits
``app.py`` and ``pages/*.py`` where they are); the wheel carries copies of those files under
``hccdash/_app/``, where :mod:`hccdash.resources` finds them with ``importlib.resources``.
Everything else (dependencies, entry point, metadata) is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# (folder, glob) of the files copied into hccdash/_app/, relative to the repository root.
APP_FILES = (
    (".", "app.py"),
    ("pages", "*.py"),
    ("data", "*.csv"),
    ("data", "*.json"),
    ("data", "*.md"),
    (".streamlit", "config.toml"),
)


def app_files(root: Path = HERE) -> list[Path]:
    """Every file the wheel ships under hccdash/_app/, relative to ``root``."""
    out = []
    for folder, pattern in APP_FILES:
        out += sorted(p.relative_to(root) for p in (root / folder).glob(pattern) if p.is_file())
    return out


class BuildPyWithApp(build_py):
    """``build_py`` that also copies the app files into ``<build_lib>/hccdash/_app/``."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "hccdash" / "_app"
        shutil.rmtree(target, ignore_errors=True)  # no stale page of an earlier build
        for rel in app_files():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(HERE / rel, dest)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        target = Path(self.build_lib) / "hccdash" / "_app"
        extra = [str(target / rel) for rel in app_files()]
        return [*super().get_outputs(include_bytecode), *extra]


setup(cmdclass={"build_py": BuildPyWithApp})

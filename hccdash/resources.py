"""Where the dashboard's files are: in an installed wheel, or in a source checkout.

The wheel ships ``app.py``, ``pages/*.py``, the bundled cohort (``data/*``) and the Streamlit
settings (``.streamlit/config.toml``) inside the package, under ``hccdash/_app/`` (``setup.py``
copies them there at build time, so the repository keeps its layout). In a source checkout
(or an editable install) there is no ``hccdash/_app``; the same files are found at the
repository root. Everything that needs one of these files asks this module.

Examples
--------
>>> (app_dir() / "app.py").is_file()
True
>>> data_file("hcc_oligomets_reconstructed.csv").name
'hcc_oligomets_reconstructed.csv'
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from hccdash.errors import HccdashError

PACKAGED_APP = "_app"
REPO_ROOT = Path(__file__).resolve().parent.parent
FAVICON = "favicon.png"


class ResourceMissing(HccdashError):
    """A file the dashboard needs is neither in the package nor in the source checkout."""


def _packaged() -> Path:
    # importlib.resources: a plain directory for a wheel installed by pip (not a zip import).
    return Path(str(files("hccdash") / PACKAGED_APP))


def app_dir() -> Path:
    """The folder holding ``app.py``, ``pages/`` and ``data/``.

    Raises
    ------
    ResourceMissing
        Neither the installed package nor a source checkout holds ``app.py``.
    """
    for candidate in (_packaged(), REPO_ROOT):
        if (candidate / "app.py").is_file():
            return candidate
    raise ResourceMissing(
        f"hccdash's app.py is in neither {_packaged()} nor {REPO_ROOT}; fix: reinstall the "
        "wheel (pip install --force-reinstall hccdash-*.whl) or run from a source checkout."
    )


def data_dir() -> Path:
    """The folder of the bundled cohort and its codebook (``data/``)."""
    packaged = _packaged() / "data"
    return packaged if packaged.is_dir() else REPO_ROOT / "data"


def data_file(name: str) -> Path:
    """One file of :func:`data_dir` (it may not exist; callers read it and report)."""
    return data_dir() / name


def app_script() -> Path:
    """The router script Streamlit runs (``app.py``)."""
    return app_dir() / "app.py"


def streamlit_config() -> Path:
    """The shipped Streamlit settings (privacy, upload limit, theme)."""
    return app_dir() / ".streamlit" / "config.toml"


def favicon() -> Path:
    """The page icon, a local PNG: a ``:material/...:`` icon would be fetched from Google."""
    return Path(str(files("hccdash") / "assets" / FAVICON))

"""One list of software versions: the About page and every export's methods text agree."""

from __future__ import annotations

import io
import zipfile
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from hccdash import export, versions

APP = str(Path(__file__).resolve().parent.parent / "app.py")
# Every package that computes a number the pages show (hccdash.models, cox, compare, response,
# figures' LOWESS) must be credited.
COMPUTING = {"numpy", "pandas", "scipy", "statsmodels", "scikit-survival", "scikit-learn"}


def test_the_list_names_every_computing_package_with_its_installed_version():
    rows = {p.name: p for p in versions.package_versions()}
    assert {n for n, p in rows.items() if p.computes} >= COMPUTING
    for name in COMPUTING:
        assert rows[name].version == version(name)
    # lifelines is a test dependency since the app computes nothing with it.
    assert "lifelines" not in rows


def test_methods_text_of_an_export_uses_the_same_list():
    text = export.software_versions()
    for p in versions.package_versions():
        assert f"{p.name} {p.version}" in text
    bundle = export.bundle_zip({}, {"t": pd.DataFrame({"a": [1]})}, "Methods.")
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        methods = zf.read("methods.txt").decode()
    assert f"scikit-survival {version('scikit-survival')}" in methods
    assert "lifelines" not in methods


def test_about_page_shows_the_same_list():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/about.py").run()
    assert not at.exception
    (shown,) = [d.value for d in at.dataframe if "package" in d.value.columns]
    expected = [(p.name, p.version) for p in versions.package_versions()]
    assert list(zip(shown["package"], shown["version"], strict=True)) == expected

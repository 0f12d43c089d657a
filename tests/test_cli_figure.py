"""``python -m hccdash figure km|forest``: files of the requested size, exit 2 on bad input."""

from __future__ import annotations

import argparse
import io
import re

import pandas as pd
import pytest
from lifelines.datasets import load_rossi, load_waltons
from PIL import Image

from hccdash import export
from hccdash.cli import figure as cli_figure
from hccdash.cox import cox_fit


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hccdash")
    cli_figure.register(parser.add_subparsers(dest="command"))
    return parser


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def waltons_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "waltons.csv"
    load_waltons().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def rossi_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "rossi.csv"
    load_rossi().to_csv(path, index=False)
    return path


@pytest.fixture
def chromium():
    if not export.chromium_available():
        pytest.fail(
            f"chromium not found at {export.chromium_path()!r}: the figure CLI needs Debian's "
            "chromium (apt-get install -y chromium, as .ci/run does)."
        )


@pytest.mark.needs_chromium
def test_km_png_size(chromium, waltons_csv, tmp_path, capsys):
    out = tmp_path / "km.png"
    argv = ["figure", "km", str(waltons_csv), "--time", "T", "--event", "E", "--by", "group"]
    rc = run([*argv, "--width", "1280", "--height", "720", "--scale", "2", "--out", str(out)])
    assert rc == 0
    img = Image.open(io.BytesIO(out.read_bytes()))
    assert img.size == (2560, 1440)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.needs_chromium
def test_km_svg_has_log_rank_and_hr(chromium, waltons_csv, tmp_path):
    out = tmp_path / "km.svg"
    argv = ["figure", "km", str(waltons_csv), "--time", "T", "--event", "E", "--by", "group"]
    assert run([*argv, "--preset", "4:3 1024x768", "--caption", "--out", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert 'width="1024"' in svg and 'height="768"' in svg
    # The same annotation as the KM page (figures.hr_text): HR of the second level vs the first.
    assert "Log-rank p" in svg and "miR-137 vs control" in svg
    waltons = pd.read_csv(waltons_csv)
    cox = cox_fit(waltons, "T", "E", ["group"], reference={"group": "control"})
    assert f"HR {cox.terms[0].hr:.2f}" in svg


@pytest.mark.needs_chromium
def test_forest_pdf(chromium, rossi_csv, tmp_path):
    out = tmp_path / "forest.pdf"
    argv = ["figure", "forest", str(rossi_csv), "--time", "week", "--event", "arrest"]
    assert run([*argv, "--covariates", "age,prio,fin", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (["--time", "nope", "--event", "E", "--out", "x.png"], r"'nope'"),
        (["--time", "T", "--event", "E", "--out", "x.gif"], r"'\.gif'"),
        (["--time", "T", "--event", "E", "--width", "20", "--out", "x.png"], r"width=20"),
    ],
)
def test_bad_input_exit_2_one_line(waltons_csv, tmp_path, capsys, extra, pattern):
    extra = [str(tmp_path / a) if a.startswith("x.") else a for a in extra]
    rc = run(["figure", "km", str(waltons_csv), *extra])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("hccdash figure: ")
    assert re.search(pattern, err)
    assert not any(tmp_path.iterdir())  # nothing written


def test_missing_file_exit_2(tmp_path, capsys):
    rc = run(
        [
            "figure",
            "km",
            str(tmp_path / "none.csv"),
            "--time",
            "T",
            "--event",
            "E",
            "--out",
            str(tmp_path / "a.png"),
        ]
    )
    assert rc == 2
    assert "none.csv" in capsys.readouterr().err


def test_registered_in_main(waltons_csv, tmp_path, capsys):
    from hccdash.__main__ import main

    rc = main(
        [
            "figure",
            "km",
            str(waltons_csv),
            "--time",
            "T",
            "--event",
            "E",
            "--out",
            str(tmp_path / "x.bmp"),
        ]
    )
    assert rc == 2
    assert "'.bmp'" in capsys.readouterr().err

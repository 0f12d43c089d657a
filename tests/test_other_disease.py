"""A cohort of another disease in the whole app (AppTest), the CLI and the file readers:
its own names, levels, endpoints and units everywhere, no word of the bundled paper.

Cohorts: tests/data/public/ (GBSG2 breast cancer, VA lung cancer; see its README).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hccdash.__main__ import main
from hccdash.cohortfile import CODEBOOK_ENV, DATA_ENV, load_cohort_file
from hccdash.errors import FileReadError
from hccdash.io import read_table
from hccdash.nonparametric import kaplan_meier, median_survival
from hccdash.ui.state import UPLOADED_KEY

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PUBLIC = ROOT / "tests" / "data" / "public"
REF = json.loads((ROOT / "tests/reference/public/public_reference.json").read_text())
TIMEOUT = 120
PAPER = re.compile(r"IMRT|TACE|Child[- ]?Pugh|the paper|PVTT|Luo et al|hepatocellular", re.I)
PAGES = ("cohort", "km", "univariate", "cox", "response", "models", "data")


pytestmark = pytest.mark.usefixtures("router_on_every_run")


def _all_text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "title", "subheader", "header", "info", "warning",
                 "error", "success"):  # fmt: skip
        parts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("selectbox", "multiselect", "radio", "slider", "toggle", "button"):
        for w in getattr(at, kind):
            parts.append(str(w.label))
            parts += [str(o) for o in getattr(w, "options", [])]
    parts += [str(m.label) + " " + str(m.value) for m in at.metric]
    for d in at.dataframe:
        parts.append(" ".join(map(str, d.value.columns)) + " " + d.value.to_csv())
    # shown text is markdown-escaped (hccdash.textsafe.md): compare what the user reads
    return re.sub(r"\\(.)", r"\1", "\n".join(parts)).replace("\u200b", "")


def _server_app(monkeypatch, data: Path, codebook: Path | None) -> AppTest:
    monkeypatch.setenv(DATA_ENV, str(data))
    if codebook is None:
        monkeypatch.delenv(CODEBOOK_ENV, raising=False)
    else:
        monkeypatch.setenv(CODEBOOK_ENV, str(codebook))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.slow
def test_server_cohort_with_codebook_on_every_page_has_no_word_of_the_paper(monkeypatch):
    at = _server_app(monkeypatch, PUBLIC / "gbsg2.csv", PUBLIC / "gbsg2.codebook.json")
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.message for e in at.exception])
        text = _all_text(at)
        hits = PAPER.findall(text)
        assert not hits, (page, hits)
        if page == "km":
            assert "RFS" in text and "Recurrence-free survival" in text
        if page == "univariate":
            assert "Hormonal therapy" in text and "Tumour grade" in text
    nav = [p for p in at.session_state if "reproduce" in str(p)]
    assert nav == []


def test_server_cohort_sets_the_default_and_the_km_median_is_rs(monkeypatch):
    """R: ``survfit(Surv(time, cens) ~ horTh, data = g)``: medians 1528 and 2018 days."""
    at = _server_app(monkeypatch, PUBLIC / "gbsg2.csv", PUBLIC / "gbsg2.codebook.json")
    assert [str(m.value) for m in at.metric][:2] == ["686", "686"]
    assert "German Breast Cancer Study Group 2" in _all_text(at)
    at.query_params["by"] = "horTh"
    at.switch_page("pages/km.py").run()
    assert not at.exception
    text = _all_text(at)
    medians = [m / 30.4375 for m in REF["gbsg2"]["km"]["median"]]
    for m in medians:
        assert f"{m:.1f}" in text, (m, text[:3000])
    assert not PAPER.findall(text)


def test_server_cohort_without_codebook_uses_its_column_names(monkeypatch):
    at = _server_app(monkeypatch, PUBLIC / "veterans.csv", None)
    assert [str(m.value) for m in at.metric][:2] == ["137", "137"]
    at.switch_page("pages/univariate.py").run()
    assert not at.exception
    text = _all_text(at)
    assert "Treatment" in text and "Celltype" in text
    assert not PAPER.findall(text)
    # The sidebar's arm filter shows the cohort's own levels.
    arm = at.sidebar.selectbox(key="f_arm")
    assert arm.label == "Treatment" and set(arm.options) == {"any", "standard", "test"}


def test_a_server_file_that_cannot_be_read_is_said_in_the_sidebar(monkeypatch, tmp_path):
    bad = tmp_path / "cohort.csv"
    bad.write_text("a,b\n1,2\n3,4\n")
    at = _server_app(monkeypatch, bad, None)
    errors = [e.value.replace("\\", "") for e in at.sidebar.error]
    assert errors and "HCCDASH_DATA" in errors[0] and "no time and event columns" in errors[0]


def test_upload_of_an_spss_file_through_the_data_page():
    """A .sav goes through the page's uploader; value labels are levels, variable labels are
    labels, the unit warning offers days in one click, and no row is excluded for it."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    raw = (PUBLIC / "gbsg2.sav").read_bytes()
    at.file_uploader(key="up_file").set_value(("gbsg2.sav", raw, "application/x-spss-sav"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    warns = " ".join(w.value for w in at.warning)
    assert "look like days" in warns
    at.button(key="map_unit_fix").click().run()
    assert at.selectbox(key="map_time_unit").value == "days"
    assert not any("look like" in w.value for w in at.warning)
    summary = next(d.value for d in at.dataframe if "median follow-up" in d.value.columns)
    assert summary["patients"].iloc[0] == 686 and summary["events"].iloc[0] == 299
    assert summary["unit"].iloc[0] == "days"
    at.text_input(key="cb_os_key").set_value("rfs").run()
    at.text_input(key="cb_os_label").set_value("Recurrence-free survival").run()
    at.button(key="up_confirm").click().run()
    cohort = at.session_state[UPLOADED_KEY]
    assert cohort.n == 686
    assert [(e.key, e.label) for e in cohort.endpoints()] == [("rfs", "Recurrence-free survival")]
    labels = {f.column: f.label for f in cohort.factors()}
    assert labels["menostat"] == "Menopausal status"
    meno = next(f for f in cohort.factors() if f.column == "menostat")
    assert meno.level_order(cohort.data) == ("Pre", "Post")
    # Median RFS by hormonal therapy equals R's (days -> months).
    km = kaplan_meier(cohort.data, "os_months", "os_event", "horTh")
    got = [median_survival(c).median * 30.4375 for c in km.curves]
    assert got == pytest.approx(REF["gbsg2"]["km"]["median"], rel=1e-9)


def test_an_upload_survives_a_reload_and_can_be_forgotten():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    raw = (PUBLIC / "veterans.csv").read_bytes()
    at.file_uploader(key="up_file").set_value(("veterans.csv", raw, "text/csv"))
    at.run()
    at.button(key="up_confirm").click().run()
    token = at.query_params["data"]
    token = token[0] if isinstance(token, list) else token
    assert len(token) >= 30
    # A reload: a new session with the same URL gets the cohort back.
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    again.query_params["data"] = token
    again.run()
    assert [str(m.value) for m in again.metric][:2] == ["137", "137"]
    # Forget it: the next reload says plainly that the data were dropped.
    again.switch_page("pages/data.py").run()
    again.button(key="up_forget").click().run()
    assert UPLOADED_KEY not in again.session_state
    third = AppTest.from_file(APP, default_timeout=TIMEOUT)
    third.query_params["data"] = token
    third.run()
    warned = " ".join(w.value for w in third.sidebar.warning)
    assert "no longer in memory" in warned
    assert [str(m.value) for m in third.metric][:2] == ["21", "21"]


def test_cli_codebook_and_environment(monkeypatch, capsys):
    """``python -m hccdash analyze gbsg2.csv --codebook gbsg2.codebook.json --group horTh``
    equals R's survdiff; with HCCDASH_DATA/HCCDASH_CODEBOOK no FILE is needed."""
    args = ["--group", "horTh", "--covariates", "horTh,age"]
    code = main(["analyze", str(PUBLIC / "gbsg2.csv"), "--codebook",
                 str(PUBLIC / "gbsg2.codebook.json"), *args])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["test"]["chisq"] == pytest.approx(REF["gbsg2"]["logrank"]["chisq"], rel=1e-9)
    assert [k["group"] for k in out["km"]] == ["no", "yes"]
    monkeypatch.setenv(DATA_ENV, str(PUBLIC / "gbsg2.csv"))
    monkeypatch.setenv(CODEBOOK_ENV, str(PUBLIC / "gbsg2.codebook.json"))
    assert main(["analyze", *args]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["test"] == out["test"]


def test_cli_codebook_errors_are_one_line_exit_2(tmp_path, capsys):
    cb = tmp_path / "cb.json"
    cb.write_text('{"format": "hccdash-codebook", "version": 1, "variables": [{"name": "x"}]}')
    code = main(["analyze", str(PUBLIC / "gbsg2.csv"), "--codebook", str(cb)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "'x'" in err[0] and "fix" in err[0]


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "raw, words",
    [
        (_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}), "a Word document"),
        (_zip({"ppt/presentation.xml": b"<p/>"}), "a PowerPoint presentation"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "an image"),
        (b"{\\rtf1\\ansi hello}", "a Rich Text (RTF) document"),
    ],
)
def test_wrong_files_say_what_they_are(raw, words):
    with pytest.raises(FileReadError, match=re.escape(f"is {words}, not a table")):
        read_table(raw, "cohort.csv")


def test_stata_file_reads_with_its_labels():
    table = read_table(PUBLIC / "veterans.dta")
    assert table.format == "dta" and len(table.data) == 137
    assert table.variable_labels["Karnofsky_score"] == "Karnofsky performance score"
    assert table.data["Karnofsky_score"].dtype.kind == "i"


def test_a_broken_spss_file_is_named():
    with pytest.raises(FileReadError, match="not a readable SPSS file"):
        read_table(b"$FL2" + b"\x00" * 200, "study.sav")


def test_load_cohort_file_names_missing_columns(tmp_path):
    cb = tmp_path / "cb.json"
    cb.write_text(
        '{"format": "hccdash-codebook", "version": 1, "endpoints": '
        '[{"key": "os", "time": "futime", "event": "fustat"}]}'
    )
    with pytest.raises(ValueError, match=r"does not have.*'futime'.*fix"):
        load_cohort_file(PUBLIC / "veterans.csv", cb)

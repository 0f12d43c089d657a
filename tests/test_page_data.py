"""The data page (AppTest): upload, mapping, validation report, confirm, back to bundled.

Bytes go in through the page's own st.file_uploader (AppTest's ``set_value``), exactly as a
browser upload. Every bad file of tests/data/bad/ must show its specific message, never an
exception.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hccdash.nonparametric import kaplan_meier, median_table
from hccdash.schema import BUNDLED_CSV, codebook_path
from hccdash.ui.state import UPLOADED_KEY

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "data.py")
APP = str(ROOT / "app.py")
BAD = ROOT / "tests" / "data" / "bad"
MESSY = ROOT / "tests" / "data" / "messy"
EXPECTED = json.loads((BAD / "EXPECTED.json").read_text(encoding="utf-8"))
TIMEOUT = 120


pytestmark = pytest.mark.usefixtures("router_on_every_run")


def upload(path: Path | None = None, *, name: str | None = None, data: bytes | None = None):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    content = data if data is not None else path.read_bytes()
    at.file_uploader(key="up_file").set_value((name or path.name, content, "text/plain"))
    at.run()
    return at


def shown_text(at: AppTest) -> str:
    parts = [e.value for e in at.error] + [e.value for e in at.warning]
    parts += [e.value for e in at.success] + [e.value for e in at.info]
    # What the reader sees: the markdown source with its escapes (hccdash.textsafe.md) removed.
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_shows_its_message_on_the_page(name: str):
    at = upload(BAD / name)
    assert not at.exception, [e.value for e in at.exception]
    text = shown_text(at).lower()
    for word in EXPECTED[name]["page_words"]:
        assert word.lower() in text, (word, text[:2000])


def test_sixty_megabyte_upload_is_refused_with_the_limit():
    line = b"P000001,12.5,1,A,55\n"
    big = b"id,time,event,group,age\n" + line * (60_000_000 // len(line) + 1)
    at = upload(name="big.csv", data=big)
    assert not at.exception
    assert "60.0 MB (60,000,044 bytes), above the 50 MB (50,000,000 bytes) limit" in shown_text(at)
    assert UPLOADED_KEY not in at.session_state


def test_formula_cells_are_displayed_as_text_never_evaluated():
    at = upload(BAD / "formula_injection.csv")
    preview = at.dataframe[0].value
    assert preview.loc[3, "time"] == "'=cmd|' /C calc'!A0"


def test_confirm_excludes_fatal_rows_only_when_clicked():
    at = upload(BAD / "negative_times.csv")
    assert UPLOADED_KEY not in at.session_state
    button = at.button(key="up_confirm")
    assert button.label == "Exclude the 2 listed rows and use this cohort"
    button.click().run()
    cohort = at.session_state[UPLOADED_KEY]
    assert cohort.reconstructed is False and cohort.n == 18
    assert not {"P03", "P06"} & set(cohort.data["patient_id"])
    at.button(key="up_back").click().run()
    assert UPLOADED_KEY not in at.session_state


def test_blocking_problem_has_no_confirm_button():
    at = upload(BAD / "one_row.csv")
    assert "up_confirm" not in [b.key for b in at.button]
    assert "cannot be analysed as it is" in shown_text(at)


def test_template_csv_has_the_bundled_columns():
    at = upload(MESSY / "clean.csv")
    assert at.get("download_button")
    from hccdash.ui.upload import template_csv

    header = BUNDLED_CSV.read_text(encoding="utf-8").splitlines()[0]
    assert template_csv() == (header + "\n").encode()
    assert "os_months" in header


def _medians(cohort_data: pd.DataFrame) -> np.ndarray:
    km = kaplan_meier(cohort_data, "os_months", "os_event", "treatment")
    return median_table(km).to_frame()[["median", "lower", "upper"]].to_numpy(dtype=float)


def _confirmed(at: AppTest) -> pd.DataFrame:
    at.button(key="up_confirm").click().run()
    assert not at.exception
    return at.session_state[UPLOADED_KEY].data


@pytest.fixture(scope="module")
def clean_medians() -> np.ndarray:
    data = pd.read_csv(MESSY / "clean.csv", dtype={"patient_id": str})
    return _medians(data)


def test_messy_semicolon_decimal_comma_same_numbers(clean_medians):
    at = upload(MESSY / "semicolon_decimal_comma.csv")
    data = _confirmed(at)
    np.testing.assert_allclose(_medians(data), clean_medians, rtol=1e-12)


def test_messy_gbk_chinese_headers_same_numbers(clean_medians):
    at = upload(MESSY / "gbk_chinese.csv")
    assert at.selectbox(key="map_os_time").value == "总生存期(月)"
    assert at.selectbox(key="map_os_event").value == "生存状态"
    data = _confirmed(at)
    np.testing.assert_allclose(_medians(data), clean_medians, rtol=1e-12)
    assert set(data["child_pugh"]) <= {"A", "B"}


def test_messy_xlsx_dates_second_sheet_same_numbers(clean_medians):
    at = upload(MESSY / "dates.xlsx")
    at.selectbox(key="up_sheet").set_value("patients").run()
    assert at.selectbox(key="map_start_date").value == "Treatment start date"
    assert "30.4375" in shown_text(at)
    data = _confirmed(at)
    np.testing.assert_allclose(_medians(data), clean_medians, rtol=1e-9)


def test_mapping_json_loads_into_the_widgets():
    from hccdash.mapping import ColumnMapping

    at = upload(MESSY / "clean.csv")
    saved = ColumnMapping(os_time="pfs_months", os_event="pfs_event", patient_id="patient_id")
    at.file_uploader(key="up_mapping_json").set_value(
        ("m.json", saved.to_json().encode(), "application/json")
    )
    at.run()
    assert at.selectbox(key="map_os_time").value == "pfs_months"
    assert at.selectbox(key="map_pfs_time").value == "(none)"
    other = ColumnMapping(os_time="OS (days)", os_event="os_event", kps="Karnofsky")
    at.file_uploader(key="up_mapping_json").set_value(
        ("other.json", other.to_json().encode(), "application/json")
    )
    at.run()
    assert "names 2 columns this file does not have ('OS (days)', 'Karnofsky')" in shown_text(at)
    assert at.selectbox(key="map_os_time").value == "(none)"
    at.file_uploader(key="up_mapping_json").set_value(("bad.json", b"{oops", "application/json"))
    at.run()
    assert "mapping file is not valid JSON" in shown_text(at)


def test_uploaded_cohort_drives_the_other_pages():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    data = (MESSY / "clean.csv").read_bytes()
    at.file_uploader(key="up_file").set_value(("clean.csv", data, "text/csv"))
    at.run()
    at.button(key="up_confirm").click().run()
    assert at.session_state[UPLOADED_KEY].n == 40
    at.switch_page("pages/cohort.py").run()
    assert not at.exception
    assert [str(m.value) for m in at.metric][:2] == ["40", "40"]
    # The cohort name is user input: the page escapes its Markdown (``clean\\.csv``).
    assert "Uploaded: clean.csv" in next(m.value for m in at.markdown).replace("\\", "")
    at.switch_page("pages/km.py").run()
    assert not at.exception
    assert not at.error


PAGES = ("cohort", "km", "univariate", "cox", "response", "models")


def _page_values(at: AppTest) -> tuple[list[pd.DataFrame], list[str]]:
    return [d.value for d in at.dataframe], [str(m.value) for m in at.metric]


@pytest.mark.slow
def test_bundled_csv_uploaded_through_the_page_gives_identical_pages():
    """Issue 7: the whole app works on an uploaded cohort exactly as on the bundled one.

    Issue 12: the generic code knows no cohort, so the labels, levels and references come
    with the codebook, uploaded beside the CSV (the Reproduce page belongs to the bundled
    cohort only)."""
    up = AppTest.from_file(APP, default_timeout=TIMEOUT)
    up.run()
    up.switch_page("pages/data.py").run()
    up.file_uploader(key="up_file").set_value(("hcc.csv", BUNDLED_CSV.read_bytes(), "text/csv"))
    up.run()
    codebook = codebook_path(BUNDLED_CSV).read_bytes()
    up.file_uploader(key="up_codebook_json").set_value(("hcc.json", codebook, "application/json"))
    up.run()
    assert not up.error, [e.value for e in up.error]
    up.button(key="up_confirm").click().run()
    assert up.session_state[UPLOADED_KEY].source == "hcc.csv"
    ref = AppTest.from_file(APP, default_timeout=TIMEOUT)
    ref.run()
    for page in PAGES:
        up.switch_page(f"pages/{page}.py").run()
        ref.switch_page(f"pages/{page}.py").run()
        assert not up.exception, (page, [e.value for e in up.exception])
        frames_up, metrics_up = _page_values(up)
        frames_ref, metrics_ref = _page_values(ref)
        assert metrics_up == metrics_ref, page
        assert len(frames_up) == len(frames_ref) > 0, page
        for a, b in zip(frames_up, frames_ref, strict=True):
            pd.testing.assert_frame_equal(a, b, obj=page)


def test_user_picks_event_codes_r_style_1_2(tmp_path):
    """R's lung codes status 1 = censored, 2 = dead: the user moves the codes and the report
    clears; the stored cohort has the same events as R counts (165 of 228)."""
    from lifelines.datasets import load_lung

    lung = load_lung().assign(status=lambda d: d["status"] + 1)
    at = upload(name="lung_r.csv", data=lung.to_csv(index=False).encode())
    assert "event code outside the mapping" in shown_text(at)
    at.selectbox(key="map_time_unit").set_value("days")
    at.multiselect(key="map_os_ev").set_value(["2"])
    at.multiselect(key="map_os_ce").set_value(["1"])
    at.run()
    assert not at.error, [e.value for e in at.error]
    data = _confirmed(at)
    assert len(data) == 228 and int(data["os_event"].sum()) == 165
    assert data["os_months"].max() == pytest.approx(1022 / 30.4375, rel=1e-12)


def test_cut_points_add_a_factor_the_other_pages_can_use():
    at = upload(MESSY / "clean.csv")
    at.multiselect(key="map_cut_cols").set_value(["rt_dose_gy"]).run()
    at.number_input(key="map_cut_rt_dose_gy").set_value(52.0).run()
    data = _confirmed(at)
    col = "rt_dose_gy ≤52 / >52"
    clean = pd.read_csv(MESSY / "clean.csv")
    assert data[col].tolist() == ["≤52" if v <= 52 else ">52" for v in clean["rt_dose_gy"]]
    factors = {f.column for f in at.session_state[UPLOADED_KEY].factors()}
    assert col in factors


def test_removing_the_file_clears_the_page_but_keeps_the_cohort_in_use():
    at = upload(MESSY / "clean.csv")
    _confirmed(at)
    at.file_uploader(key="up_file").set_value(None)
    at.run()
    assert not at.exception
    assert [s.value for s in at.subheader] == []  # steps 1-4 gone
    assert at.session_state[UPLOADED_KEY].n == 40
    assert at.button(key="up_back").label == "Back to the bundled cohort"


def test_bytes_through_the_ui_helper_without_the_uploader():
    """The single entry point for bytes (used by the uploader) also works on its own."""
    from hccdash.ui.upload import RAW_KEY

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    data = (BAD / "event_2.csv").read_bytes()
    at.session_state[RAW_KEY] = ("event_2.csv", data, hashlib.sha256(data).hexdigest())
    at.run()
    assert "event code outside the mapping" in shown_text(at)

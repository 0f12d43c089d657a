"""Competing-risk endpoints declared in the codebook (``coding.competing`` and
``coding.names``): the codebook round trip, the event-type column of the cohort frame, the
/competing page's default endpoint with the codebook's names, and the no-event message.

Data: R's ``survival::pbc`` (tests/reference/competing/pbc.csv, status 0 censored,
1 transplant, 2 death), as in tests/test_competing.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_page_competing import open_competing, table_with

from hccdash.codebook import Codebook, EndpointSpec, apply_codebook, infer_codebook
from hccdash.competing import cif_at, cuminc
from hccdash.competing.data import codes_for_endpoint
from hccdash.errors import InputError
from hccdash.report.fmt import format_pct_ci
from hccdash.schema import Cohort

PBC = Path(__file__).resolve().parent / "reference" / "competing" / "pbc.csv"
ENDPOINT = EndpointSpec(
    "death", "Death", "time", "status", unit="days",
    event_values=("2",), censored_values=("0",), competing_values=("1",),
    code_names=(("2", "Death"), ("1", "Liver transplant")),
)  # fmt: skip


def _raw() -> pd.DataFrame:
    pbc = pd.read_csv(PBC)
    return pd.DataFrame(
        {
            "id": pbc["id"].astype(str),
            "time": pbc["time"],
            "status": pbc["status"],
            "edema": pbc["edema"].astype(str),
        }
    )


def _cohort(raw: pd.DataFrame | None = None) -> Cohort:
    raw = _raw() if raw is None else raw
    cb = infer_codebook(raw, endpoints=[ENDPOINT])
    return Cohort("pbc", apply_codebook(raw, cb, "pbc.csv"), "pbc.csv", codebook=cb)


def test_codebook_round_trip_keeps_competing_codes_and_names():
    cb = infer_codebook(_raw(), endpoints=[ENDPOINT])
    text = cb.to_json()
    assert '"names"' in text and "Liver transplant" in text
    back = Codebook.from_json(text)
    assert back == cb
    assert back.endpoints[0].code_names == ENDPOINT.code_names
    codes = codes_for_endpoint(back.endpoints[0])
    assert (codes.censor, codes.cause, codes.competing) == (0, 2, (1,))
    assert codes.name(1) == "Liver transplant" and codes.name(2) == "Death"


def test_names_of_unlisted_codes_are_an_error_naming_the_fix():
    with pytest.raises(InputError, match=r"coding.names has codes .*'3'.*name only listed"):
        EndpointSpec("x", "X", "t", "s", competing_values=("2",), code_names=(("3", "Other"),))


def test_cohort_frame_keeps_the_event_types_beside_the_cause_specific_event():
    raw = _raw()
    data = _cohort(raw).data
    assert data["status"].tolist() == (raw["status"] == 2).astype(float).tolist()
    kinds = data[ENDPOINT.status_column].astype(str).tolist()
    assert kinds == raw["status"].astype(str).tolist()
    assert raw["status"].tolist() == _raw()["status"].tolist()  # the user's frame unchanged


def test_page_defaults_to_the_codebook_endpoint_with_its_names():
    cohort = _cohort()
    at = open_competing(cohort)
    assert at.radio(key="cr_source").value == "codebook"
    at.selectbox(key="cr_group").set_value("edema").run()
    assert not at.exception, [e.message for e in at.exception]
    codes = codes_for_endpoint(ENDPOINT)
    ref = cuminc(cohort.data, "time", ENDPOINT.status_column, "edema", codes=codes)
    shown = table_with(at, "12 months")
    labels = [str(x).replace("\u00a0", "").strip() for x in shown.iloc[:, 0]]
    assert labels[0] == "Liver transplant" and "Death" in labels
    i = labels.index("Death")
    group = labels[i + 1]
    want = cif_at(ref.curve(group, 2), [12.0, 24.0])
    assert shown["12 months"].iloc[i + 1] == format_pct_ci(
        want.est[0], want.lower[0], want.upper[0]
    )
    assert not np.isnan(want.est[1]) and 0 < want.est[1] < 1
    gray = table_with(at, "Chi-square")
    assert gray["Chi-square"].tolist() == [f"{ref.test(c).stat:.2f}" for c in ref.causes]
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Liver transplant" in text and "Death" in text


def test_cause_without_events_after_filters_is_named_from_the_codebook():
    raw = _raw()
    raw.loc[raw["status"] == 1, "status"] = 0  # no transplant left
    at = open_competing(_cohort(raw))
    assert not at.exception, [e.message for e in at.exception]
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Liver transplant (code 1) has no events among the 418 patients" in warnings


def test_cli_takes_codes_and_names_from_the_codebook(tmp_path, capsys):
    """``analyze pbc.csv --competing --codebook pbc.codebook.json --group edema``: the codes
    (censored 0, death 2 the event, transplant 1 competing) and names come from the codebook;
    the numbers equal cuminc on the same frame (times in months, as every --codebook run)."""
    import json

    from hccdash.__main__ import main

    raw = _raw()
    csv, book = tmp_path / "pbc.csv", tmp_path / "pbc.codebook.json"
    raw.to_csv(csv, index=False)
    book.write_text(infer_codebook(raw, endpoints=[ENDPOINT]).to_json())
    code = main(["analyze", str(csv), "--competing", "--codebook", str(book), "--group",
                 "edema", "--format", "json"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    names = {(c["cause"], c["cause_name"]) for c in out["cif"]}
    assert names == {(1, "Liver transplant"), (2, "Death")}
    from hccdash.cohortfile import load_cohort_file

    cohort = load_cohort_file(csv, book)  # the frame the CLI analyses
    ref = cuminc(cohort.as_categorical(), "time", ENDPOINT.status_column, "edema",
                 codes=codes_for_endpoint(ENDPOINT))  # fmt: skip
    gray = {g["cause"]: g for g in out["gray"]}
    for t in ref.tests:
        assert gray[t.cause]["stat"] == pytest.approx(t.stat, rel=1e-12)
        assert gray[t.cause]["p_value"] == pytest.approx(t.p_value, rel=1e-12)
    c = next(c for c in out["cif"] if c["cause"] == 2 and c["group"] == ref.groups[0])
    assert c["est"] == pytest.approx(ref.curve(ref.groups[0], 2).est.tolist(), rel=1e-12)
    # --cause picks the other declared code; an undeclared one is one line, exit 2
    assert main(["analyze", str(csv), "--competing", "--codebook", str(book), "--cause", "1",
                 "--format", "json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["cif"][0]["cause_name"] == "Liver transplant"
    assert main(["analyze", str(csv), "--competing", "--codebook", str(book), "--cause", "7",
                 "--format", "json"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "--cause '7' is not an event code of endpoint 'death'" in err


def test_cli_says_that_cmprsk_ignores_the_codebooks_delayed_entry(tmp_path, capsys):
    """``analyze --competing --codebook`` on an endpoint with ``entry``: the analysis runs
    (cmprsk has no delayed entry, as the page says) and stderr says the entry is ignored."""
    import json
    from dataclasses import replace

    from hccdash.__main__ import main

    raw = _raw().assign(entry=lambda d: (d["time"] * 0.1).round())
    csv, book = tmp_path / "pbc.csv", tmp_path / "pbc.codebook.json"
    raw.to_csv(csv, index=False)
    book.write_text(infer_codebook(raw, endpoints=[replace(ENDPOINT, entry="entry")]).to_json())
    assert main(["analyze", str(csv), "--competing", "--codebook", str(book),
                 "--format", "json"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert json.loads(captured.out)["cif"]
    assert "declares delayed entry ('entry') for endpoint 'death'" in captured.err
    assert "count every patient at risk from time 0" in captured.err

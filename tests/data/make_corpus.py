"""Write the bad-file corpus (tests/data/bad/) and the messy-but-valid files (tests/data/messy/).

Run from the repository root: ``python tests/data/make_corpus.py``. Deterministic (fixed seed);
the generated files are committed. The 60 MB file is NOT written here: tests generate it into
tmp_path (see tests/test_io.py) because it must not be committed.

EXPECTED.json maps every bad file to how the CLI is run on it and the words its one-line
message must contain (CLI) and the words the data page must show.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
MESSY = HERE / "messy"
RAW_ARGS = ["--time", "time", "--event", "event", "--id", "id"]


def base(n: int = 20, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"P{i:02d}" for i in range(1, n + 1)],
            "time": np.round(rng.exponential(14, n) + 0.5, 1),
            "event": rng.integers(0, 2, n),
            "group": np.where(rng.random(n) < 0.5, "A", "B"),
            "age": rng.integers(35, 80, n),
        }
    )


def csv_text(df: pd.DataFrame, sep: str = ",") -> str:
    return df.to_csv(index=False, sep=sep, lineterminator="\n")


def main() -> None:
    BAD.mkdir(exist_ok=True)
    MESSY.mkdir(exist_ok=True)
    for old in BAD.iterdir():
        old.unlink()
    expected: dict[str, dict] = {}

    def put(name: str, content: bytes | str, words, page_words=None, args=None, mapping=None):
        data = content.encode("utf-8") if isinstance(content, str) else content
        (BAD / name).write_bytes(data)
        expected[name] = {
            "args": args if args is not None else RAW_ARGS,
            "words": words,
            "page_words": page_words if page_words is not None else words,
        }
        if mapping is not None:
            expected[name]["mapping"] = mapping

    df = base()
    put("empty.csv", b"", ["empty", "0 bytes"])
    put("whitespace_only.csv", "\n   \n\t\n", ["empty"])
    put("header_only.csv", "id,time,event,group,age\n", ["no data rows"])
    rng = np.random.default_rng(11)
    put("binary_garbage.csv", bytes(rng.integers(0, 256, 4096, dtype=np.uint8)), ["binary"])
    put("wrong_delimiter.csv", csv_text(df, sep=":"), ["single column", "comma"])
    put(
        "duplicated_columns.csv",
        csv_text(df.rename(columns={"age": "time"})),
        ["duplicated column names", "'time'"],
    )
    d = df.copy()
    d.loc[[2, 5], "time"] = [-3.0, -0.5]
    put("negative_times.csv", csv_text(d), ["negative", "'P03'", "'P06'"])
    d = df.copy()
    d.loc[6, "event"] = 2
    put("event_2.csv", csv_text(d), ["event code outside the mapping", "'2'", "'P07'"])
    d = df.copy()
    d["event"] = ""
    put("missing_values.csv", csv_text(d), ["no patient has both", "event"])
    d = df.copy().astype({"time": object})
    d.loc[[1, 4], "time"] = ["12 months", "unknown"]
    put("text_in_time.csv", csv_text(d), ["not a number", "'12 months'", "'P02'"])
    d = df.copy().astype({"time": object})
    d.loc[[0, 3], "time"] = ["12,5", "3,25"]
    put("decimal_comma_in_csv.csv", csv_text(d).replace('"', ""), ["more than the header",
        "lines 2, 5"])  # fmt: skip
    d = df.copy().astype({"time": object})
    d.loc[8, "time"] = "1e400"
    put("huge_numbers.csv", csv_text(d), ["not finite", "'P09'"])
    put("one_row.csv", csv_text(df.head(1)), ["only 1 patient", "too few patients"])
    d = df.copy()
    d.loc[10, "id"] = "P03"
    put("duplicate_ids.csv", csv_text(d), ["same patient id", "'P03'"])
    d = df.copy().astype({"time": object})
    d.loc[3, "time"] = "=cmd|' /C calc'!A0"
    put(
        "formula_injection.csv",
        csv_text(d),
        ["not a number", "=cmd|' /C calc'!A0"],
        page_words=["not a number", "spreadsheet formula"],
    )
    d = df.copy()
    d["event"] = 0
    put("no_events.csv", csv_text(d), ["no events"], page_words=["no OS events", "too few events"],
        args=[*RAW_ARGS, "--group", "group"])  # fmt: skip
    d = df.copy()
    d["group"] = "A"
    put(
        "single_group.csv",
        csv_text(d),
        ["'group'", "at least 2"],
        page_words=["one value", "'group'"],
        args=[*RAW_ARGS, "--group", "group"],
    )
    d = df.copy().astype({"event": object})
    d.loc[[4, 9], "event"] = ["Lost", "maybe"]
    put("unknown_event_words.csv", csv_text(d), ["event code outside the mapping", "'Lost'"])
    put("missing_event_column.csv", csv_text(df.drop(columns="event")), ["no column 'event'"],
        page_words=["no event column", "time"])  # fmt: skip
    put("unnamed_column.csv", csv_text(df).replace("group", "", 1), ["no name", "column 4"])
    text = csv_text(df).splitlines()
    text[3] += ",extra,fields"
    text[7] += ",x"
    put("ragged_rows.csv", "\n".join(text) + "\n", ["more than the header", "lines 4, 8"])
    put("html_page.csv", "<html><body><h1>Session expired</h1></body></html>\n",
        ["HTML", "not a table"])  # fmt: skip
    put("json_document.csv", json.dumps({"patients": df.head(3).to_dict("records")}) + "\n",
        ["JSON document"])  # fmt: skip
    wide = pd.DataFrame([[f"P{i}" for i in range(600)], list(range(600))])
    put("transposed_wide.csv", wide.to_csv(index=False, header=False), ["600 columns"])

    # Endpoints from two columns each (PFS must not exceed OS).
    two = pd.DataFrame(
        {
            "id": df["id"],
            "os_months": df["time"] + 5,
            "os_event": df["event"],
            "pfs_months": df["time"],
            "pfs_event": 1,
        }
    )
    two.loc[[1, 12], "pfs_months"] = two.loc[[1, 12], "os_months"] + [3.0, 0.1]
    both = {"patient_id": "id", "os_time": "os_months", "os_event": "os_event",
            "pfs_time": "pfs_months", "pfs_event": "pfs_event"}  # fmt: skip
    put("pfs_gt_os.csv", csv_text(two), ["PFS longer than OS", "'P02'", "'P13'"], args=[],
        mapping=both)  # fmt: skip
    t = two.copy()
    t.loc[5, "os_months"] = 5000
    put("implausible_time.csv", csv_text(t), ["above 1200 months", "'P06'"], args=[],
        mapping=both)  # fmt: skip

    # Dates.
    start = pd.date_range("2019-01-07", periods=20, freq="17D")
    dated = pd.DataFrame(
        {
            "id": df["id"],
            "start_date": start.strftime("%Y-%m-%d"),
            "death_date": [
                (s + pd.Timedelta(days=int(30 * t))).strftime("%Y-%m-%d") if e else ""
                for s, t, e in zip(start, df["time"], df["event"], strict=True)
            ],
            "last_followup_date": [
                (s + pd.Timedelta(days=int(30 * t))).strftime("%Y-%m-%d")
                for s, t in zip(start, df["time"], strict=True)
            ],
        }
    )
    dmap = {"patient_id": "id", "start_date": "start_date", "death_date": "death_date",
            "last_followup_date": "last_followup_date"}  # fmt: skip
    d = dated.copy()
    d.loc[[3, 11], "start_date"] = ["03/04/2019", "21/08/2019"]
    put("mixed_date_formats.csv", csv_text(d), ["mixed date formats", "DD/MM/YYYY", "'P04'"],
        args=[], mapping=dmap)  # fmt: skip
    d = dated.copy()
    d.loc[2, "last_followup_date"] = "2018-12-01"
    put("dates_out_of_order.csv", csv_text(d), ["out of order", "'P03'"], args=[], mapping=dmap)
    d = dated.copy()
    d.loc[7, "last_followup_date"] = "2999-01-01"
    put("future_dates.csv", csv_text(d), ["in the future", "'2999-01-01'"], args=[], mapping=dmap)
    d = dated.copy()
    d.loc[5, "start_date"] = "not recorded"
    put("not_a_date.csv", csv_text(d), ["not a date", "'not recorded'"], args=[], mapping=dmap)

    # Spreadsheets and binary formats.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "cohort"
    ws.append(["id", "survival", None, "group"])
    ws.append([None, "time", "event", None])
    ws.merge_cells("B1:C1")
    for r in df.itertuples(index=False):
        ws.append([r.id, float(r.time), int(r.event), r.group])
    buf = io.BytesIO()
    wb.save(buf)
    put("merged_header.xlsx", buf.getvalue(), ["merged header cells", "B1:C1"])
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.create_sheet("data")
    buf = io.BytesIO()
    wb.save(buf)
    put("empty_sheet.xlsx", buf.getvalue(), ["sheet 'notes' is empty", "'data'"])
    put("truncated.xlsx", buf.getvalue()[:900], ["damaged", "save it again"])
    put("old_format.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), ["97-2003", ".xlsx"])
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("cohort.csv", csv_text(df))
    put("zipped.csv", zbuf.getvalue(), ["ZIP archive", "unzip"])
    put("corrupt.parquet", b"PAR1" + bytes(rng.integers(0, 256, 500, dtype=np.uint8)) + b"PAR1",
        ["not a readable Parquet"])  # fmt: skip

    (BAD / "EXPECTED.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    make_messy()
    print(f"{len(expected)} bad files")


def make_messy() -> None:
    """Valid files, messy formats, same numbers: clean.csv is the reference."""
    rng = np.random.default_rng(2024)
    n = 40
    start = pd.date_range("2018-03-05", periods=n, freq="11D")
    os_days = rng.integers(60, 1500, n)
    os_event = rng.integers(0, 2, n)
    pfs_days = np.minimum(os_days, rng.integers(30, 1200, n))
    pfs_event = np.where(pfs_days < os_days, 1, os_event)
    clean = pd.DataFrame(
        {
            "patient_id": [f"H{i:03d}" for i in range(1, n + 1)],
            "os_months": os_days / 30.4375,
            "os_event": os_event,
            "pfs_months": pfs_days / 30.4375,
            "pfs_event": pfs_event,
            "treatment": np.where(rng.random(n) < 0.5, "IMRT+TACE", "IMRT"),
            "child_pugh": rng.choice(["A", "B"], n),
            "kps": rng.choice([60, 70, 80, 90], n),
            "rt_dose_gy": np.round(rng.uniform(40, 60, n), 1),
        }
    )
    clean.to_csv(MESSY / "clean.csv", index=False, lineterminator="\n")
    # 1. semicolon-separated with decimal commas (German/French Excel), UTF-8 with BOM.
    # The messy files are written from clean.csv's text so every digit is the same.
    text = pd.read_csv(MESSY / "clean.csv", dtype=str, keep_default_na=False)
    sc = text.copy()
    for c in ("os_months", "pfs_months", "rt_dose_gy"):
        sc[c] = sc[c].str.replace(".", ",", regex=False)
    (MESSY / "semicolon_decimal_comma.csv").write_bytes(
        b"\xef\xbb\xbf" + sc.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8")
    )
    # 2. GBK-encoded Chinese headers and values.
    zh = pd.DataFrame(
        {
            "编号": clean["patient_id"],
            "总生存期(月)": text["os_months"],
            "生存状态": np.where(clean["os_event"] == 1, "死亡", "存活"),
            "无进展生存期(月)": text["pfs_months"],
            "是否进展": np.where(clean["pfs_event"] == 1, "是", "否"),
            "治疗方式": clean["treatment"],
            "肝功能分级": clean["child_pugh"] + "级",
            "KPS评分": clean["kps"],
            "放疗剂量": text["rt_dose_gy"],
        }
    )
    (MESSY / "gbk_chinese.csv").write_bytes(zh.to_csv(index=False).encode("gbk"))
    # 3. XLSX with real dates (durations derived: months = days / 30.4375), data on sheet 2.
    wb = openpyxl.Workbook()
    wb.active.title = "README"
    wb.active.append(["Export of the cohort; data on sheet 'patients'"])
    ws = wb.create_sheet("patients")
    ws.append(["Patient ID", "Treatment start date", "Date of progression", "Date of death",
               "Last follow-up", "Treatment", "Child-Pugh", "KPS", "RT dose (Gy)"])  # fmt: skip
    for i in range(n):
        s = start[i].to_pydatetime()
        death = s + pd.Timedelta(days=int(os_days[i])) if os_event[i] else None
        prog = (
            s + pd.Timedelta(days=int(pfs_days[i]))
            if pfs_event[i] and pfs_days[i] < os_days[i]
            else None
        )
        last = s + pd.Timedelta(days=int(os_days[i]))
        ws.append([clean["patient_id"][i], s, prog, death, last, clean["treatment"][i],
                   clean["child_pugh"][i], int(clean["kps"][i]),
                   float(clean["rt_dose_gy"][i])])  # fmt: skip
    wb.save(MESSY / "dates.xlsx")


if __name__ == "__main__":
    main()

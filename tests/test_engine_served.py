"""A server-side cohort on the engine equals the in-memory path (1e-10), filter by filter.

The in-memory path is what the app does today with ``HCCDASH_DATA``: ``load_cohort_file``
(read, apply the codebook) -> ``filters.apply_filters`` -> ``nonparametric.kaplan_meier`` /
``compare.survdiff``, themselves checked against R (test_nonparametric.py, test_compare.py).
The engine path is ``engine.served.open_served`` -> ``ServedCohort.km_view`` (the sidebar's
FilterSpec as SQL predicates, one GROUP BY). Both read the same Parquet file.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_engine import same, same_km, same_test

from hccdash import compare, nonparametric, synth
from hccdash.codebook import Codebook, EndpointSpec, Variable
from hccdash.cohortfile import load_cohort_file
from hccdash.engine import served as sv
from hccdash.errors import FileReadError, InputError
from hccdash.filters import FilterSpec, apply_filters, role_columns
from hccdash.nonparametric import landmark_table, median_table, risk_table, rmst

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "tests" / "data" / "public"
BUNDLED_CB = ROOT / "data" / "hcc_oligomets_reconstructed.codebook.json"


def _parquet(frame: pd.DataFrame, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return path


def _synth_codebook(frame: pd.DataFrame) -> Codebook:
    book = Codebook.read(BUNDLED_CB)
    keep = tuple(v for v in book.variables if v.name in frame.columns)
    return dataclasses.replace(book, variables=keep)


def _coded_veterans() -> tuple[pd.DataFrame, Codebook]:
    """veterans with numeric codes and value labels (SPSS style): cell type 1-4, status 1/2,
    prior therapy 0/10, time in days."""
    d = pd.read_csv(PUBLIC / "veterans.csv")
    cells = {"adeno": 1, "large": 2, "smallcell": 3, "squamous": 4}
    d["Celltype"] = d["Celltype"].map(cells)
    d["Status"] = d["Status"].map({"dead": 2, "alive": 1})
    d["Prior_therapy"] = d["Prior_therapy"].map({"no": 0, "yes": 10})
    book = Codebook(
        variables=(
            Variable("Treatment", "Treatment", kind="binary", role="treatment"),
            Variable("Celltype", "Cell type", level_labels={str(v): k for k, v in cells.items()}),
            Variable("Karnofsky_score", "KPS", kind="numeric", role="kps"),
            Variable(
                "Prior_therapy",
                "Prior therapy",
                kind="binary",
                role="pvtt",
                level_labels={"0": "no", "10": "yes"},
            ),
        ),
        endpoints=(
            EndpointSpec(
                "os",
                "OS",
                "Survival_in_days",
                "Status",
                unit="days",
                event_values=("2",),
                censored_values=("1",),
            ),
        ),
        name="coded veterans",
    )
    return d, book


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory):
    """(name, parquet path, codebook, endpoint key, grouping columns, filter specs)."""
    tmp = tmp_path_factory.mktemp("served")
    out = {}
    frame = synth.generate(3000, seed=11)
    frame.loc[::97, "kps"] = np.nan  # missing values: dropped by a KPS filter in both paths
    frame.loc[::89, "child_pugh"] = None
    path = _parquet(frame, tmp, "synth")
    # NaN (not NULL: pandas would write NULL) in a float event column and in a filtered one
    table = pq.read_table(path)
    for name, every in (("os_event", 101), ("kps", 83)):
        values = frame[name].to_numpy(dtype=float)
        values[::every] = np.nan
        column = table.schema.get_field_index(name)
        table = table.set_column(column, name, pa.array(values, from_pandas=False))
    pq.write_table(table, path)
    out["synth"] = (path, _synth_codebook(frame), "os", ["child_pugh", "treatment", None], [
        FilterSpec(),
        FilterSpec(kps=(70, 90)),
        FilterSpec(child_pugh=("A", "B")),
        FilterSpec(pvtt="no", ascites="yes"),
        FilterSpec(arm="imrt_tace", kps=(60, 100)),
        FilterSpec(extra=(("sex", ("Female",)), ("age_years", (40.0, 65.5)))),
        FilterSpec(extra=(("metastatic_site", ("lung", "Bone")),), child_pugh=("C",)),
    ])  # fmt: skip
    vet = pd.read_csv(PUBLIC / "veterans.csv")
    out["veterans"] = (
        _parquet(vet, tmp, "veterans"), PUBLIC / "veterans.codebook.json", "os",
        ["Celltype", "Treatment", "Prior_therapy"],
        [FilterSpec(), FilterSpec(kps=(60, 100)), FilterSpec(arm="test"),
         FilterSpec(extra=(("Age_in_years", (50.0, 70.0)), ("Prior_therapy", ("yes",))))],
    )  # fmt: skip
    gb = pd.read_csv(PUBLIC / "gbsg2.csv")
    out["gbsg2"] = (
        _parquet(gb, tmp, "gbsg2"), PUBLIC / "gbsg2.codebook.json", "rfs",
        ["tgrade", "horTh", "menostat"],
        [FilterSpec(), FilterSpec(arm="yes"), FilterSpec(extra=(("tgrade", ("II", "III")),)),
         FilterSpec(extra=(("pnodes", (1.0, 3.0)), ("menostat", ("Post",))))],
    )  # fmt: skip
    coded, book = _coded_veterans()
    out["coded"] = (
        _parquet(coded, tmp, "coded"), book, "os", ["Celltype", "Prior_therapy"],
        [FilterSpec(), FilterSpec(pvtt="yes"), FilterSpec(extra=(("Celltype", ("large",)),)),
         FilterSpec(kps=(40, 80), extra=(("Celltype", ("adeno", "squamous")),))],
    )  # fmt: skip
    return out


def _same(a, b) -> None:
    """Dataclasses (and tuples of them) equal field by field; numbers to 1e-10."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b)
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, tuple | list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, np.ndarray | float) and not isinstance(a, bool):
        same(a, b)
    else:
        assert a == b


def _with_roles(spec: FilterSpec, roles: tuple) -> FilterSpec:
    return dataclasses.replace(spec, roles=roles)


@pytest.mark.parametrize("name", ["synth", "veterans", "gbsg2", "coded"])
def test_served_equals_in_memory(cohorts, name):
    path, book, key, groups, specs = cohorts[name]
    mem = load_cohort_file(path, book)
    served = sv.open_served(path, book)
    roles = served.roles()
    assert dict(roles) == {r: c for r, c in role_columns(mem).items() if r != c}
    e = served.endpoint(key)
    for raw_spec in specs:
        spec = _with_roles(raw_spec, roles)
        kept = apply_filters(mem.data, spec)
        assert served.count(spec) == len(kept), spec
        for by in groups:
            view = served.km_view(spec, key, by, times=(6.0, 12.0, 24.0), tau=24.0)
            ref = nonparametric.kaplan_meier(kept, e.time, e.event, by)
            same_km(view.km, ref)
            _same(view.medians, median_table(ref))
            _same(view.landmarks, landmark_table(ref, (6.0, 12.0, 24.0)))
            _same(view.risk, risk_table(ref, (6.0, 12.0, 24.0)))
            _same(view.rmst, tuple(rmst(c, 24.0) for c in ref.curves))
            if by is not None and len(ref.curves) >= 2:
                same_test(view.test, compare.survdiff(kept, e.time, e.event, by))
                for method, p, q in (("wilcoxon", 0, 0), ("fleming-harrington", 1, 0.5)):
                    v2 = served.km_view(spec, key, by, method=method, p=p, q=q)
                    ref2 = compare.survdiff(kept, e.time, e.event, by, method=method, p=p, q=q)
                    same_test(v2.test, ref2)
            else:
                assert view.test is None


def test_options_are_the_pages_levels(cohorts):
    """Option lists are the cohort frame's distinct values (labels, not codes), sorted."""
    path, book, *_ = cohorts["coded"]
    served = sv.open_served(path, book)
    mem = load_cohort_file(path, book)
    assert served.options("Celltype") == sorted(mem.data["Celltype"].dropna().unique())
    assert served.options("Celltype") == ["adeno", "large", "smallcell", "squamous"]
    assert served.options("Karnofsky_score") == sorted(mem.data["Karnofsky_score"].unique())


def test_a_filter_change_is_one_query(cohorts, monkeypatch):
    """After the option lists are cached, a filter change on the KM page is ONE engine query
    (the GROUP BY), whose result has one row per (group, distinct time) -- never the table."""
    path, book, *_ = cohorts["synth"]
    served = sv.open_served(path, book)
    roles = served.roles()
    served.km_view(_with_roles(FilterSpec(child_pugh=("A",), pvtt="yes"), roles), "os", "sex")
    calls: list[int] = []
    backend = served.view.backend
    original = backend.fetch

    def counting(query):
        out = original(query)
        calls.append(len(next(iter(out.values()))))
        return out

    monkeypatch.setattr(backend, "fetch", counting)
    spec = _with_roles(FilterSpec(child_pugh=("A", "B"), pvtt="no", kps=(70, 100)), roles)
    view = served.km_view(spec, "os", "sex")
    assert len(calls) == 1
    distinct_times = sum(c.time.size for c in view.km.curves)
    assert calls[0] <= distinct_times + 10 < view.km.n  # the aggregated rows, not patients


def test_served_cohort_is_shared_until_the_file_changes(cohorts, tmp_path):
    _, book, *_ = cohorts["veterans"]
    path = _parquet(pd.read_csv(PUBLIC / "veterans.csv"), tmp_path, "v")
    a = sv.served_cohort(path, book)
    assert sv.served_cohort(path, book) is a
    a.options("Celltype")
    assert a.options("Celltype") is a.options("Celltype")  # cached per cohort
    pd.read_csv(PUBLIC / "veterans.csv").head(50).to_parquet(path, index=False)
    st = path.stat()
    os.utime(path, (st.st_atime, st.st_mtime + 5))
    b = sv.served_cohort(path, book)
    assert b is not a and b.count() == 50


def test_bad_server_cohorts_are_one_clear_message(tmp_path):
    d, book = _coded_veterans()
    with pytest.raises(FileReadError, match="does not exist"):
        sv.open_served(tmp_path / "nope.parquet", book)
    path = _parquet(d.drop(columns=["Celltype"]), tmp_path, "nocol")
    with pytest.raises(InputError, match=r"1 columns the table does not have: 'Celltype'"):
        sv.open_served(path, book)
    bad = d.copy()
    bad.loc[:4, "Status"] = 9
    with pytest.raises(InputError, match=r"'Status' has event codes '9'.*fix: add them"):
        sv.open_served(_parquet(bad, tmp_path, "code"), book)
    neg = d.copy()
    neg.loc[:2, "Survival_in_days"] = -5
    with pytest.raises(InputError, match=r"3 row\(s\) with a negative or infinite time"):
        sv.open_served(_parquet(neg, tmp_path, "neg"), book)
    served = sv.open_served(_parquet(d, tmp_path, "ok"), book)
    with pytest.raises(InputError, match="no endpoint 'pfs'"):
        served.km_view(None, "pfs")
    with pytest.raises(InputError, match="no column 'stage'"):
        served.count(FilterSpec(extra=(("stage", ("I",)),)))
    with pytest.raises(InputError, match="match the filters"):
        served.km_view(FilterSpec(extra=(("Celltype", ("nothing",)),)), "os", "Celltype")


def test_a_duckdb_table_is_served_read_only(cohorts, tmp_path, monkeypatch):
    """HCCDASH_DATA a DuckDB database, HCCDASH_TABLE its table: the same numbers as the file."""
    import duckdb

    path, book, *_ = cohorts["veterans"]
    db = tmp_path / "registry.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE vet AS SELECT * FROM read_parquet('{path}')")
    con.close()
    monkeypatch.setenv("HCCDASH_TABLE", "vet")
    served = sv.open_served(db, book)
    spec = FilterSpec(kps=(50, 90), roles=served.roles())
    want = sv.open_served(path, book).km_view(spec, "os", "Celltype")
    got = served.km_view(spec, "os", "Celltype")
    same_km(got.km, want.km)
    same_test(got.test, want.test)
    monkeypatch.delenv("HCCDASH_TABLE")
    with pytest.raises(InputError, match="name the table"):
        sv.open_served(db, book)

"""Which Parquet files skip the read worker (issue 19 item 1).

A fresh process pays about 1.5 s to start the worker's forkserver, more than a small Parquet
read: :func:`hccdash.io.read.read_table` reads a Parquet file in the calling process when its
footer bounds the read (:func:`hccdash.io.parquet.footprint`) to at most
:data:`hccdash.io.worker.IN_PROCESS_SHARE` of ``HCCDASH_READ_MAX_MB``, and in the bounded
worker otherwise. Checked: both routes give the same table, the boundary is the share, and a
footer that bounds nothing (another codec, nested values, a damaged footer) goes to the worker.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hccdash import io as hio
from hccdash.errors import FileReadError
from hccdash.io import worker
from hccdash.io.parquet import footprint


def _cohort(rows: int = 5_000) -> pd.DataFrame:
    rng = np.random.default_rng(19)
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:06d}" for i in range(rows)],
            "os_months": rng.exponential(20, rows).round(1),
            "os_event": rng.integers(0, 2, rows),
            "arm": rng.choice(["TACE", "IMRT", " SBRT"], rows),
            "seen": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, rows), "D"),
        }
    )


def _parquet(frame: pd.DataFrame, **kwargs) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf, **kwargs)
    return buf.getvalue()


def _share_for(nbytes: int) -> float:
    return nbytes / (worker.limits().max_mb * 1_000_000)


def test_a_small_parquet_is_read_in_process_as_the_worker_reads_it(worker_reads):
    raw = _parquet(_cohort())
    here = hio.read_table(raw, "small.parquet")
    assert worker_reads == []  # no worker started
    there = worker.read_bounded(raw, "small.parquet", "parquet")  # (counted: the spy)
    pd.testing.assert_frame_equal(here.data, there.data)
    assert here.describe() == there.describe() == "small.parquet: 5000 rows x 5 columns, parquet"
    assert isinstance(here.data["arm"].dtype, pd.CategoricalDtype)
    assert here.data["arm"].cat.categories.tolist() == ["IMRT", "SBRT", "TACE"]
    assert here.data["os_event"].sum() == _cohort()["os_event"].sum()


def test_the_share_of_the_budget_is_the_boundary(worker_reads, monkeypatch):
    raw = _parquet(_cohort())
    need = footprint(raw)
    monkeypatch.setattr(worker, "IN_PROCESS_SHARE", _share_for(need))
    at = hio.read_table(raw, "at.parquet")
    assert worker_reads == []
    monkeypatch.setattr(worker, "IN_PROCESS_SHARE", _share_for(need - 1))
    over = hio.read_table(raw, "over.parquet")
    assert worker_reads == ["over.parquet"]  # declares one byte more than the bound: the worker
    pd.testing.assert_frame_equal(at.data, over.data)


def test_a_file_declaring_many_rows_goes_to_the_worker_with_the_same_table(
    worker_reads, monkeypatch
):
    """A constant column of 2e6 rows: a few kB on disk, but its footer declares 2e6 values
    (16 MB decoded per column): over a 20 MB bound it is read in the worker."""
    frame = pd.DataFrame({"os_event": np.zeros(2_000_000, dtype=np.int64), "arm": "A"})
    raw = _parquet(frame)
    assert len(raw) < 100_000
    need = footprint(raw)
    assert need >= 2 * 2_000_000 * 8
    assert worker.in_process(need)  # under the default budget: read here
    table = hio.read_table(raw, "many.parquet")
    assert worker_reads == []
    monkeypatch.setattr(worker, "IN_PROCESS_SHARE", _share_for(20_000_000))
    assert not worker.in_process(need)
    through = hio.read_table(raw, "many.parquet")
    assert worker_reads == ["many.parquet"]
    pd.testing.assert_frame_equal(table.data, through.data)
    assert through.data["os_event"].sum() == 0 and len(through.data) == 2_000_000


def test_the_footprint_bounds_the_declared_sizes_and_the_values():
    raw = _parquet(_cohort(), compression="snappy")
    meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    group = meta.row_group(0)
    declared = sum(group.column(j).total_uncompressed_size for j in range(group.num_columns))
    compressed = sum(group.column(j).total_compressed_size for j in range(group.num_columns))
    need = footprint(raw)
    assert need >= declared + 8 * 5_000 * 5
    assert need >= 22 * compressed  # a lying footer's uncompressed sizes do not lower it
    plain = footprint(_parquet(_cohort(), compression="none"))
    assert plain < need  # uncompressed pages are what they are


@pytest.mark.parametrize(
    ("frame", "kwargs"),
    [
        (_cohort(), {"compression": "zstd"}),  # a few bytes can expand into gigabytes
        (_cohort(), {"compression": "gzip"}),
        (pd.DataFrame({"t": [1.0, 2.0], "tags": [["a"], ["b", "c"]]}), {}),  # nested
        (pd.DataFrame({"t": [1.0, 2.0], "blob": [b"x", b"y"]}), {}),  # binary
    ],
    ids=["zstd", "gzip", "list", "binary"],
)
def test_a_footer_that_bounds_nothing_goes_to_the_worker(frame, kwargs, worker_reads):
    raw = _parquet(frame, **kwargs)
    assert footprint(raw) is None
    with contextlib.suppress(FileReadError):  # (the reader may refuse a list column)
        hio.read_table(raw, "other.parquet")
    assert worker_reads == ["other.parquet"]


def test_a_damaged_footer_goes_to_the_worker_with_the_reader_s_message(worker_reads):
    raw = _parquet(_cohort())
    broken = raw[:-40] + raw[-8:]
    assert footprint(broken) is None
    with pytest.raises(FileReadError, match=r"file 'broken.parquet' is not a readable Parquet"):
        hio.read_table(broken, "broken.parquet")
    assert worker_reads == ["broken.parquet"]
